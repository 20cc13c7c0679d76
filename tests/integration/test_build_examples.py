"""`cog build` on the real engine: every example builds and answers a real prediction.

Images are built once per session (fixtures) and shared. Base images are the local stand-ins
that scripts/engine seeds (Debian's Python tagged as python:3.11-slim / python:3.13-slim).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cog_py import labels as keys
from tests.integration.cli_support import run_cog
from tests.integration.conftest import TEST_LABELS, run_to_completion

pytestmark = [pytest.mark.engine, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
PREFIX = "cog-py-test-build-"
TORCH_WHEEL = Path("/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl")
CUDA_STANDIN = "nvidia/cuda:12.8.1-cudnn-devel-ubuntu22.04"


def png_data_uri(width: int = 24, height: int = 16) -> str:
    """A small red PNG as a data URI (standard library only)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\xff\x00\x00" * width for _ in range(height))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _http(method: str, url: str, body: Any = None, timeout: float = 60) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def predict_in_image(engine: Any, image: str, inputs: dict[str, Any], path: str = "/predictions",
                     setup_timeout: float = 180) -> dict[str, Any]:
    """Run the image's server on a free port (host network), wait for READY, POST one request."""
    port = free_port()
    container = engine.containers.run(image, detach=True, network_mode="host", environment={"PORT": str(port)},
                                      labels=TEST_LABELS)
    try:
        deadline = time.monotonic() + setup_timeout
        status: Any = None
        while time.monotonic() < deadline:
            try:
                _, status = _http("GET", f"http://127.0.0.1:{port}/health-check", timeout=5)
                if status and status.get("status") in ("READY", "SETUP_FAILED", "DEFUNCT"):
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            container.reload()
            if container.status == "exited":
                break
            time.sleep(0.3)
        assert status and status.get("status") == "READY", (
            f"server never became ready: {status}\n{container.logs().decode(errors='replace')[-3000:]}")
        code, result = _http("POST", f"http://127.0.0.1:{port}{path}", {"input": inputs}, timeout=300)
        assert code == 200, result
        return dict(result)
    finally:
        container.remove(force=True)


def cog_build(project: Path, tag: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cog(project, "build", "-t", tag, "--progress", "plain", *args, **env)


def copy_example(tmp_root: Path, name: str) -> Path:
    target = tmp_root / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns(".cog", "__pycache__"))
    return target


def resnet_cpu_copy(project: Path) -> Path:
    """examples/resnet copied to `project` as a CPU build: the local torch wheel beside it, named by
    path in requirements.txt, `gpu: false`. Skips the test when the wheel is absent."""
    if not TORCH_WHEEL.is_file():
        pytest.skip(f"{TORCH_WHEEL} is absent on this machine")
    if not project.exists():
        shutil.copytree(EXAMPLES / "resnet", project, ignore=shutil.ignore_patterns(".cog", "__pycache__", "output*"))
        (project / "wheels").mkdir()
        shutil.copy2(TORCH_WHEEL, project / "wheels" / TORCH_WHEEL.name)
        reqs = [line for line in (project / "requirements.txt").read_text().splitlines()
                if not line.startswith("torch")]
        (project / "requirements.txt").write_text("\n".join([f"wheels/{TORCH_WHEEL.name}", *reqs]) + "\n")
        text = (project / "cog.yaml").read_text().replace("gpu: true", "gpu: false")
        (project / "cog.yaml").write_text(text)
    return project


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("builds")


@pytest.fixture(scope="session")
def built(engine: Any, base_image_311: str, build_dir: Path) -> Iterator[Callable[..., str]]:
    """Build a project once per session under a test tag; the tags are removed at the end."""
    cache: dict[str, str] = {}

    def build(key: str, project: Path, *args: str, **env: str) -> str:
        if key not in cache:
            tag = f"{PREFIX}{key}"
            done = cog_build(project, tag, *args, **env)
            assert done.returncode == 0, f"cog build failed:\n{done.stderr[-6000:]}"
            assert f"Image built as {tag}" in done.stderr
            cache[key] = tag
        return cache[key]

    yield build
    for tag in cache.values():
        try:
            engine.images.remove(tag, force=True)
        except Exception:  # noqa: BLE001 - best-effort cleanup
            pass


EXAMPLE_INPUTS: dict[str, tuple[dict[str, Any], Callable[[Any], bool]]] = {
    "hello-world": ({"text": "world"}, lambda out: isinstance(out, str) and "world" in out),
    "async-concurrency": ({"name": "cog", "seconds": 0}, lambda out: isinstance(out, str) and "cog" in out),
    "streaming-text": ({"prompt": "the cat", "max_tokens": 4, "delay": 0},
                       lambda out: isinstance(out, list) and len(out) >= 1),
    "blur": ({"image": png_data_uri(), "radius": 1}, lambda out: isinstance(out, str) and out.startswith("data:")),
    "thumbnails": ({"image": png_data_uri(), "format": "png"},
                   lambda out: isinstance(out, list) and all(str(o).startswith("data:") for o in out)),
    "train": ({"text": "hello world hello"}, lambda out: out is not None),
}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("example", sorted(EXAMPLE_INPUTS))
def test_example_builds_and_predicts(example: str, engine: Any, built: Callable[..., str], build_dir: Path) -> None:
    image = built(example, copy_example(build_dir, example))
    inputs, check = EXAMPLE_INPUTS[example]
    result = predict_in_image(engine, image, inputs)
    assert result["status"] == "succeeded", result
    assert check(result["output"]), result["output"]


@pytest.mark.timeout(900)
def test_every_label_is_present_with_valid_json(engine: Any, built: Callable[..., str], build_dir: Path) -> None:
    project = build_dir / "hello-git"
    if not project.exists():
        shutil.copytree(EXAMPLES / "hello-world", project)
        git = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t"]
        subprocess.run([*git, "init", "-q"], cwd=project, check=True)
        subprocess.run([*git, "add", "."], cwd=project, check=True)
        subprocess.run([*git, "commit", "-qm", "init"], cwd=project, check=True)
        subprocess.run([*git, "remote", "add", "origin", "https://alice:hunter2@git.example.com/alice/hello.git"],
                       cwd=project, check=True)
    image = built("hello-git", project)
    labels = engine.images.get(image).attrs["Config"]["Labels"]
    version = labels[keys.COG_VERSION]
    config = json.loads(labels[keys.COG_CONFIG])
    assert config == {"build": {"python_version": "3.11"}, "predict": "predict.py:Predictor"}
    schema = json.loads(labels[keys.COG_OPENAPI_SCHEMA])
    assert schema["openapi"] == "3.0.2" and schema["info"]["version"] == version
    assert labels[keys.COG_OPENAPI_SCHEMA] == json.dumps(schema, separators=(",", ":"), ensure_ascii=False) or \
        "\n" not in labels[keys.COG_OPENAPI_SCHEMA]
    assert "cog" in labels[keys.COG_PIP_FREEZE].lower()
    assert labels[keys.OCI_SOURCE] == "https://git.example.com/alice/hello.git"
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True).stdout.strip()
    assert labels[keys.OCI_REVISION] == rev
    assert labels[keys.OCI_VERSION]
    assert labels[keys.OCI_CREATED].endswith("Z")
    # The schema file is in the image too, identical to the label.
    out = run_to_completion(engine, image, ["cat", "/src/.cog/openapi_schema.json"], entrypoint=[])
    assert json.loads(out) == schema


@pytest.mark.timeout(900)
def test_python_3_13_image(engine: Any, base_image_313: str, built: Callable[..., str], build_dir: Path) -> None:
    project = build_dir / "hello-313"
    if not project.exists():
        shutil.copytree(EXAMPLES / "hello-world", project)
        (project / "cog.yaml").write_text('build:\n  python_version: "3.13"\npredict: "predict.py:Predictor"\n')
    image = built("hello-313", project)
    version = engine.containers.run(image, ["python", "-c", "import sys; print(sys.version_info[:2])"],
                                    network_mode="host", remove=True, labels=TEST_LABELS, entrypoint=[])
    assert b"(3, 13)" in version
    result = predict_in_image(engine, image, {"text": "three-thirteen"})
    assert result["status"] == "succeeded" and "three-thirteen" in result["output"]


@pytest.mark.timeout(1200)
def test_resnet_with_the_local_cpu_torch_wheel(engine: Any, built: Callable[..., str], build_dir: Path) -> None:
    """resnet as a CPU build: the local torch wheel is copied into the project and named by path.
    (Its GPU plan is golden-tested: tests/golden/dockerfiles/gpu-resnet-torch2.13.Dockerfile.)"""
    project = resnet_cpu_copy(build_dir / "resnet-cpu")
    image = built("resnet-cpu", project)
    result = predict_in_image(engine, image, {"image": png_data_uri(100, 80), "top_k": 3})
    assert result["status"] == "succeeded", result
    assert result["output"]["device"] == "cpu" and len(result["output"]["top_k"]) == 3


@pytest.mark.timeout(1200)
def test_build_on_a_cuda_base_standin(engine: Any, built: Callable[..., str], build_dir: Path) -> None:
    """`build.cuda` selects an nvidia/cuda base. No registry is reachable here, so the tag is a
    stand-in seeded by scripts/engine. How it differs from the real nvidia/cuda image: it is
    Debian bookworm (not Ubuntu 22.04), has no CUDA toolkit, cuDNN or driver libraries, and its
    python3.11 comes from Debian rather than Ubuntu's universe. What it checks: the CUDA path
    of the Dockerfile (Python from apt into a venv on PATH, the server env, tini) builds and
    serves; CUDA itself is not exercised (no GPU here)."""
    seeded = subprocess.run([str(REPO / "scripts" / "engine"), "seed", CUDA_STANDIN, "bookworm"],
                            capture_output=True, text=True, timeout=900)
    assert seeded.returncode == 0, seeded.stderr
    project = build_dir / "hello-cuda"
    if not project.exists():
        shutil.copytree(EXAMPLES / "hello-world", project)
        (project / "cog.yaml").write_text(
            'build:\n  python_version: "3.11"\n  gpu: true\n  cuda: "12.8"\npredict: "predict.py:Predictor"\n')
    debug = run_cog(project, "debug")
    assert debug.returncode == 0 and debug.stdout.startswith(f"FROM {CUDA_STANDIN} AS cog-system")
    image = built("hello-cuda", project)
    worker = engine.containers.run(image, ["sh", "-c", "echo $COG_WORKER_PYTHON $COG_GPU; command -v python"],
                                   network_mode="host", remove=True, labels=TEST_LABELS, entrypoint=[])
    assert worker.split() == [b"/opt/cog/python/bin/python", b"1", b"/opt/cog/python/bin/python"]
    result = predict_in_image(engine, image, {"text": "cuda"})
    assert result["status"] == "succeeded" and "cuda" in result["output"]
