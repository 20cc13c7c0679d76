"""GPUs chosen for a GPU model on an engine without GPU support: say so and run without (engine).

This engine has no NVIDIA runtime, so a device request fails at start exactly as on a laptop
without GPUs; Cog then prints `Missing device driver, re-trying without GPU` and goes on.
"""

from __future__ import annotations

import docker
import pytest

from cog_py.docker.run import ContainerSpec, model_container, remove_container, start_container
from cog_py.errors import DockerError
from tests.integration.conftest import SESSION_ID, TEST_LABEL, TEST_LABELS, TEST_SESSION_LABEL

pytestmark = pytest.mark.engine


def spec(image: str, gpus: str | None) -> ContainerSpec:
    return ContainerSpec(image=image, command=("sleep", "30"), network_host=True, publish=False, gpus=gpus,
                         labels=tuple(TEST_LABELS.items()), role="test")


def test_auto_gpu_retries_without(engine: docker.DockerClient, base_image_311: str) -> None:
    said: list[str] = []
    container = start_container(engine, spec(base_image_311, "all"), gpu_auto=True, say=said.append)
    try:
        container.reload()
        assert container.status == "running"
        assert not container.attrs["HostConfig"].get("DeviceRequests")
        assert said == ["Missing device driver, re-trying without GPU"]
    finally:
        remove_container(container)
    assert not engine.containers.list(all=True, filters={"label": TEST_LABEL, "id": container.id})


def test_explicit_gpus_fail_clearly(engine: docker.DockerClient, base_image_311: str) -> None:
    mine = {"label": f"{TEST_SESSION_LABEL}={SESSION_ID}"}
    before = {c["Id"] for c in engine.api.containers(all=True, filters=mine)}
    with pytest.raises(DockerError, match="Failed to start container from python:3.11-slim: .*device driver"):
        start_container(engine, spec(base_image_311, "all"), gpu_auto=False)
    assert {c["Id"] for c in engine.api.containers(all=True, filters=mine)} == before


def test_model_container_removes_on_error(engine: docker.DockerClient, base_image_311: str) -> None:
    from dataclasses import replace

    with pytest.raises(RuntimeError):
        with model_container(engine, replace(spec(base_image_311, None), port=1)) as (container, _port):
            raise RuntimeError("boom")
    with pytest.raises(docker.errors.NotFound):
        engine.containers.get(container.id)
