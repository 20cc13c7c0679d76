"""The wheel ships the templates and the `cog` shim, and a fresh install gives a working `cog`."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (built,) = out.glob("cog_py-*.whl")
    return built


def test_wheel_contains_templates_shim_and_entry_point(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    for template in ("cog.yaml", "predict.py", "requirements.txt", "dockerignore"):
        assert f"cog_py/templates/init/{template}" in names
    assert "cog/__init__.py" in names
    assert "cog_py/cli/main.py" in names and "cog_py/py.typed" in names
    for static in ("index.html", "app.js", "style.css"):   # the playground's page (package data)
        assert f"cog_py/playground/static/{static}" in names
    assert "cog = cog_py.cli.main:main" in scripts
    assert not any(n.startswith("tests/") for n in names)


def test_fresh_venv_install_gives_a_working_cog_init(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    # system site-packages provide typer, pydantic, ... so nothing is downloaded
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        timeout=300,
    )
    where = subprocess.run(
        [str(python), "-c", "import cog_py, cog_py.templates as t; print(cog_py.__file__); print(t.templates_dir())"],
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60,
    ).stdout.splitlines()
    assert where[0].startswith(str(venv)), "the venv must use the installed wheel, not the checkout"
    assert where[1] == str(Path(where[0]).parent / "templates")

    cog = venv / "bin" / "cog"
    project = tmp_path / "project"
    project.mkdir()
    first = subprocess.run([str(cog), "init"], cwd=project, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "Creating predict.py" in first.stderr
    assert sorted(p.name for p in project.iterdir()) == [".dockerignore", "cog.yaml", "predict.py", "requirements.txt"]
    before = {p.name: p.read_bytes() for p in project.iterdir()}

    second = subprocess.run([str(cog), "init"], cwd=project, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0
    assert "Skipped existing cog.yaml" in second.stderr
    assert "Nothing to do" in second.stderr
    assert {p.name: p.read_bytes() for p in project.iterdir()} == before

    # the Dockerfile templates are found inside the installed package too
    debug = subprocess.run([str(cog), "debug"], cwd=project, capture_output=True, text=True, timeout=120)
    assert debug.returncode == 0, debug.stderr
    assert debug.stdout.startswith("FROM python:3.11-slim"), debug.stdout[:500]
