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


USE_COG_BASE_IMAGE = "--use-cog-base-image"
UseCogBaseImageOption = Annotated[
    bool,
    typer.Option(
        f"{USE_COG_BASE_IMAGE}/--no-use-cog-base-image",
        help="Accepted for Cog compatibility (=true|false); cog_py always builds its own base layers.",
        show_default=False,
    ),
]


def normalise_bool_options(args: list[str]) -> list[str]:
    """Accept Cog's `--use-cog-base-image=true|false` spelling (our flags take no `=value`).

    Only for the commands that have the option, and only up to a `--`, so an argument meant for
    a program (`cog exec ...`) is never touched.
    """
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in _COG_BASE_IMAGE_COMMANDS:
        return args
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--":
            return out + args[index:]
        name, eq, value = arg.partition("=")
        if name == USE_COG_BASE_IMAGE and eq and value.lower() in ("true", "false"):
            arg = USE_COG_BASE_IMAGE if value.lower() == "true" else "--no-use-cog-base-image"
        out.append(arg)
    return out


_COG_BASE_IMAGE_COMMANDS = ("build", "predict", "run", "serve", "push")


def note_cog_base_image(use: bool) -> None:
    """`--use-cog-base-image=true`: say once that it changes nothing here, and go on."""
    if use:
        console.info("--use-cog-base-image: cog_py builds its own base layers (no cog-base image); continuing.")
