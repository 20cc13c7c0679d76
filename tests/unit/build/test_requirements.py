from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.build.requirements import render_requirements
from cog_py.errors import BuildError


def render(lines: tuple[str, ...], project: Path, cuda: str | None = None):
    return render_requirements(lines, gpu_cuda=cuda, base_dir=project, project_dir=project)


def test_our_own_packages_are_dropped_with_a_warning(tmp_path: Path) -> None:
    res = render(("cog==0.9.0", "numpy==1.26.4", "cog_py", "coglet>=0.1", "Cog-Py==1"), tmp_path)
    assert res.text == "numpy==1.26.4\n"
    assert len(res.warnings) == 4
    assert res.warnings[0] == (
        "'cog==0.9.0' found in requirements: removed. cog_py installs its own runtime in the image; "
        "remove the line from your requirements."
    )


def test_packages_that_only_start_with_cog_are_kept(tmp_path: Path) -> None:
    res = render(("cogapp==3.3.0", "cognite-sdk"), tmp_path)
    assert res.text == "cogapp==3.3.0\ncognite-sdk\n" and res.warnings == []


def test_local_wheel_and_sdist_paths(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "mypkg-1.0-py3-none-any.whl").write_bytes(b"x")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "other-2.0.tar.gz").write_bytes(b"x")
    res = render(("./dist/mypkg-1.0-py3-none-any.whl", "vendor/other-2.0.tar.gz", "pillow"), tmp_path)
    assert [a.rel for a in res.artifacts] == ["dist/mypkg-1.0-py3-none-any.whl", "vendor/other-2.0.tar.gz"]
    assert res.text == (
        "/tmp/cog-local/dist/mypkg-1.0-py3-none-any.whl\n/tmp/cog-local/vendor/other-2.0.tar.gz\npillow\n"
    )


def test_local_paths_are_relative_to_the_requirements_file(tmp_path: Path) -> None:
    (tmp_path / "reqs" / "wheels").mkdir(parents=True)
    (tmp_path / "reqs" / "wheels" / "a-1-py3-none-any.whl").write_bytes(b"x")
    res = render_requirements(("wheels/a-1-py3-none-any.whl",), gpu_cuda=None,
                              base_dir=tmp_path / "reqs", project_dir=tmp_path)
    assert res.artifacts[0].rel == "reqs/wheels/a-1-py3-none-any.whl"


def test_missing_local_artifact(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="requirement 'dist/nope.whl': file not found"):
        render(("dist/nope.whl",), tmp_path)


def test_local_artifact_outside_the_project(tmp_path: Path) -> None:
    project = tmp_path / "p"
    project.mkdir()
    (tmp_path / "x-1-py3-none-any.whl").write_bytes(b"x")
    with pytest.raises(BuildError, match="points outside the project directory"):
        render(("../x-1-py3-none-any.whl",), project)


def test_torch_on_cpu_gets_the_cpu_index(tmp_path: Path) -> None:
    res = render(("torch==2.3.0", "torchvision==0.18.0", "pandas==2.2.2"), tmp_path)
    assert res.text == (
        "--extra-index-url https://download.pytorch.org/whl/cpu\n"
        "torch==2.3.0\ntorchvision==0.18.0\npandas==2.2.2\n"
    )


def test_torch_on_gpu_gets_the_cuda_index(tmp_path: Path) -> None:
    res = render(("torch==2.3.0+cu121", "torchaudio==2.3.0"), tmp_path, cuda="12.1")
    assert res.text == "--extra-index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.0\ntorchaudio==2.3.0\n"


def test_torch_index_is_the_highest_cuda_not_above_the_resolved_one(tmp_path: Path) -> None:
    res = render(("torch==2.7.1",), tmp_path, cuda="12.7")
    assert res.text.startswith("--extra-index-url https://download.pytorch.org/whl/cu126\n")


def test_options_come_first_and_are_deduplicated(tmp_path: Path) -> None:
    res = render(("numpy", "--extra-index-url https://x.example/simple", "-f https://links.example/",
                  "--extra-index-url https://x.example/simple", "torch==2.3.0"), tmp_path)
    assert res.text.splitlines() == [
        "--find-links https://links.example/",
        "--extra-index-url https://x.example/simple",
        "--extra-index-url https://download.pytorch.org/whl/cpu",
        "numpy",
        "torch==2.3.0",
    ]


def test_pins_with_their_own_index_are_kept_verbatim(tmp_path: Path) -> None:
    line = "torch==2.0.1 --extra-index-url https://download.pytorch.org/whl/cu117"
    assert render((line,), tmp_path).text == line + "\n"


def test_user_pins_are_not_clobbered(tmp_path: Path) -> None:
    assert render(("pydantic==1.10.13",), tmp_path).text == "pydantic==1.10.13\n"


def test_tensorflow_gpu_package(tmp_path: Path) -> None:
    assert render(("tensorflow==2.15.0",), tmp_path, cuda="12.2").text == "tensorflow==2.15.0\n"


def test_no_requirements(tmp_path: Path) -> None:
    assert render((), tmp_path).text == ""
