"""A `cog build --with-ray` image joins a loopback Ray cluster as a node and runs `serve run` with
the config `cog deploy ray` wrote; the model's replica runs in the image and answers through the
head's proxy. (The head here has no CPUs, so the replica can only be placed on the image's node.)"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
import yaml

from tests.ray.cluster import REPO, _ray_start, free_port, kill_tree, ray_env

pytestmark = [pytest.mark.engine, pytest.mark.timeout(1200)]

IMAGE = "cog-py-test-ray-hello:latest"     # kept between runs: the Ray layer (about 420 MB) is cached
CONTAINER_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled",
                 # The image's Python (Debian's 3.11.x) and the test machine's may differ in the patch level.
                 "RAY_DEFAULT_PYTHON_VERSION_MATCH_LEVEL": "minor"}


def _cog(*args: str, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "COG_DOCKER_NETWORK": "host"}
    return subprocess.run([sys.executable, "-m", "cog_py.cli.main", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


@contextlib.contextmanager
def cpu_less_head() -> Iterator[tuple[str, str]]:
    temp_dir = tempfile.mkdtemp(prefix="cograyimg-", dir="/tmp")
    port = free_port()
    try:
        _ray_start(["--head", "--port", str(port), "--num-cpus", "0", "--include-dashboard=false",
                    "--node-ip-address", "127.0.0.1", "--temp-dir", temp_dir, "--disable-usage-stats"],
                   Path(temp_dir) / "ray-start.log")
        yield f"127.0.0.1:{port}", temp_dir
    finally:
        kill_tree(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)


def test_with_ray_image_serves_the_generated_config(tmp_path: Path) -> None:
    import docker

    from tests.integration.conftest import TEST_LABELS

    project = tmp_path / "hello"
    shutil.copytree(REPO / "examples" / "hello-world", project)
    started = time.monotonic()
    built = _cog("build", "-t", IMAGE, "--with-ray", "--progress", "plain", cwd=project, timeout=900)
    assert built.returncode == 0, built.stderr[-4000:]
    client = docker.from_env(timeout=120)
    size = client.images.get(IMAGE).attrs["Size"]
    print(f"--with-ray build: {time.monotonic() - started:.0f} s, image {size / 1e6:.0f} MB")
    ray_version, image_python = client.containers.run(
        IMAGE, ["sh", "-c", "ray --version && python -c 'import platform; print(platform.python_version())'"],
        remove=True, network_mode="host", labels=TEST_LABELS).decode().strip().splitlines()[-2:]
    import ray

    assert ray.__version__ in ray_version, ray_version      # the cluster's Ray, in the image

    out = tmp_path / "deploy"
    wrote = _cog("deploy", "ray", "-o", str(out), "--image", IMAGE, cwd=project, timeout=120)
    assert wrote.returncode == 0, wrote.stderr
    config = yaml.safe_load((out / "serve-config.yaml").read_text())
    # One machine: one proxy (on the head), on a free port; the replica only fits the image's node.
    http_port = free_port()
    config["proxy_location"] = "HeadOnly"
    config["http_options"] = {"host": "127.0.0.1", "port": http_port}
    config["applications"][0]["deployments"][0]["ray_actor_options"]["resources"] = {"cog_image": 1}
    (out / "test-config.yaml").write_text(yaml.safe_dump(config))

    with cpu_less_head() as (address, _temp_dir):
        node_command = (f"ray start --address {address} --num-cpus 1 --resources '{json.dumps({'cog_image': 1})}' "
                        f"--node-ip-address 127.0.0.1 --disable-usage-stats && "
                        f"serve run --address {address} /deploy/test-config.yaml")
        container: Any = client.containers.run(
            IMAGE, ["sh", "-c", node_command], detach=True, network_mode="host", labels=TEST_LABELS,
            environment=CONTAINER_ENV, volumes={str(out): {"bind": "/deploy", "mode": "ro"}})
        try:
            deadline = time.monotonic() + 300
            answer: httpx.Response | None = None
            while time.monotonic() < deadline:
                container.reload()
                assert container.status in ("created", "running"), container.logs().decode(errors="replace")[-4000:]
                with contextlib.suppress(httpx.HTTPError):
                    answer = httpx.post(f"http://127.0.0.1:{http_port}/predictions",
                                        json={"input": {"text": "image"}}, timeout=30)
                    if answer.status_code == 200:
                        break
                time.sleep(1)
            logs = container.logs().decode(errors="replace")
            assert answer is not None and answer.status_code == 200, logs[-4000:]
            assert answer.json()["output"] == "hello image"
            health = httpx.get(f"http://127.0.0.1:{http_port}/health-check", timeout=30).json()
            # The worker runs in the image's own Python, not the test machine's.
            assert health["status"] == "READY" and health["version"]["python"] == image_python, (health, image_python)
        finally:
            with contextlib.suppress(docker.errors.DockerException):
                container.remove(force=True)
            client.close()
