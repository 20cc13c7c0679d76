from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.build.plan import BuildOptions
from cog_py.build.planner import make_plan
from cog_py.errors import BuildError
from tests.unit.build.conftest import make_config


@pytest.mark.parametrize("version", ["3.9", "3.10", "3.11", "3.12", "3.13", "3.12.7"])
def test_supported_pythons_use_the_slim_base(project: Path, version: str) -> None:
    plan = make_plan(make_config(project, python_version=version), BuildOptions())
    assert plan.base_image == f"python:{version}-slim"
    assert plan.python_bin == plan.server_python == "/usr/local/bin/python"
    assert plan.site_packages == f"/opt/cog/server/lib/python{version[:4].rstrip('.')}/site-packages"
    assert plan.standalone_pythons == ()


def test_python_3_8_gets_a_parent_interpreter_of_its_own(project: Path) -> None:
    """fastapi/pydantic's current releases need 3.9+: the parent runs on a standalone CPython 3.12
    in the image; the model (worker) keeps the image's Python 3.8."""
    plan = make_plan(make_config(project, python_version="3.8"), BuildOptions())
    assert plan.base_image == "python:3.8-slim"
    assert plan.python_bin == "/usr/local/bin/python"
    (server,) = plan.standalone_pythons
    assert (server.minor, server.prefix) == ("3.12", "/opt/cog/server-python")
    assert plan.server_python == "/opt/cog/server-python/bin/python3.12"
    assert plan.server_python_short == "3.12"
    assert plan.site_packages == "/opt/cog/server/lib/python3.12/site-packages"
    assert ("COG_WORKER_PYTHON", "/usr/local/bin/python") in plan.runtime_env
    assert {"curl", "ca-certificates"} <= set(plan.apt_packages)


@pytest.mark.parametrize("version", ["3.14", "4.0"])
def test_unknown_python_is_a_clear_error(project: Path, version: str) -> None:
    with pytest.raises(BuildError) as err:
        make_plan(make_config(project, python_version=version), BuildOptions())
    assert err.value.message == (f"unsupported Python version {version}: cog_py builds images for Python "
                                 "3.8, 3.9, 3.10, 3.11, 3.12, 3.13")
    assert err.value.hint and "python_version" in err.value.hint


@pytest.mark.parametrize("version", ["3.7", "3.6", "2.7"])
def test_python_older_than_3_8_is_rejected(project: Path, version: str) -> None:
    with pytest.raises(BuildError) as err:
        make_plan(make_config(project, python_version=version), BuildOptions())
    assert err.value.message == f'invalid build.python_version "{version}": minimum supported Python version is 3.8'


def test_gpu_torch_defaults_to_the_slim_base_and_the_cuda_index(project: Path) -> None:
    plan = make_plan(make_config(project, gpu=True, requirements=("torch==2.7.1",)), BuildOptions())
    assert plan.base_image == "python:3.11-slim"
    assert (plan.cuda, plan.cudnn) == ("12.8", "9")
    assert "--extra-index-url https://download.pytorch.org/whl/cu128" in plan.requirements_text
    assert ("COG_GPU", "1") in plan.baked_env
    assert ("NVIDIA_DRIVER_CAPABILITIES", "all") in plan.preamble_env


def test_explicit_cuda_uses_the_nvidia_base(project: Path) -> None:
    plan = make_plan(make_config(project, gpu=True, cuda="12.8", requirements=("torch==2.7.1",)), BuildOptions())
    assert plan.base_image == "nvidia/cuda:12.8.1-cudnn-devel-ubuntu22.04"
    assert plan.python_bin == "/opt/cog/python/bin/python"
    assert plan.apt_packages == ("tini", "python3.11", "python3.11-venv")
    assert plan.apt_check_python == "python3.11"


def test_python_3_12_on_cuda_picks_ubuntu_24_04(project: Path) -> None:
    plan = make_plan(make_config(project, python_version="3.12", gpu=True, cuda="12.8"), BuildOptions())
    assert plan.base_image == "nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04"


def test_cuda_base_without_that_python_installs_a_standalone_build(project: Path) -> None:
    plan = make_plan(make_config(project, python_version="3.13", gpu=True, cuda="12.8"), BuildOptions())
    assert plan.base_image == "nvidia/cuda:12.8.1-cudnn-devel-ubuntu24.04"
    (sp,) = plan.standalone_pythons
    assert (sp.minor, sp.prefix) == ("3.13", "/opt/cog/python-standalone")
    assert plan.venv_python == "/opt/cog/python-standalone/bin/python3.13"
    assert plan.apt_check_python is None
    assert plan.apt_packages == ("tini", "curl", "ca-certificates")
    assert plan.python_bin == plan.server_python == "/opt/cog/python/bin/python"


def test_use_cuda_base_image_flag(project: Path) -> None:
    cfg = make_config(project, gpu=True, requirements=("torch==2.0.1",))
    assert make_plan(cfg, BuildOptions(use_cuda_base_image="true")).base_image == \
        "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu22.04"
    cfg = make_config(project, gpu=True, cuda="11.8", requirements=("torch==2.0.1",))
    assert make_plan(cfg, BuildOptions(use_cuda_base_image="false")).base_image == "python:3.11-slim"


def test_cpu_model_ignores_the_cuda_flag(project: Path) -> None:
    assert make_plan(make_config(project), BuildOptions(use_cuda_base_image="true")).base_image == "python:3.11-slim"


def test_gpu_warnings_reach_the_plan(project: Path) -> None:
    plan = make_plan(make_config(project, gpu=True, cuda="12.4", requirements=("torch==2.7.1",)), BuildOptions())
    assert plan.warnings[0].startswith("Cog doesn't know if CUDA 12.4 is compatible with PyTorch 2.7.1")


def test_system_packages_join_tini_in_one_apt_layer(project: Path) -> None:
    plan = make_plan(make_config(project, system_packages=("ffmpeg", "libgl1", "tini")), BuildOptions())
    assert plan.apt_packages == ("tini", "ffmpeg", "libgl1")


def test_bad_system_package_name(project: Path) -> None:
    with pytest.raises(BuildError, match="not a Debian package name"):
        make_plan(make_config(project, system_packages=("ffmpeg; rm -rf /",)), BuildOptions())


def test_secret_mounts_need_buildkit(project: Path) -> None:
    plan = make_plan(make_config(project, run=("echo a", ("cat /run/s", (("tok", "/run/s"),)))), BuildOptions())
    assert plan.needs_buildkit
    assert not make_plan(make_config(project, run=("echo a",)), BuildOptions()).needs_buildkit


def test_baked_environment(project: Path) -> None:
    cfg = make_config(project, train="train.py:train", concurrency_max=4, python_version="3.12")
    plan = make_plan(cfg, BuildOptions())
    assert plan.baked_env == (
        ("COG_PREDICT_TYPE_STUB", "predict.py:Predictor"),
        ("COG_TRAIN_TYPE_STUB", "train.py:train"),
        ("COG_MAX_CONCURRENCY", "4"),
    )


def test_concurrency_from_the_decorator(project: Path) -> None:
    plan = make_plan(make_config(project), BuildOptions(concurrency_max=8))
    assert ("COG_MAX_CONCURRENCY", "8") in plan.baked_env


def test_dev_mode_does_not_copy_the_source(project: Path) -> None:
    assert make_plan(make_config(project), BuildOptions(mode="release")).copy_source
    assert not make_plan(make_config(project), BuildOptions(mode="dev")).copy_source


def test_weights_only_with_separate_weights(project: Path) -> None:
    cfg = make_config(project)
    assert make_plan(cfg, BuildOptions(weights=("w.bin",))).weights == ()
    assert make_plan(cfg, BuildOptions(weights=("w.bin",), separate_weights=True)).weights == ("w.bin",)


def test_queue_and_batch_are_baked(project: Path) -> None:
    from cog_py.config.models import BatchConfig

    cfg = make_config(project).model_copy(update={"concurrency_queue": 64,
                                                   "batch": BatchConfig(max_size=16, max_wait_ms=2.5)})
    env = dict(make_plan(cfg, BuildOptions()).baked_env)
    assert (env["COG_QUEUE_SIZE"], env["COG_BATCH_MAX_SIZE"], env["COG_BATCH_MAX_WAIT_MS"]) == ("64", "16", "2.5")
    assert "COG_QUEUE_SIZE" not in dict(make_plan(make_config(project), BuildOptions()).baked_env)
