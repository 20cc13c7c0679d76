"""Where the shipped templates live (Dockerfile fragments, `cog init` scaffolds)."""

from __future__ import annotations

from pathlib import Path

import cog_py


def templates_dir() -> Path:
    """Return the templates directory: inside the package when installed from a wheel, else the repo's."""
    package_dir = Path(cog_py.__file__).resolve().parent
    shipped = package_dir / "templates"
    if shipped.is_dir():
        return shipped
    return package_dir.parent / "templates"
