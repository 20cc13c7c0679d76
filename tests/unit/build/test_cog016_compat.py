"""Issue 12: cog.yaml keys Cog 0.16 accepted, the packages Cog put in the model's environment,
and the base image rule (system CUDA)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.build.dockerfile import render_dockerfile
from cog_py.build.plan import BuildOptions
from cog_py.build.planner import make_plan
from cog_py.build.system_cuda import system_cuda_reason
from cog_py.config.loader import parse_config
from tests.unit.build.conftest import make_config


def test_fast_cog_runtime_and_tests_are_accepted_with_a_note(tmp_path: Path) -> None:
    loaded = parse_config(
        'build:\n  python_version: "3.11"\n  fast: true\n  cog_runtime: false\n'
        'predict: "predict.py:Predictor"\ntests:\n  - cog predict -i x=1\n',
        config_path=tmp_path / "cog.yaml",
    )
    assert loaded.warnings == [
        "cog.yaml:3: \"build.fast\" has no effect in cog_py (Cog's experimental fast push); it can stay",
        "cog.yaml:4: \"build.cog_runtime\" has no effect in cog_py: images always run cog_py's own runtime",
        "cog.yaml:6: \"tests\" is ignored by cog_py (Cog's test commands are not run)",
    ]


def test_python_overrides_replace_pins_and_constrain_the_rest(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("transformers==4.41.0\ntokenizers==0.15.0\n")
    (tmp_path / "overrides.txt").write_text("tokenizers==0.19.1\nhuggingface-hub<0.24\n")
    loaded = parse_config(
        'build:\n  python_version: "3.11"\n  python_requirements: requirements.txt\n'
        '  python_overrides: overrides.txt\npredict: "predict.py:Predictor"\n',
        config_path=tmp_path / "cog.yaml",
    )
    plan = make_plan(loaded.config, BuildOptions())
    assert plan.requirements_text.splitlines()[:2] == ["transformers==4.41.0", "tokenizers==0.19.1"]
    assert plan.constraints_text == "tokenizers==0.19.1\nhuggingface-hub<0.24\n"
    assert "-r /tmp/requirements.txt -c /tmp/constraints.txt" in render_dockerfile(plan)


@pytest.mark.parametrize(("requirements", "expected"), [
    (("numpy",), ["numpy", "requests", "pyyaml", "typing_extensions"]),
    (("requests==2.28.0", "PyYAML==5.4.1", "typing-extensions==4.5.0"),
     ["requests==2.28.0", "PyYAML==5.4.1", "typing-extensions==4.5.0"]),
    ((), ["requests", "pyyaml", "typing_extensions"]),
])
def test_packages_cog_installed_come_with_the_users_and_the_users_pins_win(
        project: Path, requirements: tuple[str, ...], expected: list[str]) -> None:
    # issue 12 row "cog-provided-packages"
    plan = make_plan(make_config(project, requirements=requirements), BuildOptions())
    assert plan.requirements_text.splitlines() == expected


@pytest.mark.parametrize(("requirements", "run", "needs"), [
    (("onnxruntime-gpu==1.17.1",), (), True),
    (("ctranslate2>=3",), (), True),
    (("faster-whisper",), (), True),
    (("flash_attn==2.5.0",), (), True),
    (("tensorrt-cu12",), (), True),
    (("cupy-cuda12x",), (), True),
    (("xformers @ git+https://github.com/facebookresearch/xformers.git",), (), True),
    ((), ("pip install -v -U git+https://github.com/facebookresearch/xformers.git@main#egg=xformers",), True),
    ((), ("nvcc --version",), True),
    ((), ("cd /x && /usr/local/cuda/bin/nvcc -o k k.cu",), True),
    ((), ("pip install flash-attn --no-build-isolation",), True),
    (("xformers==0.0.23", "onnxruntime==1.17.0", "torch==2.1.0"), ("pip install ninja",), False),
])
def test_system_cuda_reasons(requirements: tuple[str, ...], run: tuple[str, ...], needs: bool) -> None:
    assert (system_cuda_reason(requirements, run) is not None) is needs


def test_base_image_rule(project: Path) -> None:
    # issue 12 row "system-cuda": decidable, README "Base image rule"
    def base(**build: object) -> str:
        return make_plan(make_config(project, gpu=True, **build), BuildOptions()).base_image

    assert base(requirements=("torch==2.1.0",)) == "python:3.11-slim"
    assert base(requirements=("torch==2.1.0", "onnxruntime-gpu")).startswith("nvidia/cuda:12.1")
    assert base(requirements=("faster-whisper",)) == "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04"
    assert base(requirements=("numpy",)) == "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04"
    # no pin and no image packages the Python: the CUDA image with a standalone CPython (issue 14)
    assert base(requirements=("numpy",), python_version="3.13") == "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04"
    assert base(requirements=("torch==2.1.0",), cuda="11.8").startswith("nvidia/cuda:11.8")


def test_old_torch_builds_come_from_the_find_links_page(project: Path) -> None:
    plan = make_plan(make_config(project, gpu=True, requirements=("torch==1.8.1", "torchvision==0.9.1",
                                                                  "torchaudio==0.8.1")), BuildOptions())
    assert plan.cuda == "11.1"
    assert plan.requirements_text.splitlines()[:4] == [
        "--find-links https://download.pytorch.org/whl/torch_stable.html",
        "torch==1.8.1+cu111", "torchvision==0.9.1+cu111", "torchaudio==0.8.1"]


def test_unversioned_torchvision_follows_the_torch_pin(project: Path) -> None:
    plan = make_plan(make_config(project, gpu=True, requirements=("torch==2.1.0", "torchvision", "torchaudio>=2")),
                     BuildOptions())
    assert plan.requirements_text.splitlines()[:4] == [
        "--extra-index-url https://download.pytorch.org/whl/cu121", "torch==2.1.0", "torchvision==0.16.0",
        "torchaudio>=2"]


def test_the_build_warnings_know_every_module_the_loader_names() -> None:
    from cog_py.build import provided
    from cog_py.predictor.loader import COG_016_PROVIDED

    assert provided._COG_016_NAMES == set(COG_016_PROVIDED)
