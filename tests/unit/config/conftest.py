from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cog_py.config.loader import LoadedConfig, load_config


@pytest.fixture
def write_project(tmp_path: Path) -> Callable[..., Path]:
    """Write cog.yaml (and any extra files) into a fresh project directory; return cog.yaml's path."""

    def write(text: str, files: dict[str, str] | None = None) -> Path:
        for name, content in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        config = tmp_path / "cog.yaml"
        config.write_text(text)
        return config

    return write


@pytest.fixture
def load(write_project: Callable[..., Path]) -> Callable[..., LoadedConfig]:
    def do_load(text: str, files: dict[str, str] | None = None) -> LoadedConfig:
        return load_config(write_project(text, files))

    return do_load
