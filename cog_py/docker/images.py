"""Image housekeeping: inspect, tag, remove, and run a one-off command in an image."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Mapping
from typing import Any

import docker.errors

from cog_py.docker.client import map_error
from cog_py.docker.registry import parse_ref
from cog_py.docker.run import ROLE_LABEL, extra_labels
from cog_py.errors import BuildError, CogError, DockerError

def image_attrs(client: Any, name: str) -> dict[str, Any]:
    try:
        return dict(client.images.get(name).attrs)
    except docker.errors.DockerException as exc:
        raise map_error(exc, f"inspecting {name}") from exc


def image_id(client: Any, ref: str) -> str | None:
    """The full ID of image `ref`, or None when the engine has none (one inspect)."""
    try:
        return str(client.api.inspect_image(ref)["Id"])
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.DockerException as exc:
        raise map_error(exc, f"inspecting {ref}") from exc


def tag_image(client: Any, source: str, target: str) -> None:
    ref = parse_ref(target)
    try:
        client.images.get(source).tag(ref.repository, ref.tag)
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


def label_image(client: Any, image: str, new_labels: dict[str, str]) -> None:
    """Re-tag `image` with extra labels (a one-line build on top of it: no new layer)."""
    dockerfile = f"FROM {image}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    buf.seek(0)
    try:
        client.images.build(fileobj=buf, custom_context=True, tag=image, labels=new_labels, network_mode="host",
                            rm=True, pull=False)
    except (docker.errors.BuildError, docker.errors.APIError) as exc:
        raise DockerError(f"Failed to label {image}: {exc}") from exc


def get_or_pull(client: Any, image: str, *, say: Callable[[str], None]) -> Mapping[str, str]:
    """The labels of `image`, pulling it first when it is not present locally."""
    try:
        found = client.images.get(image)
    except docker.errors.ImageNotFound:
        say(f"Pulling {image}...")
        try:
            found = client.images.pull(image)
        except docker.errors.APIError as exc:
            raise DockerError(f"Image {image} not found locally and could not be pulled: "
                              f"{getattr(exc, 'explanation', None) or exc}") from exc
    return found.labels or {}
