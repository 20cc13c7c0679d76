"""Read a project for the checks: find cog.yaml, parse it, validate it as `cog build` does."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cog_py.config.loader import find_config, parse_config
from cog_py.config.yamlsource import parse_yaml
from cog_py.doctor.model import Project
from cog_py.errors import ConfigError


def load_project(cwd: Path, config_name: str = "cog.yaml", environ: Mapping[str, str] | None = None) -> Project:
    """The project whose cog.yaml is `config_name` in `cwd` or a parent; a missing or broken file
    is recorded in the Project (the checks report it), never raised."""
    env = dict(os.environ if environ is None else environ)
    try:
        path = find_config(cwd, config_name)
    except ConfigError:
        return Project(root=cwd.resolve(), config_name=config_name, environ=env)
    project = Project(root=path.parent, config_name=path.name, config_path=path, environ=env)
    try:
        project.text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        project.read_error = f"cannot read {path.name}: {exc}"
        return project
    project.source = parse_yaml(project.text)
    try:
        loaded = parse_config(project.text, config_path=path)
    except ConfigError as exc:
        project.config_errors = exc.message.splitlines()
    else:
        project.config = loaded.config
        project.config_warnings = list(loaded.warnings)
    return project
