"""Standalone CPython builds: the data table and its overrides (COG_PYTHON_MIRROR, COG_PYTHON_BUILDS)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cog_py.build.dockerfile import render_dockerfile
from cog_py.build.plan import BuildOptions
from cog_py.build.planner import make_plan
from cog_py.build.standalone import standalone_python, standalone_versions
from cog_py.errors import BuildError
from tests.unit.build.conftest import make_config


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COG_PYTHON_MIRROR", raising=False)
    monkeypatch.delenv("COG_PYTHON_BUILDS", raising=False)


def test_every_supported_python_has_a_well_formed_build() -> None:
    assert standalone_versions() == ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
    for minor in standalone_versions():
        sp = standalone_python(minor, "/opt/x")
        assert sp.version.startswith(minor + ".")
        assert re.fullmatch(r"[0-9a-f]{64}", sp.sha256)
        assert sp.url.startswith("https://github.com/astral-sh/python-build-standalone/releases/download/")
        assert f"cpython-{sp.version}%2B" in sp.url and "x86_64-unknown-linux-gnu-install_only" in sp.url
        assert sp.url.endswith(".tar.gz") and sp.python == f"/opt/x/bin/python{minor}"


def test_mirror_replaces_the_download_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COG_PYTHON_MIRROR", "https://mirror.example.com/pbs/")
    sp = standalone_python("3.12", "/opt/x")
    assert sp.url.startswith("https://mirror.example.com/pbs/20240909/cpython-3.12.6%2B20240909-")


def test_builds_file_replaces_entries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, project: Path) -> None:
    own = tmp_path / "builds.json"
    own.write_text(json.dumps({"mirror": "http://127.0.0.1:9/py", "builds": {"3.12": {
        "version": "3.12.9", "release": "mine", "file": "cpython-3.12.9+mine.tar.gz", "sha256": "ab" * 32}}}))
    monkeypatch.setenv("COG_PYTHON_BUILDS", str(own))
    sp = standalone_python("3.12", "/opt/x")
    assert (sp.url, sp.sha256, sp.version) == ("http://127.0.0.1:9/py/mine/cpython-3.12.9%2Bmine.tar.gz", "ab" * 32, "3.12.9")
    assert standalone_python("3.13", "/opt/x").url.startswith("http://127.0.0.1:9/py/")  # mirror for all
    plan = make_plan(make_config(project, gpu=True, cuda="12.1", python_version="3.12"), BuildOptions())
    text = render_dockerfile(plan)
    assert "http://127.0.0.1:9/py/mine/cpython-3.12.9%2Bmine.tar.gz" in text
    assert f'echo "{"ab" * 32}  /tmp/cog-python.tar.gz" | sha256sum -c -' in text


def test_bad_override_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COG_PYTHON_BUILDS", str(tmp_path / "missing.json"))
    with pytest.raises(BuildError, match="COG_PYTHON_BUILDS: cannot read"):
        standalone_python("3.12", "/opt/x")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"builds": {"3.12": {"version": "3.12.9", "release": "r", "file": "f.tar.gz",
                                                    "sha256": "not-a-digest"}}}))
    monkeypatch.setenv("COG_PYTHON_BUILDS", str(bad))
    with pytest.raises(BuildError, match="is not a SHA-256 hex digest"):
        standalone_python("3.12", "/opt/x")


def test_unknown_version_names_the_override() -> None:
    with pytest.raises(BuildError) as err:
        standalone_python("3.7", "/opt/x")
    assert "no standalone Python build is known for Python 3.7" in err.value.message
    assert err.value.hint and "COG_PYTHON_BUILDS" in err.value.hint
