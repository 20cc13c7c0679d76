"""`check_predictor_refs`: the file and the name a predict/train reference points at (no import)."""

from __future__ import annotations

from pathlib import Path

from cog_py.cli.main import main
from cog_py.config.checks import check_predictor_refs

PREDICT = """\
import os
try:
    from fast import Helper
except ImportError:
    Helper = None

class Predictor:
    def predict(self) -> str:
        return "x"

async def run() -> str:
    return "y"

Alias = Predictor
"""


def test_existing_files_and_names_pass(tmp_path: Path) -> None:
    (tmp_path / "predict.py").write_text(PREDICT)
    for name in ("Predictor", "run", "Alias", "Helper"):
        assert check_predictor_refs(f"predict.py:{name}", None, tmp_path) == []
    (tmp_path / "star.py").write_text("from elsewhere import *\n")
    assert check_predictor_refs("star.py:Anything", None, tmp_path) == []
    assert check_predictor_refs(None, None, tmp_path) == []


def test_a_missing_file_or_name_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "predict.py").write_text(PREDICT)
    (tmp_path / "broken.py").write_text("class X(:\n")
    problems = check_predictor_refs("nope.py:Predictor", "predict.py:Nope", tmp_path)
    assert problems == [
        f'predict: "nope.py:Predictor": the file nope.py does not exist in {tmp_path}',
        'train: "predict.py:Nope": predict.py defines no class or function named Nope',
    ]
    [broken] = check_predictor_refs("broken.py:X", None, tmp_path)
    assert broken.startswith('predict: "broken.py:X": broken.py:1 does not parse')


def test_cog_debug_refuses_a_missing_predictor_before_any_docker_work(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "predict.py").write_text(PREDICT)
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.11"\npredict: "predict.py:Nope"\n')
    assert main(["debug"]) == 1
    err = capsys.readouterr().err
    assert 'Error: cog.yaml: predict: "predict.py:Nope": predict.py defines no class or function named Nope' in err


def test_cog_build_refuses_a_missing_predictor_file_before_connecting(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")   # any engine work would fail differently
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.11"\npredict: "nope.py:Predictor"\n')
    assert main(["build", "-t", "cog-py-test-refs"]) == 1
    err = capsys.readouterr().err
    assert f'Error: cog.yaml: predict: "nope.py:Predictor": the file nope.py does not exist in {tmp_path}' in err
