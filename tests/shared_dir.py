"""Where the read-only reference material lives: `<repo root>/../shared`, else $COG_SHARED_DIR.

It is never copied into the project; tests that need it skip, with the reason, when it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    """The shared directory, or None when this checkout has none."""
    for candidate in (REPO_ROOT.parent / "shared", os.environ.get("COG_SHARED_DIR")):
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def shared_path(*parts: str) -> Path:
    """A path under the shared directory; skips the calling test when it is not there."""
    root = shared_dir()
    path = root.joinpath(*parts) if root is not None else None
    if path is None or not path.exists():
        pytest.skip(f"reference material {'/'.join(parts)} is absent (../shared next to the repo, or set COG_SHARED_DIR)")
    return path
