"""Where the read-only reference material lives: `<repo root>/../shared`, else `$COG_SHARED_DIR`.

Tests read it at run time (never copied into the project) and skip with a reason without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    for candidate in (REPO_ROOT.parent / "shared", os.environ.get("COG_SHARED_DIR")):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def shared_path(*parts: str) -> Path:
    """A path under the shared reference directory (parts may contain slashes); skips the calling
    test, saying why, when it is not there."""
    root = shared_dir()
    path = root.joinpath(*parts) if root is not None else None
    if path is None or not path.exists():
        pytest.skip(f"reference material {'/'.join(parts)} not found (no ../shared next to the repo and no COG_SHARED_DIR)")
    return path
