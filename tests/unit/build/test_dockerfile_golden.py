"""Golden Dockerfiles: every configuration `cog debug` can print, reviewed as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cog_py.build.dockerfile import render_dockerfile
from cog_py.build.plan import BuildOptions
from cog_py.build.planner import make_plan
from tests.golden import assert_golden
from tests.unit.build.conftest import make_config

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

CASES: dict[str, tuple[dict[str, Any], BuildOptions]] = {
    "cpu-python3.10": ({"python_version": "3.10"}, BuildOptions()),
    "cpu-python3.11": ({"python_version": "3.11"}, BuildOptions()),
    "cpu-python3.12": ({"python_version": "3.12"}, BuildOptions()),
    "cpu-python3.13": ({"python_version": "3.13"}, BuildOptions()),
    "cpu-python-patch": ({"python_version": "3.11.9", "requirements": ("numpy==2.1.0",)}, BuildOptions()),
    "cpu-torch": ({"requirements": ("torch==2.3.0", "torchvision==0.18.0", "pillow")}, BuildOptions()),
    "gpu-torch2.0-cu118": ({"gpu": True, "requirements": ("torch==2.0.1",)}, BuildOptions()),
    "gpu-torch2.4-cu124": ({"gpu": True, "requirements": ("torch==2.4.1", "torchvision==0.19.1")}, BuildOptions()),
    "gpu-torch2.7-cu128": ({"gpu": True, "requirements": ("torch==2.7.1",)}, BuildOptions()),
    "gpu-torch2.10-cu130": ({"gpu": True, "python_version": "3.12", "requirements": ("torch==2.10.0",)}, BuildOptions()),
    "gpu-resnet-torch2.13": (
        {"gpu": True, "requirements": ("torch==2.13.0", "torchvision==0.28.0", "pillow==11.0.0")}, BuildOptions()),
    "gpu-cuda-base-explicit": ({"gpu": True, "cuda": "12.8", "requirements": ("torch==2.7.1",)}, BuildOptions()),
    "gpu-cuda-base-flag": ({"gpu": True, "requirements": ("torch==2.0.1",)}, BuildOptions(use_cuda_base_image="true")),
    "gpu-tensorflow": ({"gpu": True, "requirements": ("tensorflow==2.15.0",)}, BuildOptions()),
    "system-packages": ({"system_packages": ("ffmpeg", "libgl1", "libsndfile1")}, BuildOptions()),
    "run-secrets": ({"run": ("echo plain", ("pip download private --dest /opt/x", (("pip_conf", "/etc/pip.conf"),)),
                             ("cat /run/a /run/b", (("a", "/run/a"), ("b", "/run/b"))))}, BuildOptions()),
    "environment": ({}, BuildOptions()),
    "separate-weights": ({}, BuildOptions(separate_weights=True, weights=("weights/model.bin", "big.safetensors"))),
    "ca-cert": ({"requirements": ("requests",)}, BuildOptions(ca_cert=PEM)),
    "dev-mode": ({"requirements": ("numpy",)}, BuildOptions(mode="dev")),
    "train-concurrency": ({"python_version": "3.12"}, BuildOptions(concurrency_max=4)),
    "local-wheel": ({"requirements": ("./dist/mypkg-1.0-py3-none-any.whl", "requests")}, BuildOptions()),
    "with-ray": ({"requirements": ("numpy",)}, BuildOptions(with_ray=True)),
    "gpu-with-ray-cuda-base": ({"gpu": True, "requirements": ("torch==2.7.1",)},
                               BuildOptions(use_cuda_base_image="true", with_ray=True)),
    "cpu-python3.8": ({"python_version": "3.8"}, BuildOptions()),
    "cpu-python3.9": ({"python_version": "3.9"}, BuildOptions()),
}
# nvidia/cuda images with any Python: the Ubuntu's python3.X from apt where it has one, else a
# standalone CPython build (issue 14).
for _cuda in ("11.8", "12.1", "12.4", "12.8"):
    for _py in ("3.8", "3.10", "3.12", "3.13"):
        CASES[f"cuda{_cuda}-python{_py}"] = ({"gpu": True, "cuda": _cuda, "python_version": _py}, BuildOptions())


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_dockerfile(name: str, project: Path) -> None:
    build, options = CASES[name]
    kwargs: dict[str, Any] = {}
    if name == "environment":
        kwargs["environment"] = (("HF_HOME", "/src/.hf"), ("GREETING", 'say "hi" for $5'), ("COG_SETUP_TIMEOUT", "10"))
    if name == "train-concurrency":
        kwargs["train"] = "train.py:train"
    if name == "local-wheel":
        (project / "dist").mkdir()
        (project / "dist" / "mypkg-1.0-py3-none-any.whl").write_bytes(b"x")
    plan = make_plan(make_config(project, **kwargs, **build), options)
    assert_golden(f"dockerfiles/{name}.Dockerfile", render_dockerfile(plan))
    if plan.requirements_text:
        assert_golden(f"dockerfiles/{name}.requirements.txt", plan.requirements_text)


def test_there_are_at_least_twelve_goldens() -> None:
    assert len(CASES) >= 12


def test_code_is_copied_last_and_tini_is_pid_1(project: Path) -> None:
    text = render_dockerfile(make_plan(make_config(project), BuildOptions()))
    lines = text.splitlines()
    assert lines[-1] == "COPY src/ /src/"
    assert 'ENTRYPOINT ["/usr/bin/tini", "--"]' in lines
    # The server's interpreter directly (the `cog.server.http` launcher would start a second one).
    assert lines.index("WORKDIR /src") < lines.index('CMD ["/opt/cog/server/bin/python", "-m", "cog_py.server"]')
    assert not any(line.startswith("# syntax") or line.startswith("#syntax") for line in lines)


def test_the_rendered_dockerfile_is_remembered_per_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cog_py.build import dockerfile_cache

    monkeypatch.setenv("COG_PY_CACHE_DIR", str(tmp_path / "cache"))
    plan = make_plan(make_config(tmp_path), BuildOptions(mode="release", runtime_wheel="cog_py-0-py3-none-any.whl"))
    first = dockerfile_cache.dockerfile_for(plan)
    assert first == render_dockerfile(plan)
    (cached,) = (tmp_path / "cache" / "dockerfiles").iterdir()
    cached.write_text("FROM remembered\n")
    assert dockerfile_cache.dockerfile_for(plan) == "FROM remembered\n"
    other = make_plan(make_config(tmp_path, system_packages=("ffmpeg",)),
                      BuildOptions(mode="release", runtime_wheel="cog_py-0-py3-none-any.whl"))
    assert "ffmpeg" in dockerfile_cache.dockerfile_for(other)
