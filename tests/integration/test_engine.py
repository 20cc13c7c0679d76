"""The engine, registries and seeded base images that `scripts/engine up` provides."""

from __future__ import annotations

import concurrent.futures
import contextlib
import io
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from cog_py.labels import STANDIN
from tests.integration.conftest import ENGINE_SCRIPT, TEST_LABELS, Registry

pytestmark = pytest.mark.engine


def engine_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENGINE_SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        check=False,
    )


def dockerd_pids() -> list[int]:
    """Live dockerd processes (a stopped one may linger a moment as a zombie)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, fields = stat.read_text().rsplit(")", 1)
        except OSError:
            continue
        if name.endswith("(dockerd") and fields.split()[0] != "Z":
            pids.append(int(stat.parent.name))
    return pids


@pytest.mark.parametrize(("fixture", "version"), [("base_image_311", "3.11."), ("base_image_313", "3.13.")])
def test_base_image_runs_python_with_host_network(
    request: pytest.FixtureRequest, run_container: Callable[..., str], fixture: str, version: str
) -> None:
    image = request.getfixturevalue(fixture)
    output = run_container(image, ["python", "-c", "import sys; print(sys.version)"])
    assert output.startswith(version), output
    # Looks like the official image: python, python3 and pip first on PATH, in /usr/local/bin.
    paths = run_container(image, ["sh", "-c", "for name in python python3 pip; do command -v $name; done"]).split()
    assert paths == ["/usr/local/bin/python", "/usr/local/bin/python3", "/usr/local/bin/pip"]


@pytest.mark.parametrize(("fixture", "release"), [("base_image_311", "bookworm"), ("base_image_313", "trixie")])
def test_seeded_base_image_is_labelled_as_a_standin(
    request: pytest.FixtureRequest, engine: docker.DockerClient, fixture: str, release: str
) -> None:
    labels = engine.images.get(request.getfixturevalue(fixture)).labels or {}
    if STANDIN not in labels:
        pytest.skip("this engine has the real public image, not a stand-in")
    assert labels[STANDIN] == f"debian-{release}"


def test_seeded_base_image_lets_pip_install_from_pypi(base_image_311: str, run_container: Callable[..., str]) -> None:
    # No PEP 668 marker, the host's CA bundle trusted, PyPI reached over host networking.
    script = "pip install -q --no-cache-dir --root-user-action=ignore six==1.16.0 && python -c 'import six; print(six.__version__)'"
    output = run_container(base_image_311, ["sh", "-c", script])
    assert output.strip().splitlines()[-1] == "1.16.0"


@pytest.fixture
def tiny_image(engine: docker.DockerClient) -> Iterator[str]:
    """A one-file image built FROM scratch (a few bytes to push)."""
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data in (("Dockerfile", b"FROM scratch\nCOPY hello /hello\n"), ("hello", uuid.uuid4().hex.encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    tag = f"cog-py-test/tiny:{uuid.uuid4().hex[:12]}"
    image, _ = engine.images.build(
        fileobj=context, custom_context=True, tag=tag, labels=TEST_LABELS, network_mode="host", rm=True
    )
    yield tag
    with contextlib.suppress(docker.errors.ImageNotFound):
        engine.images.remove(image.id, force=True)


def push(client: docker.DockerClient, repository: str, tag: str, auth_config: dict[str, str] | None = None) -> list[str]:
    """Push and return the error messages the stream carried (the SDK does not raise for them)."""
    stream = client.images.push(repository, tag, auth_config=auth_config, stream=True, decode=True)
    return [event["error"] for event in stream if "error" in event]


@pytest.fixture
def isolated_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[docker.DockerClient]:
    """A client that sees no saved `docker login` credentials."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    client = docker.from_env(timeout=120)
    yield client
    client.close()


def test_push_and_pull_with_password(isolated_client: docker.DockerClient, registry: Registry, tiny_image: str) -> None:
    image = isolated_client.images.get(tiny_image)
    repository, tag = f"{registry.url}/{tiny_image.split(':')[0]}", tiny_image.split(":")[1]
    image.tag(repository, tag)
    isolated_client.login(username=registry.username, password=registry.password, registry=registry.url, reauth=True)
    assert push(isolated_client, repository, tag) == []
    isolated_client.images.remove(image.id, force=True)  # every tag: the pull must fetch it all back
    with pytest.raises(docker.errors.ImageNotFound):
        isolated_client.images.get(image.id)

    pulled = isolated_client.images.pull(repository, tag=tag, auth_config=registry.auth_config)
    assert pulled.id == image.id
    isolated_client.images.remove(f"{repository}:{tag}")


def test_wrong_password_is_refused(isolated_client: docker.DockerClient, registry: Registry, tiny_image: str) -> None:
    with pytest.raises(docker.errors.APIError) as refused:
        isolated_client.login(username=registry.username, password="not-the-password", registry=registry.url, reauth=True)
    assert "401" in str(refused.value) or "unauthorized" in str(refused.value).lower()

    repository, tag = f"{registry.url}/{tiny_image.split(':')[0]}", tiny_image.split(":")[1]
    isolated_client.images.get(tiny_image).tag(repository, tag)
    try:
        wrong = {"username": registry.username, "password": "not-the-password"}
        errors = push(isolated_client, repository, tag, auth_config=wrong)
        assert errors, "a push with a wrong password must fail"
        assert push(isolated_client, repository, tag) != [], "a push without credentials must fail"
    finally:
        isolated_client.images.remove(f"{repository}:{tag}")


def test_open_registry_needs_no_login(isolated_client: docker.DockerClient, registry: Registry, tiny_image: str) -> None:
    repository, tag = f"{registry.open_url}/{tiny_image.split(':')[0]}", tiny_image.split(":")[1]
    isolated_client.images.get(tiny_image).tag(repository, tag)
    try:
        assert push(isolated_client, repository, tag) == []
    finally:
        isolated_client.images.remove(f"{repository}:{tag}")


def test_second_up_does_nothing_and_one_dockerd_runs(engine: docker.DockerClient) -> None:
    first = engine_script("up")
    assert first.returncode == 0, first.stderr
    second = engine_script("up")
    assert second.returncode == 0, second.stderr
    lines = second.stderr.strip().splitlines()
    assert lines[0].startswith("engine: already running")
    assert all(line.startswith("registry (") and line.endswith(": already running") for line in lines[1:3])
    assert lines[3:5] == ["python:3.11-slim: present", "python:3.13-slim: present"]
    assert lines[5].startswith("engine: nothing to do, all was running")
    assert len(lines) == 6, second.stderr
    for word in ("apt:", "install", "starting", ": started", "seeding", "seeded", "debootstrap", "pulled"):
        assert word not in second.stderr, second.stderr
    assert len(dockerd_pids()) == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_down_stops_only_what_up_started(engine: docker.DockerClient, tmp_path: Path) -> None:
    # A fresh state dir: the running engine was not started from it, so up and down leave it alone.
    ports = free_port(), free_port()
    env = {
        "COG_ENGINE_STATE": str(tmp_path / "state"),
        "COG_ENGINE_REGISTRY_PORT": str(ports[0]),
        "COG_ENGINE_REGISTRY_OPEN_PORT": str(ports[1]),
    }
    try:
        up = engine_script("up", env=env)
        assert up.returncode == 0, up.stderr
        assert "engine: already running (left alone)" in up.stderr
        assert f"registry (auth, 127.0.0.1:{ports[0]}): started" in up.stderr
        assert all(answers(port) for port in ports)
        assert engine_script("status", env=env).returncode == 0
    finally:
        down = engine_script("down", env=env)
    assert down.returncode == 0, down.stderr
    assert "engine: not started by scripts/engine (left alone)" in down.stderr
    assert not any(answers(port) for port in ports)
    assert engine.ping()
    status = engine_script("status", env=env)
    assert status.returncode == 1
    assert "engine: running" in status.stdout


def test_seed_reuses_the_cached_release_rootfs(engine: docker.DockerClient) -> None:
    tag = f"cog-py-test/standin:{uuid.uuid4().hex[:12]}"
    try:
        seeded = engine_script("seed", tag, "bookworm")
        assert seeded.returncode == 0, seeded.stderr
        assert "rootfs bookworm: cached" in seeded.stderr
        assert "debootstrap" not in seeded.stderr
        assert engine.images.get(tag).labels[STANDIN] == "debian-bookworm"
        again = engine_script("seed", tag, "bookworm")
        assert again.stderr.strip() == f"{tag}: present"
    finally:
        engine.images.remove(tag, force=True)


@pytest.fixture
def private_state() -> Iterator[Path]:
    # Short path: dockerd and containerd put unix sockets under it (108-byte limit).
    state = Path(tempfile.mkdtemp(prefix="cog-engine-", dir="/tmp"))
    yield state
    shutil.rmtree(state, ignore_errors=True)


def test_down_stops_the_engine_up_started_and_only_that(engine: docker.DockerClient, private_state: Path) -> None:
    # A private engine (own socket and data) stands in for "no engine was running".
    ports = free_port(), free_port()
    env = {
        "COG_ENGINE_STATE": str(private_state),
        "DOCKER_HOST": f"unix://{private_state / 'docker.sock'}",
        "COG_ENGINE_REGISTRY_PORT": str(ports[0]),
        "COG_ENGINE_REGISTRY_OPEN_PORT": str(ports[1]),
        "COG_ENGINE_BASE_IMAGES": "",
    }
    before = set(dockerd_pids())
    try:
        # Two concurrent ups: the lock serialises them, one starts dockerd, the other finds it.
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            ups = list(pool.map(lambda _: engine_script("up", env=env), range(2)))
        assert [up.returncode for up in ups] == [0, 0], [up.stderr for up in ups]
        both = ups[0].stderr + ups[1].stderr
        assert both.count("engine: starting dockerd") == 1, both
        assert both.count("engine: already running (started by scripts/engine, pid") == 1, both
        started = set(dockerd_pids()) - before
        assert len(started) == 1, both
        assert f"engine: started dockerd (pid {started.pop()}" in both
        again = engine_script("up", env=env)
        assert again.stderr.splitlines()[0].startswith("engine: already running (started by scripts/engine, pid")
        assert "nothing to do" in again.stderr
    finally:
        down = engine_script("down", env=env)
    assert down.returncode == 0, down.stderr
    assert "engine: stopping dockerd" in down.stderr and "engine: stopped" in down.stderr
    assert set(dockerd_pids()) == before
    assert not any(answers(port) for port in ports)
    assert engine.ping()  # the shared engine was not touched
