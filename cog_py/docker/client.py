"""Connecting to the Docker engine, and turning docker SDK errors into ours (one place)."""

from __future__ import annotations

import os
import socket
from typing import Any

import docker
import docker.errors

from cog_py.docker.engine_api import ENGINE_HINT
from cog_py.errors import BuildError, DockerError


def connect() -> Any:
    """A docker SDK client for the engine from the environment (DOCKER_HOST or the default socket)."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if host.startswith("unix://"):
        # Checked here: the SDK leaks the socket of a failed unix connect (no socket file, or a
        # stale one that an engine which stopped left behind).
        path = host[len("unix://"):]
        if not os.path.exists(path):
            raise DockerError(f"cannot reach the Docker engine: no socket at {path}", hint=ENGINE_HINT)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(path)
            except OSError as exc:
                raise DockerError(f"cannot reach the Docker engine at {path}: {exc.strerror or exc}",
                                  hint=ENGINE_HINT) from exc
    client = None
    try:
        # Creating the client asks the engine for its API version: that round trip is the
        # reachability check (a ping after it would be a second one).
        client = docker.from_env(timeout=600)
    except docker.errors.DockerException as exc:
        if client is not None:
            client.close()
        raise DockerError(f"cannot reach the Docker engine: {_reason(exc)}", hint=ENGINE_HINT) from exc
    return client


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in ("Connection refused", "No such file or directory", "Permission denied"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0] if text else type(exc).__name__


def map_error(exc: BaseException, doing: str) -> Exception:
    """Our error for a docker SDK exception raised while `doing` something."""
    if isinstance(exc, docker.errors.ImageNotFound):
        return DockerError(f"{doing}: image not found ({_explanation(exc)})")
    if isinstance(exc, docker.errors.BuildError):
        return BuildError(f"{doing}: {exc.msg}")
    if isinstance(exc, docker.errors.APIError):
        return DockerError(f"{doing}: the engine refused: {_explanation(exc)}")
    if isinstance(exc, docker.errors.DockerException):
        return DockerError(f"{doing}: {_reason(exc)}", hint=ENGINE_HINT)
    return DockerError(f"{doing}: {exc}")


def _explanation(exc: Any) -> str:
    return str(getattr(exc, "explanation", None) or exc)
