from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.cli.options import progress_mode
from cog_py.cli.main import main
from cog_py.errors import CogError


def test_progress_mode() -> None:
    assert progress_mode(None, {}) == "auto"
    assert progress_mode(None, {"TERM": "dumb"}) == "plain"
    assert progress_mode(None, {"BUILDKIT_PROGRESS": "quiet", "TERM": "dumb"}) == "quiet"
    assert progress_mode("tty", {}) == "auto"
    assert progress_mode("PLAIN", {}) == "plain"
    with pytest.raises(CogError, match="invalid --progress"):
        progress_mode("fancy", {})


def test_cog_debug_prints_the_dockerfile(project: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    (project / "cog.yaml").write_text(
        'build:\n  python_version: "3.12"\n  system_packages: [ffmpeg]\npredict: "predict.py:Predictor"\n')
    monkeypatch.chdir(project)
    assert main(["debug"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("FROM python:3.12-slim AS cog-system\n")
    assert "tini ffmpeg" in out.out and out.out.endswith("COPY src/ /src/\n")


def test_cog_debug_gpu_plan(project: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    (project / "requirements.txt").write_text("torch==2.0.1\n")
    (project / "cog.yaml").write_text(
        'build:\n  python_version: "3.11"\n  gpu: true\n  python_requirements: requirements.txt\n'
        'predict: "predict.py:Predictor"\n')
    monkeypatch.chdir(project)
    assert main(["debug", "--use-cuda-base-image", "true"]) == 0
    assert capsys.readouterr().out.startswith("FROM nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04 AS cog-system\n")


def test_debug_says_which_torch_a_pin_stands_for(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # issue 12 rows "torch-unpinned" and "torch-specifier": one line says which release decided CUDA
    (project / "requirements.txt").write_text("torch\n")
    (project / "cog.yaml").write_text(
        'build:\n  python_version: "3.11"\n  gpu: true\n  python_requirements: requirements.txt\n'
        'predict: "predict.py:Predictor"\n')
    monkeypatch.chdir(project)
    assert main(["debug"]) == 0
    err = capsys.readouterr().err
    assert "torch has no version in your requirements: using torch==2.14.0" in err
    assert "torch (no version) stands for torch 2.14.0: CUDA 13.0, cuDNN 9" in err
    (project / "requirements.txt").write_text("torch<2.3\n")
    assert main(["debug"]) == 0
    err = capsys.readouterr().err
    assert "torch<2.3 stands for torch 2.2.2, the newest release in cog_py's tables it allows: CUDA 12.1, cuDNN 8" in err
    assert "python:X-slim base: torch's wheels carry their CUDA libraries" in err


def test_unsatisfiable_torch_pin_fails_before_any_build(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    (project / "requirements.txt").write_text("torch<1.0\n")
    (project / "cog.yaml").write_text(
        'build:\n  python_version: "3.11"\n  gpu: true\n  python_requirements: requirements.txt\n'
        'predict: "predict.py:Predictor"\n')
    monkeypatch.chdir(project)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert main(["build"]) == 1
    assert "no torch release in cog_py's version tables satisfies 'torch<1.0'" in capsys.readouterr().err


def test_build_without_an_engine_says_how_to_get_one(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert main(["build"]) == 1
    err = capsys.readouterr().err
    assert "cannot reach the Docker engine" in err and "scripts/engine up" in err


def test_bad_predictor_fails_fast(project: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    (project / "cog.yaml").write_text('build:\n  python_version: "3.11"\npredict: "missing.py:Predictor"\n')
    monkeypatch.chdir(project)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert main(["build"]) == 1
    # Refused before any Docker work: the file is checked where it is named, not inside the image.
    err = capsys.readouterr().err
    assert 'Error: cog.yaml: predict: "missing.py:Predictor": the file missing.py does not exist' in err
