"""Session fixtures for tests that use the real Docker engine that `scripts/engine up` provides.

Use them like this:

    from tests.integration.conftest import TEST_LABELS

    @pytest.mark.engine
    def test_x(engine, base_image_311, run_container):
        assert run_container(base_image_311, ["python", "-V"]).startswith("Python 3.11")

Every container a test creates carries TEST_LABELS (at least TEST_LABEL=1): at the end of the
session any labelled container this session created that still exists fails the run, and is removed.
The base images may be local stand-ins (label dev.cog-py.standin), seeded by scripts/engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.conftest import engine_problem, engine_unavailable

TEST_LABEL = "dev.cog-py.test"
TEST_SESSION_LABEL = "dev.cog-py.test.session"
SESSION_ID = uuid.uuid4().hex[:12]
# Put these on every container (and image) a test creates.
TEST_LABELS: dict[str, str] = {TEST_LABEL: "1", TEST_SESSION_LABEL: SESSION_ID}

BASE_IMAGE_311 = "python:3.11-slim"
BASE_IMAGE_313 = "python:3.13-slim"
REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINE_SCRIPT = REPO_ROOT / "scripts" / "engine"


def engine_state_dir() -> Path:
    return Path(os.environ.get("COG_ENGINE_STATE", "/var/lib/cog-py-engine"))


@dataclass(frozen=True)
class Registry:
    """The local registry with password auth (test credentials), and a second one without auth."""

    url: str  # host:port, e.g. 127.0.0.1:5100
    username: str
    password: str
    open_url: str  # host:port of the registry that needs no login

    @property
    def auth_config(self) -> dict[str, str]:
        return {"username": self.username, "password": self.password}


@pytest.fixture(scope="session")
def engine_facts() -> dict[str, Any]:
    """The contents of engine.json that `scripts/engine up` wrote."""
    if (problem := engine_problem()) is not None:
        engine_unavailable(problem)
    path = engine_state_dir() / "engine.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as error:
        engine_unavailable(f"cannot read {path}: {error}")
        raise  # unreachable: engine_unavailable skips or fails


@pytest.fixture(scope="session")
def engine(engine_facts: dict[str, Any]) -> Iterator[docker.DockerClient]:
    """A docker SDK client for the running engine."""
    client = docker.from_env(timeout=300)
    yield client
    client.close()


@pytest.fixture(scope="session")
def docker_cli(engine_facts: dict[str, Any]) -> str:
    """The docker CLI to use for BuildKit builds (the engine's own 20.10 client when installed)."""
    return str(engine_facts["docker_cli"])


@pytest.fixture(scope="session")
def registry(engine_facts: dict[str, Any]) -> Registry:
    return Registry(
        url=engine_facts["registry"],
        username=engine_facts["registry_username"],
        password=engine_facts["registry_password"],
        open_url=engine_facts["registry_open"],
    )


def _present(client: docker.DockerClient, tag: str) -> str:
    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        engine_unavailable(f"base image {tag} is not in the engine")
    return tag


@pytest.fixture(scope="session")
def base_image_311(engine: docker.DockerClient) -> str:
    return _present(engine, BASE_IMAGE_311)


@pytest.fixture(scope="session")
def base_image_313(engine: docker.DockerClient) -> str:
    return _present(engine, BASE_IMAGE_313)


@pytest.fixture(scope="session")
def run_container(engine: docker.DockerClient) -> Callable[..., str]:
    """Run a command to completion with host networking and the test labels; return its output.
    A non-zero exit raises docker.errors.ContainerError; the container is removed either way."""

    def run(image: str, command: list[str] | str, **kwargs: Any) -> str:
        return run_to_completion(engine, image, command, stderr=True, **kwargs).decode(errors="replace")

    return run


def run_to_completion(engine: docker.DockerClient, image: str, command: list[str] | str, *,
                      stderr: bool = False, **kwargs: Any) -> bytes:
    """Run a container to its end (host network, test labels) and return what it printed.

    Unlike `containers.run(...)` without `detach`, which follows the log as a stream and can
    lose a last line that has no newline, this reads the stored log after the container ended.
    A non-zero exit raises docker.errors.ContainerError; the container is removed either way."""
    kwargs.setdefault("network_mode", "host")
    kwargs["labels"] = {**TEST_LABELS, **kwargs.get("labels", {})}
    container = engine.containers.run(image, command, detach=True, **kwargs)
    try:
        status = container.wait(timeout=600).get("StatusCode", 1)
        out: bytes = container.logs(stdout=True, stderr=stderr)
        if status != 0:
            err = container.logs(stdout=False, stderr=True)
            raise docker.errors.ContainerError(container, status, command, image, err)
        return out
    finally:
        with contextlib.suppress(docker.errors.DockerException):
            container.remove(force=True)


def listed_containers(client: docker.DockerClient, label: str) -> dict[str, dict[str, Any]]:
    """Container summaries by id, from one list call: `containers.list()` inspects each container
    afterwards and fails when one is removed in between (auto-removed ones, another test's)."""
    return {c["Id"]: c for c in client.api.containers(all=True, filters={"label": label})}


def _labelled_containers(client: docker.DockerClient) -> dict[str, dict[str, Any]]:
    containers = listed_containers(client, TEST_LABEL)
    return {key: c for key, c in containers.items() if (c.get("Labels") or {}).get(TEST_SESSION_LABEL, SESSION_ID) == SESSION_ID}


@pytest.fixture(scope="session", autouse=True)
def _no_leftover_test_containers() -> Iterator[None]:
    """Fail the session when a labelled container created during it is still there at the end."""
    if engine_problem() is not None:
        yield
        return
    client = docker.from_env(timeout=60)
    before = set(_labelled_containers(client))
    yield
    deadline = time.monotonic() + 10  # give auto-removing containers a moment
    while True:
        leftovers = {key: c for key, c in _labelled_containers(client).items() if key not in before}
        if not leftovers or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    names = ", ".join(f"{','.join(n.lstrip('/') for n in c.get('Names') or [])} (image {c.get('Image')})" for c in leftovers.values())
    for key in leftovers:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(key, force=True)
    client.close()
    if leftovers:
        pytest.fail(f"tests left {len(leftovers)} container(s) behind (now removed): {names}", pytrace=False)
