"""Existing Cog models that were hard to build (issue 14), built for real and asked a prediction.

Base images are stand-ins seeded by `scripts/engine seed TAG RELEASE` (one debootstrap per Debian
release, cached in the engine's state dir, shared with every test that names the same release):
- python:3.9-slim from Debian bullseye (its python3 is 3.9);
- an nvidia/cuda tag from Debian trixie: trixie packages no python3.12, so a model asking for
  Python 3.12 on it takes the standalone-CPython path. Its glibc is new enough for the interpreter
  this machine has (pyenv's CPython, built on bookworm), which the test packs into the
  python-build-standalone `install_only` layout and serves from loopback.
Nothing large is downloaded: torch comes from the machine's CPU wheel (/opt/wheels).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import io
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cog_py.build.dockerfile import render_dockerfile
from cog_py.build.plan import BuildOptions
from cog_py.build.planner import make_plan
from cog_py.config.loader import load_config
from tests.golden import assert_golden
from tests.integration.cli_support import make_project, run_cog
from tests.integration.conftest import TEST_LABELS, run_to_completion
from tests.integration.test_build_examples import TORCH_WHEEL, cog_build, png_data_uri, predict_in_image

pytestmark = [pytest.mark.engine, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
PREFIX = "cog-py-test-hard-"
PY39_STANDIN = ("python:3.9-slim", "bullseye")
CUDA_STANDIN = ("nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04", "trixie")
LOCAL_PYTHON = Path("/root/.pyenv/versions/3.12.1")   # packed as a standalone CPython 3.12
REALWORLD = REPO / "tests" / "fixtures" / "realworld"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def seed(tag: str, release: str) -> str:
    done = subprocess.run([str(REPO / "scripts" / "engine"), "seed", tag, release],
                          capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr
    return tag


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture(scope="module")
def serve_dir() -> Iterator[Callable[[Path], str]]:
    """Serve directories over HTTP on 127.0.0.1 (builds use the host network); returns the base URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(directory: Path) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def hard_built(engine: Any) -> Iterator[Callable[..., str]]:
    """Build a project once per module under a unique test tag; the tags are removed at the end."""
    cache: dict[str, str] = {}

    def build(key: str, project: Path, **env: str) -> str:
        if key not in cache:
            tag = f"{PREFIX}{key}"
            done = cog_build(project, tag, **env)
            assert done.returncode == 0, f"cog build failed:\n{done.stderr[-8000:]}"
            cache[key] = tag
        return cache[key]

    yield build
    for tag in cache.values():
        try:
            engine.images.remove(tag, force=True)
        except Exception:  # noqa: BLE001 - best-effort cleanup
            pass


# -- Python 3.9 -------------------------------------------------------------------------------

PY39_PREDICTOR = """
    import sys

    from cog import BasePredictor, Input


    class Predictor(BasePredictor):
        def predict(self, text: str = Input(default="hello"), seed: int = Input(default=None)) -> str:
            return f"{text} seed={seed} python={sys.version_info[0]}.{sys.version_info[1]}"
"""


@pytest.fixture(scope="module")
def py39_image(engine: Any, hard_built: Callable[..., str], tmp_path_factory: pytest.TempPathFactory) -> str:
    seed(*PY39_STANDIN)
    project = make_project(tmp_path_factory.mktemp("py39"), "py39", PY39_PREDICTOR)
    (project / "cog.yaml").write_text('build:\n  python_version: "3.9"\npredict: "predict.py:Predictor"\n')
    debug = run_cog(project, "debug")
    assert debug.returncode == 0, debug.stderr
    assert "Python 3.9 has reached end of life; move to Python 3.10 or newer" in debug.stderr
    return hard_built("py39", project)


@pytest.mark.timeout(1200)
def test_python_3_9_cpu_model_builds_and_predicts(engine: Any, py39_image: str) -> None:
    result = predict_in_image(engine, py39_image, {"text": "old", "seed": 7})
    assert result["status"] == "succeeded", result
    assert result["output"] == "old seed=7 python=3.9"


@pytest.mark.timeout(1200)
def test_seed_input_default_none_called_without_seed(engine: Any, py39_image: str) -> None:
    """`seed: int = Input(default=None)` (Cog 0.16's idiom): optional, predict() gets None."""
    result = predict_in_image(engine, py39_image, {"text": "no-seed"})
    assert result["status"] == "succeeded", result
    assert result["output"] == "no-seed seed=None python=3.9"


# The worker/SDK tests that run in the model's Python (standard library + pytest only).
# (test_fixtures.py / test_openapi_golden.py are left out: many of their predictors are written
# for Python 3.10+ (`str | None`) or import pydantic, as user code may.)
WORKER_SDK_TESTS = ("tests/unit/worker", "tests/unit/predictor/test_coerce.py", "tests/unit/sdk/test_sdk.py",
                    "tests/unit/sdk/test_scope.py", "tests/unit/predictor/test_loader.py",
                    "tests/unit/predictor/test_stdlib_only.py")


@pytest.mark.timeout(900)
def test_worker_and_sdk_tests_pass_on_python_3_9(engine: Any) -> None:
    """The worker/SDK test files run inside the Python 3.9 image (the checkout mounted read-only)."""
    image = seed(*PY39_STANDIN)
    script = ("python -m pip install -q --disable-pip-version-check 'pytest>=8' 'pytest-timeout>=2.3' "
              "&& cd /repo && python -m pytest -q -p no:cacheprovider " + " ".join(WORKER_SDK_TESTS))
    container = engine.containers.run(image, ["sh", "-c", script], detach=True, network_mode="host",
                                      volumes={str(REPO): {"bind": "/repo", "mode": "ro"}},
                                      environment={"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": "/repo"},
                                      labels=TEST_LABELS)
    try:
        status = container.wait(timeout=800).get("StatusCode", 1)
        text = container.logs(stdout=True, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True)
    assert status == 0, f"the worker/SDK tests failed on Python 3.9:\n{text[-6000:]}"
    assert " passed" in text, text[-3000:]


# -- CUDA image, Python the base does not package: a standalone CPython from a loopback mirror -----

def pack_standalone(source: Path, target: Path, top: str = "python") -> str:
    """Pack the CPython tree `source` like python-build-standalone's `install_only` archives
    (`python/bin/python3`, `python/lib/...`; `top` names that first directory, "" for none);
    return its sha256. The interpreter's RUNPATH names its build prefix: it is rewritten in place
    to `$ORIGIN/../lib`, as the standalone builds have it."""
    old = str(source / "lib").encode()
    new = b"$ORIGIN/../lib"
    skip_dirs = {"test", "__pycache__", "idlelib", "tkinter", "turtledemo"}

    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if any(part in skip_dirs for part in parts[1 if not top else 2:]) or info.name.endswith(".a"):
            return None
        if "site-packages" in parts:  # the machine's packages stay out; pip stays, as in install_only
            below = parts[parts.index("site-packages") + 1:]
            if below and not below[0].startswith("pip"):
                return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(target, "w:gz", compresslevel=1) as tar:
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            info = tar.gettarinfo(str(path), arcname=str(Path(top) / rel) if top else str(rel))
            if keep(info) is None:
                continue
            info = keep(info)
            assert info is not None
            if info.isfile():
                data = path.read_bytes()
                if rel.parts[0] == "bin" and old + b"\0" in data:
                    data = data.replace(old + b"\0", new + b"\0" * (len(old) - len(new) + 1))
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            elif info.isdir() or info.issym():
                tar.addfile(info)
    return hashlib.sha256(target.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def standalone_mirror(serve_dir: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """COG_PYTHON_MIRROR + COG_PYTHON_BUILDS pointing the build at the packed local CPython 3.12."""
    if not (LOCAL_PYTHON / "bin" / "python3.12").is_file():
        pytest.skip(f"{LOCAL_PYTHON} (a CPython 3.12 to pack) is absent on this machine")
    root = tmp_path_factory.mktemp("python-mirror")
    name = "cpython-3.12.1+local-x86_64-unknown-linux-gnu-install_only.tar.gz"
    (root / "local").mkdir()
    sha = pack_standalone(LOCAL_PYTHON, root / "local" / name)
    builds = root / "builds.json"
    builds.write_text(json.dumps({"builds": {"3.12": {"version": "3.12.1", "release": "local", "file": name,
                                                       "sha256": sha}}}))
    return {"COG_PYTHON_MIRROR": serve_dir(root), "COG_PYTHON_BUILDS": str(builds)}


GPU_PREDICTOR = """
    import os
    import sys

    from cog import BasePredictor


    class Predictor(BasePredictor):
        def predict(self, text: str) -> str:
            py = f"{sys.version_info[0]}.{sys.version_info[1]}"
            return f"{text} python={py} gpu={os.environ.get('COG_GPU')} prefix={sys.base_prefix}"
"""


@pytest.mark.timeout(1800)
def test_gpu_model_without_a_framework_pin_on_a_cuda_standin_gets_a_standalone_python(
        engine: Any, hard_built: Callable[..., str], standalone_mirror: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """CUDA 12.1's images (Ubuntu 20.04/22.04) package no python3.12: the Dockerfile downloads the
    standalone build (checksum checked) into its own layer; the stand-in (trixie) has no
    python3.12 either. No GPU here: the model runs on the CPU (COG_GPU=1 all the same)."""
    tag, release = CUDA_STANDIN
    seed(tag, release)
    project = make_project(tmp_path_factory.mktemp("cuda"), "cuda-py312", GPU_PREDICTOR)
    (project / "cog.yaml").write_text(
        'build:\n  gpu: true\n  cuda: "12.1"\n  python_version: "3.12"\n  python_packages:\n    - "numpy"\n'
        'predict: "predict.py:Predictor"\n')
    debug = run_cog(project, "debug", **standalone_mirror)
    assert debug.returncode == 0, debug.stderr
    assert debug.stdout.startswith(f"FROM {tag} AS cog-system")
    assert f"{standalone_mirror['COG_PYTHON_MIRROR']}/local/cpython-3.12.1%2Blocal-" in debug.stdout
    # The standalone CPython's pip trusts certifi's bundle, not the system's (Debian's pip does):
    # this machine reaches PyPI through a proxy whose CA only the host's bundle has, so the
    # build gets it the way a user behind such a proxy would, with COG_CA_CERT.
    image = hard_built("cuda-py312", project, COG_CA_CERT=str(HOST_CA_BUNDLE), **standalone_mirror)
    result = predict_in_image(engine, image, {"text": "cuda"})
    assert result["status"] == "succeeded", result
    assert result["output"] == "cuda python=3.12 gpu=1 prefix=/opt/cog/python-standalone"
    numpy = run_to_completion(engine, image, ["python", "-c", "import numpy; print(numpy.__name__)"], entrypoint=[])
    assert numpy.strip() == b"numpy"


# -- torch pins built with the machine's CPU wheel ---------------------------------------------

@pytest.fixture(scope="module")
def find_links(serve_dir: Callable[[Path], str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """A loopback find-links index: the local CPU torch wheel, its dependencies and the packages
    every image gets (requests, pyyaml, typing_extensions), for CPython 3.11."""
    if not TORCH_WHEEL.is_file():
        pytest.skip(f"{TORCH_WHEEL} is absent on this machine")
    root = tmp_path_factory.mktemp("find-links")
    shutil.copy2(TORCH_WHEEL, root / TORCH_WHEEL.name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--only-binary=:all:",
         "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "--abi", "abi3", "--abi", "none",
         "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64", "--platform", "any",
         "--find-links", str(root), "--dest", str(root),
         f"torch=={TORCH_WHEEL.name.split('-')[1]}", "requests", "pyyaml", "typing_extensions"],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return serve_dir(root)


TORCH_PREDICTOR = """
    import torch

    from cog import BasePredictor


    class Predictor(BasePredictor):
        def predict(self, n: int = 3) -> str:
            return f"{torch.__version__} {int(torch.arange(n).sum())}"
"""


@pytest.mark.timeout(1800)
def test_torch_ge_2_1_pin_resolves_from_a_loopback_find_links_index(
        engine: Any, base_image_311: str, hard_built: Callable[..., str], find_links: str,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    project = make_project(tmp_path_factory.mktemp("torchge"), "torch-ge", TORCH_PREDICTOR)
    (project / "requirements.txt").write_text(f"--no-index\n--find-links {find_links}/\ntorch>=2.1\n")
    (project / "cog.yaml").write_text(
        'build:\n  python_version: "3.11"\n  python_requirements: requirements.txt\npredict: "predict.py:Predictor"\n')
    image = hard_built("torch-ge", project)
    result = predict_in_image(engine, image, {"n": 4})
    assert result["status"] == "succeeded", result
    assert result["output"] == f"{TORCH_WHEEL.name.split('-')[1]} 6"


@pytest.mark.timeout(1800)
def test_torch_1_13_model_golden_dockerfile_and_build_with_the_torch_line_swapped_for_the_local_wheel(
        engine: Any, base_image_311: str, hard_built: Callable[..., str], tmp_path_factory: pytest.TempPathFactory) -> None:
    """tests/fixtures/realworld/torch-1-13-esrgan (torch==1.13.1 on GPU, as its public model has
    it): its Dockerfile is the golden one. A torch 1.13 CUDA build is gigabytes, so the image
    built here swaps the torch line for the local CPU wheel (and drops the packages pinned to
    torch 1.x), on Python 3.11 for that wheel, CPU only: the rest of the model is as written."""
    if not TORCH_WHEEL.is_file():
        pytest.skip(f"{TORCH_WHEEL} is absent on this machine")
    fixture = REALWORLD / "torch-1-13-esrgan"
    plan = make_plan(load_config(fixture / "cog.yaml").config, BuildOptions())
    assert_golden("realworld/torch-1-13-esrgan.Dockerfile", render_dockerfile(plan))
    assert "torch==1.13.1" in plan.requirements_text

    project = tmp_path_factory.mktemp("torch113") / "esrgan"
    shutil.copytree(fixture, project)
    (project / "wheels").mkdir()
    shutil.copy2(TORCH_WHEEL, project / "wheels" / TORCH_WHEEL.name)
    text = (project / "cog.yaml").read_text()
    text = text.replace('"torch==1.13.1"', f'"wheels/{TORCH_WHEEL.name}"')
    for dropped in ('    - "torchvision==0.14.1"\n', '    - "basicsr==1.4.2"\n', '    - "realesrgan==0.3.0"\n'):
        text = text.replace(dropped, "")
    text = text.replace("gpu: true", "gpu: false").replace('python_version: "3.10"', 'python_version: "3.11"')
    (project / "cog.yaml").write_text(text)
    assert f"wheels/{TORCH_WHEEL.name}" in text and "torchvision" not in text
    image = hard_built("torch113", project)
    version = run_to_completion(engine, image, ["python", "-c", "import torch; print(torch.__version__)"], entrypoint=[])
    assert version.decode().strip() == TORCH_WHEEL.name.split("-")[1]
    result = predict_in_image(engine, image, {"image": png_data_uri(), "scale": 2})
    assert result["status"] == "succeeded", result
    assert str(result["output"]).startswith("data:")


# -- Python 3.8: the model's Python 3.8, the parent on a standalone CPython 3.12 ----------------

PY38_STANDIN = "python:3.8-slim"
LOCAL_PYTHON38 = Path("/root/.pyenv/versions/3.8.18")


def python38_standin(engine: Any, tmp_path: Path) -> str:
    """A python:3.8-slim stand-in (test fixture): no Debian release packages Python 3.8, so the
    machine's own CPython 3.8 (pyenv's) is laid into /usr/local of the bookworm stand-in, with
    `python`/`python3`/`pip` pointing at it, as in the official image."""
    try:
        engine.images.get(PY38_STANDIN)
        return PY38_STANDIN
    except Exception:  # noqa: BLE001 - docker.errors.ImageNotFound
        pass
    if not (LOCAL_PYTHON38 / "bin" / "python3.8").is_file():
        pytest.skip(f"{LOCAL_PYTHON38} (a CPython 3.8 for the python:3.8-slim stand-in) is absent on this machine")
    pack_standalone(LOCAL_PYTHON38, tmp_path / "python38.tar.gz", top="")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.11-slim\n"
        "ADD python38.tar.gz /usr/local/\n"
        "RUN ln -sf python3.8 /usr/local/bin/python && ln -sf python3.8 /usr/local/bin/python3 \\\n"
        " && /usr/local/bin/python3.8 -m ensurepip --default-pip >/dev/null \\\n"
        " && ln -sf pip3.8 /usr/local/bin/pip && ln -sf pip3.8 /usr/local/bin/pip3 \\\n"
        " && python -c 'import sys, ssl, zlib, ctypes; assert sys.version_info[:2] == (3, 8)'\n"
        "ENV PYTHON_VERSION=3.8.18\n"
        "LABEL dev.cog-py.standin=debian-bookworm+pyenv-cpython-3.8\n")
    engine.images.build(path=str(tmp_path), tag=PY38_STANDIN, network_mode="host", rm=True, forcerm=True)
    return PY38_STANDIN


@pytest.mark.timeout(1800)
def test_python_3_8_model_runs_with_the_parent_on_its_own_interpreter(
        engine: Any, base_image_311: str, hard_built: Callable[..., str], standalone_mirror: dict[str, str],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """fastapi/pydantic's current releases need Python 3.9+: the image of a 3.8 model runs the
    HTTP parent on a standalone CPython 3.12 (here the packed local one, from the loopback
    mirror) in /opt/cog/server-python; the model's predict() runs on 3.8 with its own packages."""
    python38_standin(engine, tmp_path_factory.mktemp("py38-standin"))
    project = make_project(tmp_path_factory.mktemp("py38"), "py38", PY39_PREDICTOR)
    (project / "cog.yaml").write_text('build:\n  python_version: "3.8"\npredict: "predict.py:Predictor"\n')
    image = hard_built("py38", project, COG_CA_CERT=str(HOST_CA_BUNDLE), **standalone_mirror)
    result = predict_in_image(engine, image, {"text": "eol"})
    assert result["status"] == "succeeded", result
    assert result["output"] == "eol seed=None python=3.8"
    parent = run_to_completion(engine, image, ["/opt/cog/server/bin/python", "-c",
                                                "import sys, fastapi; print(sys.version_info[:2])"], entrypoint=[])
    assert parent.strip() == b"(3, 12)"
    model = run_to_completion(engine, image, ["python", "-c", "import sys, cog; print(sys.version_info[:2])"],
                              entrypoint=[])
    assert model.strip() == b"(3, 8)"
