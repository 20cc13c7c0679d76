"""Which network the CLI's model containers join.

An engine without its default bridge network (a rootless daemon without one, or `dockerd
--bridge=none`, which is what scripts/engine starts) cannot publish a container's port, so the
CLI runs containers on the host network there and picks a free loopback port itself.
`COG_DOCKER_NETWORK` (or `--network`) always wins over the detection.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

NETWORK_ENV = "COG_DOCKER_NETWORK"
HOST_NOTICE = "Using host networking: the Docker engine has no bridge network"
DEFAULT_BRIDGE = "bridge"

_noticed = False


def has_default_bridge(networks: Iterable[Mapping[str, Any]]) -> bool:
    """True when the engine's `GET /networks` answer lists the default bridge network."""
    return any(n.get("Name") == DEFAULT_BRIDGE and n.get("Driver") == DEFAULT_BRIDGE for n in networks)


def engine_has_bridge(client: Any) -> bool:
    """Ask the engine (one API call). An engine that cannot say is assumed to have one."""
    import docker.errors

    try:
        networks = client.api.networks()
    except docker.errors.DockerException:
        return True
    return has_default_bridge(networks or [])


def use_host_network(network: str | None, environ: Mapping[str, str] = os.environ) -> bool:
    """`--network host` or `COG_DOCKER_NETWORK=host` runs containers on the host network."""
    chosen = network or environ.get(NETWORK_ENV) or ""
    return chosen == "host"


def choose_host_network(
    network: str | None,
    client: Any,
    *,
    say: Callable[[str], None],
    environ: Mapping[str, str] = os.environ,
) -> bool:
    """The user's choice when they made one, else host networking exactly when the engine has
    no bridge network (saying so once per process)."""
    global _noticed
    if network or environ.get(NETWORK_ENV):
        return use_host_network(network, environ)
    if engine_has_bridge(client):
        return False
    if not _noticed:
        _noticed = True
        say(HOST_NOTICE)
    return True
