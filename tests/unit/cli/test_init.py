"""`cog init` writes a starter project that loads, and never overwrites anything."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cog_py.cli.init import INIT_FILES
from cog_py.config.loader import load_config
from cog_py.templates import templates_dir

from .conftest import CliResult

NAMES = [name for name, _ in INIT_FILES]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_creates_the_starter_files(cog: Callable[..., CliResult], project: Path) -> None:
    result = cog("init")
    assert result.code == 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[:4] == [f"Creating {name}" for name in NAMES]
    assert lines[4].startswith("Done!")
    assert sorted(p.name for p in project.iterdir()) == sorted(NAMES)
    for name, template in INIT_FILES:
        assert (project / name).read_text() == (templates_dir() / "init" / template).read_text()


def test_second_init_changes_nothing_and_says_so(cog: Callable[..., CliResult], project: Path) -> None:
    cog("init")
    (project / "predict.py").write_text("# my own predictor\n")
    before = {name: (project / name).read_bytes() for name in NAMES}
    result = cog("init")
    assert result.code == 0
    assert result.stderr.splitlines() == [
        *[f"Skipped existing {name}" for name in NAMES],
        "Nothing to do: every file cog init writes already exists, none was changed.",
    ]
    assert {name: (project / name).read_bytes() for name in NAMES} == before


def test_init_fills_in_only_what_is_missing(cog: Callable[..., CliResult], project: Path) -> None:
    (project / "cog.yaml").write_text("build:\n  python_version: '3.12'\n")
    result = cog("init")
    assert result.stderr.splitlines()[:4] == [
        "Skipped existing cog.yaml",
        "Creating predict.py",
        "Creating requirements.txt",
        "Creating .dockerignore",
    ]
    assert (project / "cog.yaml").read_text() == "build:\n  python_version: '3.12'\n"


def test_generated_cog_yaml_is_valid(cog: Callable[..., CliResult], project: Path) -> None:
    cog("init")
    loaded = load_config(cwd=project)
    assert loaded.warnings == []
    config = loaded.config
    assert config.predict == "predict.py:Predictor" and config.predict_key == "predict"
    assert config.build.gpu is False
    assert config.build.python_requirements == "requirements.txt"
    assert config.build.requirements == ()


def test_generated_predictor_is_typed(cog: Callable[..., CliResult], project: Path) -> None:
    cog("init")
    tree = ast.parse((project / "predict.py").read_text())
    imports = [n for n in tree.body if isinstance(n, ast.ImportFrom)]
    assert [(i.module, [a.name for a in i.names]) for i in imports] == [("cog", ["BasePredictor", "Input", "Path"])]
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert cls.name == "Predictor" and [b.id for b in cls.bases if isinstance(b, ast.Name)] == ["BasePredictor"]
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    assert set(methods) == {"setup", "predict"}
    predict = methods["predict"]
    assert predict.returns is not None and ast.unparse(predict.returns) == "str"
    assert all(a.annotation is not None for a in predict.args.args[1:])


def test_generated_predictor_runs(cog: Callable[..., CliResult], project: Path) -> None:
    cog("init")
    code = "import predict; p = predict.Predictor(); p.setup(); print(p.predict(name='you', excitement=3))"
    result = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "hello, you!!!\n"


def test_dockerignore_has_cogs_entries_and_cog_state(cog: Callable[..., CliResult], project: Path) -> None:
    cog("init")
    entries = [line for line in (project / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert entries == [
        "**/.git",
        "**/.github",
        "**/.gitignore",
        ".python-version",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "/venv",
        ".cog",
    ]
