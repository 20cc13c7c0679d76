"""One layer of files on an image without a Dockerfile build: create, copy in, commit.

What the classic builder does for one `COPY` step, without the builder: a container is created
(never started) from the parent image, the tar is extracted into its filesystem, and the
container is committed under the new name with the parent's image config plus the labels. The
classic builder runs a container and a commit per Dockerfile instruction (`ARG`, `LABEL`,
`COPY`: three); this is one, and a code-only rebuild needs no build context upload or
Dockerfile parse either.

The image config is sent whole with the commit (the parent's, labels added, `Image` naming the
parent): the engine fills an empty field of it from the container's config, so the container is
created with the parent's command, and only with `created_by` as its command (the layer's line
in `docker history`) when the parent has a command or entrypoint that keeps it out of the image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from cog_py.docker.engine_api import EngineAPI
from cog_py.errors import DockerError


def image_config(parent: Mapping[str, Any], parent_id: str, labels: Mapping[str, str]) -> dict[str, Any]:
    """The new image's config: the parent's (from its inspect), labels added, `Image` = parent."""
    config = dict(parent.get("Config") or {})
    config["Labels"] = {**(config.get("Labels") or {}), **labels}
    config["Image"] = str(parent.get("Id") or parent_id)
    return config


def _create_config(config: Mapping[str, Any], parent_id: str, created_by: str) -> dict[str, Any]:
    # A command of our own would leak into the image when it has neither (see module doc).
    keeps = bool(config.get("Cmd") or config.get("Entrypoint"))
    create: dict[str, Any] = {"Image": parent_id, "HostConfig": {"NetworkMode": "none"}}
    if created_by and keeps:
        create["Cmd"] = ["/bin/sh", "-c", created_by]
    return create


def _split(tag: str) -> tuple[str, str]:
    """`repo[:tag]` -> (repo, tag or "latest"); a registry's `host:port/` is part of the repo.
    (registry.parse_ref says the same, and more: a code-only build spares its import.)"""
    last = tag.rsplit("/", 1)[-1]
    if ":" in last:
        name, version = last.split(":", 1)
        return tag[: len(tag) - len(last)] + name, version
    return tag, "latest"


def commit_layer(api: EngineAPI, parent_id: str, tag: str, archive: IO[bytes], *,
                 labels: Mapping[str, str], created_by: str = "", parent: Mapping[str, Any] | None = None) -> str:
    """`archive` extracted at `/` on image `parent_id`, committed as `tag`; the new image's ID.
    `parent`: the parent's inspect when the caller has it already."""
    doing = f"adding the code to {tag}"
    parent = parent if parent is not None else api.inspect_image(parent_id)
    if parent is None:
        raise DockerError(f"{doing}: image not found ({parent_id})")
    config = image_config(parent, parent_id, labels)
    container = api.create_container(_create_config(config, parent_id, created_by), doing=doing)
    try:
        api.put_archive(container, "/", archive, doing=doing)
        repo, version = _split(tag)
        return api.commit(container, repo=repo, tag=version, config=config, doing=doing)
    finally:
        api.remove_container(container)


def commit_layer_sdk(client: Any, parent_id: str, tag: str, archive: IO[bytes], *,
                     labels: Mapping[str, str], created_by: str = "") -> str:
    """`commit_layer` through the docker SDK's low-level API (an engine not on a unix socket)."""
    import docker.errors

    from cog_py.docker.client import map_error

    doing = f"adding the code to {tag}"
    container = None
    try:
        parent = client.api.inspect_image(parent_id)
        config = image_config(parent, parent_id, labels)
        create = _create_config(config, parent_id, created_by)
        host_config = client.api.create_host_config(network_mode="none")
        container = client.api.create_container(parent_id, command=create.get("Cmd"), host_config=host_config)["Id"]
        archive.seek(0)
        client.api.put_archive(container, "/", archive.read())
        repo, version = _split(tag)
        made = client.api.commit(container, repository=repo, tag=version, conf=config)
        return str(made["Id"])
    except docker.errors.DockerException as exc:
        raise map_error(exc, doing) from exc
    finally:
        if container is not None:
            try:
                client.api.remove_container(container, force=True, v=True)
            except docker.errors.DockerException:
                pass

