"""Checks whose answer depends on the date or on URL shapes, beyond the golden fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.doctor.config_checks import check_build_run_downloads, check_python_eol
from cog_py.doctor.load import load_project


@pytest.mark.parametrize("today,expected", [
    ("2026-01-01", []),
    ("2026-06-01", ["Python 3.10 reaches its end of life on 2026-10-31"]),
    ("2026-12-01", ["Python 3.10 reached its end of life on 2026-10-31: no more security fixes"]),
])
def test_python_end_of_life(tmp_path: Path, today: str, expected: list[str]) -> None:
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.10"\n')
    project = load_project(tmp_path, environ={"COG_DOCTOR_TODAY": today})
    assert [f.message for f in check_python_eol(project)] == expected


@pytest.mark.parametrize("command,pinned", [
    ("curl -L -o /w.bin https://example.com/models/v2.1/w.bin", True),
    ("wget https://huggingface.co/org/m/resolve/4f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6/model.safetensors", True),
    ("curl -L https://example.com/latest/w.bin", False),
    ("wget https://huggingface.co/org/m/resolve/main/model.safetensors", False),
    ("git clone https://github.com/a/b /b", False),
    ("git clone https://github.com/a/b /b && cd /b && git checkout 0a1b2c3d", True),
    ("pip install -r requirements-extra.txt", True),   # no download command: nothing to say
])
def test_build_run_download_pins(tmp_path: Path, command: str, pinned: bool) -> None:
    (tmp_path / "cog.yaml").write_text(f'build:\n  python_version: "3.12"\n  run:\n    - {command}\n')
    findings = check_build_run_downloads(load_project(tmp_path, environ={}))
    assert (findings == []) is pinned, findings
