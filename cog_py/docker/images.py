"""Image housekeeping: inspect, tag, remove, and run a one-off command in an image."""

from __future__ import annotations

from typing import Any

import docker.errors

from cog_py.docker.client import map_error
from cog_py.docker.run import ROLE_LABEL, extra_labels
from cog_py.errors import BuildError



def image_attrs(client: Any, name: str) -> dict[str, Any]:
    try:
        return dict(client.images.get(name).attrs)
    except docker.errors.DockerException as exc:
        raise map_error(exc, f"inspecting {name}") from exc


def tag_image(client: Any, source: str, target: str) -> None:
    repo, _, tag = target.rpartition(":") if ":" in target.rsplit("/", 1)[-1] else (target, "", "latest")
    try:
        client.images.get(source).tag(repo, tag or "latest")
    except docker.errors.DockerException as exc:
        raise map_error(exc, f"tagging {target}") from exc


def remove_tag(client: Any, name: str) -> None:
    """Untag `name` (layers shared with other tags stay); silent when it is gone already."""
    try:
        client.images.remove(name, noprune=False)
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.APIError:
        pass


def run_capture(client: Any, image: str, command: list[str], *, what: str,
                environment: dict[str, str] | None = None,
                volumes: dict[str, dict[str, str]] | None = None) -> str:
    """Run `command` in a throw-away container (host network); return its stdout."""
    labels = {ROLE_LABEL: "build", **dict(extra_labels())}
    container = None
    try:
        container = client.containers.create(
            image, command=command, network_mode="host", labels=labels, environment=environment or {},
            volumes=volumes or {},
        )
        container.start()
        status = container.wait(timeout=600)
        out: str = container.logs(stdout=True, stderr=False).decode("utf-8", "replace")
        if status.get("StatusCode", 1) != 0:
            err = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
            tail = "\n".join((err or out).strip().splitlines()[-20:])
            raise BuildError(f"{what} failed in the built image (exit {status.get('StatusCode')}):\n{tail}")
        return out
    except docker.errors.DockerException as exc:
        raise map_error(exc, what) from exc
    finally:
        if container is not None:
            try:
                container.remove(force=True)
            except docker.errors.DockerException:
                pass
