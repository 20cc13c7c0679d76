"""The local run loop: `cog predict`/`run`/`train` (flow), `cog serve` (serve), `cog exec`
(attach) and the build-label-push of `cog push` (push), below the CLI.

Each entry point takes its options, the project's loaded `Config` (the CLI reads cog.yaml) and a
`cog_py.ui.UI` for human messages; nothing here imports `cog_py.cli`. The client side of a
prediction lives here too: inputs parsed against the model's OpenAPI schema (inputs, validate,
schema), the model's HTTP server (client) and the response rendered as Cog's CLI does (output,
mime). Containers are started through `cog_py.docker`, images built through `cog_py.build`.
"""
