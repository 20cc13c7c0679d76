from __future__ import annotations

import tarfile
from pathlib import Path

from cog_py.build.context import find_weights, scan_project, warn_if_large, write_context
from cog_py.build.dockerfile import render_dockerfile
from cog_py.build.plan import BuildOptions
from cog_py.build.planner import make_plan
from tests.unit.build.conftest import make_config


def _names(project: Path, options: BuildOptions, **build: object) -> list[str]:
    plan = make_plan(make_config(project, **build), options)  # type: ignore[arg-type]
    files = scan_project(project)
    with write_context(plan, render_dockerfile(plan), files, generated={"cog/requirements.txt": b"x\n"},
                       files={}) as fh, tarfile.open(fileobj=fh) as tar:
        return tar.getnames()


def test_dockerignore_is_respected_and_dot_cog_always_excluded(project: Path) -> None:
    (project / ".cog").mkdir()
    (project / ".cog" / "openapi_schema.json").write_text("{}")
    (project / "secret.env").write_text("A=1")
    (project / "data").mkdir()
    (project / "data" / "keep.txt").write_text("k")
    (project / "data" / "drop.tmp").write_text("d")
    (project / ".dockerignore").write_text("secret.env\n**/*.tmp\n")
    names = _names(project, BuildOptions())
    assert "Dockerfile" in names and "cog/requirements.txt" in names
    assert "src/predict.py" in names and "src/data/keep.txt" in names and "src/cog.yaml" in names
    assert "src/secret.env" not in names and "src/data/drop.tmp" not in names
    assert not any(n.startswith("src/.cog") for n in names)


def test_git_repository_never_enters_the_image(project: Path) -> None:
    """A remote URL in .git/config can carry credentials: .git stays out without a .dockerignore."""
    (project / ".git").mkdir()
    (project / ".git" / "config").write_text('[remote "origin"]\n\turl = https://u:pw@example.com/r.git\n')
    (project / ".gitignore").write_text("*.tmp\n")
    names = _names(project, BuildOptions())
    assert not any(n == "src/.git" or n.startswith("src/.git/") for n in names)
    assert "src/.gitignore" in names and "src/predict.py" in names


def test_dev_mode_sends_no_source(project: Path) -> None:
    names = _names(project, BuildOptions(mode="dev"))
    assert not any(n.startswith("src/") for n in names)


def test_weights_and_local_wheels_leave_the_source_copy(project: Path) -> None:
    (project / "w.bin").write_bytes(b"\0" * 100)
    (project / "dist").mkdir()
    (project / "dist" / "a-1-py3-none-any.whl").write_bytes(b"x")
    names = _names(project, BuildOptions(separate_weights=True, weights=("w.bin",)),
                   requirements=("dist/a-1-py3-none-any.whl",))
    assert "weights/w.bin" in names and "src/w.bin" not in names
    assert "cog/local/dist/a-1-py3-none-any.whl" in names and "src/dist/a-1-py3-none-any.whl" not in names


def test_find_weights(project: Path) -> None:
    big = 10 * 1024 * 1024
    (project / "model.safetensors").write_bytes(b"\0" * big)
    (project / "small.bin").write_bytes(b"\0" * 10)
    (project / "video.mp4").write_bytes(b"\0" * big)
    (project / "__pycache__").mkdir()
    (project / "__pycache__" / "x.bin").write_bytes(b"\0" * big)
    assert find_weights(scan_project(project)) == ("model.safetensors",)


def test_large_context_warning_names_the_largest_files(project: Path, monkeypatch) -> None:
    import cog_py.build.context as ctx

    monkeypatch.setattr(ctx, "LARGE_CONTEXT", 1000)
    (project / "huge.bin").write_bytes(b"\0" * 5000)
    said: list[str] = []
    warn_if_large(scan_project(project), said.append)
    assert said and "huge.bin" in said[0] and "The build context is" in said[0]
    said.clear()
    monkeypatch.setattr(ctx, "LARGE_CONTEXT", 10**9)
    warn_if_large(scan_project(project), said.append)
    assert said == []
