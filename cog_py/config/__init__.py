"""cog.yaml: `loader.load_config` finds, reads and validates it into `models.Config`.

Kept import-free so that importing `cog_py.config.models` does not pull in YAML parsing.
"""
