"""Golden-file assertions. Set UPDATE_GOLDEN=1 to rewrite the files, then review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).parent / "golden"


def assert_golden(name: str, actual: str) -> None:
    """Compare `actual` with tests/golden/<name>; rewrite it when UPDATE_GOLDEN=1."""
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        if not path.exists() and os.environ.get("CI"):
            raise AssertionError(f"golden file {path} is missing (run with UPDATE_GOLDEN=1 and commit it)")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    expected = path.read_text()
    assert actual == expected, f"{name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)"


def assert_golden_json(name: str, value: Any) -> None:
    """Compare a JSON-able value with a pretty-printed golden file."""
    assert_golden(name, json.dumps(value, indent=2, sort_keys=False) + "\n")
