"""Every `examples/*` model predicted through the real CLI, as its README shows (engine).

Each example is copied to a temporary directory (outputs and `.cog/` land there, not in the
repository). The PyPI-dependent ones (pillow) download it into the image; resnet is built for
the CPU with the local torch wheel beside it (as the build tests do; skipped when the wheel is absent).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from tests.integration.cli_support import COG, cog_env, dev_image_name, popen_cog, run_cog
from tests.integration.test_build_examples import resnet_cpu_copy

pytestmark = [pytest.mark.engine, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient, base_image_311: str) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("examples")
    yield root
    for project in root.iterdir():
        if (project / "cog.yaml").exists():
            try:
                engine.images.remove(dev_image_name(project), force=True)
            except (docker.errors.ImageNotFound, docker.errors.APIError):
                pass


def example(root: Path, name: str) -> Path:
    source = EXAMPLES / name
    if not (source / "cog.yaml").exists():
        pytest.skip(f"examples/{name} is not in this checkout")
    target = root / f"h6-ex-{name}"
    if not target.exists():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(".cog", "output*", "weights*"))
    return target


def ok(result):  # type: ignore[no-untyped-def]
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def photo(path: Path) -> Path:
    from PIL import Image

    Image.new("RGB", (100, 80), (200, 30, 30)).save(path)
    return path


def test_hello_world(copies: Path) -> None:
    project = example(copies, "hello-world")
    assert ok(run_cog(project, "predict", "-i", "text=world")).stdout == "hello world\n"
    missing = run_cog(project, "predict")
    assert missing.returncode == 1 and 'missing required input "text"' in missing.stderr


@pytest.mark.timeout(900)
def test_hello_world_without_a_network_setting(copies: Path) -> None:
    """As a user types it: no COG_DOCKER_NETWORK. The test engine has no bridge network, so the CLI
    must notice, say so, and run the container on the host network by itself."""
    project = example(copies, "hello-world")
    env = cog_env()
    del env["COG_DOCKER_NETWORK"]
    result = ok(subprocess.run([*COG, "predict", "-i", "text=you"], cwd=project, env=env, capture_output=True,
                               text=True, timeout=900, stdin=subprocess.DEVNULL))
    assert result.stdout == "hello you\n"
    assert result.stderr.count("Using host networking: the Docker engine has no bridge network") == 1


def test_async_concurrency(copies: Path) -> None:
    project = example(copies, "async-concurrency")
    result = ok(run_cog(project, "predict", "-i", "name=you", "-i", "seconds=0.5"))
    assert result.stdout.startswith("hello you (waited 0.5s")


def test_streaming_text_prints_tokens_as_they_arrive(copies: Path) -> None:
    project = example(copies, "streaming-text")
    proc = popen_cog(project, "predict", "-i", "prompt=tell me about the", "-i", "max_tokens=8", "-i", "delay=0.4")
    try:
        assert proc.stdout is not None
        # One byte straight from the pipe (a buffered read would hide data from communicate()).
        first = os.read(proc.stdout.fileno(), 1).decode()  # blocks until the first token is printed
        first_at = time.monotonic()
        rest, err = proc.communicate(timeout=600)
        finished_at = time.monotonic()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    text = first + rest
    assert text.startswith(" ") and text.endswith("\n") and len(text.split()) == 8
    # Eight tokens 0.4 s apart: the first was printed well before the last was generated.
    assert finished_at - first_at > 1.0


def test_streaming_text_json_mode(copies: Path) -> None:
    project = example(copies, "streaming-text")
    body = json.loads(ok(run_cog(project, "predict", "--json", '{"prompt": "the", "max_tokens": 3, "delay": 0}')).stdout)
    assert body["status"] == "succeeded" and len(body["output"]) == 3


def test_blur_file_in_file_out(copies: Path) -> None:
    project = example(copies, "blur")
    photo(project / "photo.png")
    result = ok(run_cog(project, "predict", "-i", "image=@photo.png", "-i", "radius=5"))
    assert "Written output to: " in result.stderr
    from PIL import Image

    with Image.open(project / "output.png") as img:
        assert img.size == (100, 80)


def test_thumbnails_list_of_files(copies: Path) -> None:
    project = example(copies, "thumbnails")
    photo(project / "photo.png")
    ok(run_cog(project, "predict", "-i", "image=@photo.png", "-i", "format=jpeg"))
    from PIL import Image

    sizes = []
    for i in range(3):
        with Image.open(project / f"output.{i}.jpg") as img:
            sizes.append(max(img.size))
    assert sizes == [100, 100, 64]  # the longer side 256, 128, 64, but thumbnail() never enlarges


def test_train_then_predict_with_weights(copies: Path) -> None:
    project = example(copies, "train")
    (project / "corpus.txt").write_text("The cat sat on the mat.\n")
    result = ok(run_cog(project, "train", "-i", "text=@corpus.txt"))
    written = json.loads((project / "weights").read_text())
    assert written["weights"].startswith("data:application/json;base64,")
    assert "Written output to: " in result.stderr
    import base64

    weights = json.loads(base64.b64decode(written["weights"].split(",", 1)[1]))
    assert weights == {"counts": {"cat": 1, "mat": 1, "on": 1, "sat": 1, "the": 2}, "total": 6}
    (project / "weights.json").write_text(json.dumps(weights))
    scored = json.loads(ok(run_cog(project, "predict", "-i", "text=the cat", "-e", "COG_WEIGHTS=/src/weights.json")).stdout)
    assert scored == {"known_words": 2, "log_probability": -3.178054, "unknown_words": 0, "vocabulary": 5}


@pytest.mark.timeout(1200)
def test_resnet_on_the_cpu_returns_its_base_model(copies: Path) -> None:
    project = resnet_cpu_copy(copies / "h6-ex-resnet")
    photo(project / "photo.png")
    result = ok(run_cog(project, "predict", "-i", "image=@photo.png", "-i", "top_k=3", timeout=1200))
    body = json.loads(result.stdout)
    assert set(body) == {"label", "score", "device", "top_k"}
    assert body["device"] == "cpu"
    assert len(body["top_k"]) == 3 and all(set(guess) == {"label", "score"} for guess in body["top_k"])
    assert body["label"] == body["top_k"][0]["label"] and body["score"] == body["top_k"][0]["score"]
    assert body["top_k"][0]["score"] >= body["top_k"][1]["score"] >= body["top_k"][2]["score"]
    # The weights come from a fixed seed: the README shows this answer for a plain red 100x80 image.
    assert [guess["label"] for guess in body["top_k"]] == ["automobile", "ship", "truck"]
    scores = [guess["score"] for guess in body["top_k"]]
    assert all(abs(got - want) < 1e-4 for got, want in zip(scores, [0.107061, 0.106204, 0.103541]))
