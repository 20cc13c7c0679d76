"""Options several commands share, and how a command turns them into inputs.

Usage in a command module:

    from cog_py.cli.options import ConfigFileOption, read_config

    def build(file: ConfigFileOption = DEFAULT_CONFIG_FILE) -> None:
        config = read_config(file)          # prints cog.yaml warnings, raises ConfigError
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cog_py.cli import console

if TYPE_CHECKING:
    from cog_py.config.models import Config

DEFAULT_CONFIG_FILE = "cog.yaml"

ConfigFileOption = Annotated[
    str,
    typer.Option(
        "-f",
        "--file",
        metavar="FILE",
        help="The name of the config file (looked for in this directory and its parents).",
    ),
]


def read_config(file: str = DEFAULT_CONFIG_FILE, *, cwd: Path | None = None) -> Config:
    """Find and load the config named by `-f/--file`, printing its warnings to stderr."""
    from cog_py.config.loader import load_config  # pydantic and yaml only when a command needs them

    loaded = load_config(cwd=cwd, filename=file)
    for warning in loaded.warnings:
        console.warn(warning)
    return loaded.config
