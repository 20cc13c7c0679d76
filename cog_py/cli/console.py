"""Everything the CLI prints goes through here.

Human messages (info, warn, error, success, debug) go to stderr; results go to stdout via
`output()` so they can be piped. With colour on, messages get Cog's icons; colour is off with
`--no-color`, `NO_COLOR`/`COG_NO_COLOR`, or when stderr is not a terminal.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import typer


@dataclass
class _Settings:
    debug: bool = False
    no_color: bool = False


_settings = _Settings()

_STYLES = {
    "info": ("⚙ ", None),
    "warn": ("⚠ ", "yellow"),
    "error": ("✗ ", "red"),
    "success": ("✔ ", "green"),
    "debug": ("· ", "bright_black"),
}


def configure(*, debug: bool | None = None, no_color: bool | None = None) -> None:
    """Record the global flags; `no_color` also exports NO_COLOR=1 for child processes."""
    if debug is not None:
        _settings.debug = debug
    if no_color is not None:
        _settings.no_color = no_color
        if no_color:
            os.environ["NO_COLOR"] = "1"


def debug_enabled() -> bool:
    """Whether `--debug` was given (commands pass it on, e.g. to container log levels)."""
    return _settings.debug


def color_enabled() -> bool:
    """Whether stderr messages are styled."""
    if _settings.no_color or os.environ.get("NO_COLOR") or os.environ.get("COG_NO_COLOR"):
        return False
    return sys.stderr.isatty()


def _emit(kind: str, message: str) -> None:
    icon, colour = _STYLES[kind]
    if color_enabled():
        message = typer.style(icon + message, fg=colour) if colour else icon + message
    typer.echo(message, err=True)


def info(message: str) -> None:
    """Print a progress or status message to stderr."""
    _emit("info", message)


def warn(message: str) -> None:
    """Print a warning to stderr."""
    _emit("warn", message)


def error(message: str) -> None:
    """Print an error message to stderr."""
    _emit("error", message)


def hint(message: str) -> None:
    """Print what the user can do about the error just printed."""
    typer.echo(f"Hint: {message}", err=True)


def success(message: str) -> None:
    """Print a final success message to stderr."""
    _emit("success", message)


def debug(message: str) -> None:
    """Print a message to stderr only when `--debug` is on."""
    if _settings.debug:
        _emit("debug", message)


def output(text: str, *, newline: bool = True) -> None:
    """Print a result (prediction output, JSON, Dockerfile text) to stdout."""
    typer.echo(text, nl=newline)
