"""Running model containers: create arguments, GPU fallback, readiness, and guaranteed removal.

`container_kwargs` is a pure function of a `ContainerSpec` (unit-tested); `start_container`
and `model_container` hold the effects. Every container the CLI starts is removed again in a
`finally`, and SIGTERM/SIGHUP are turned into KeyboardInterrupt while one runs so that the
`finally` also runs when the CLI is told to stop; a guard process (reaper.py) removes it when
the CLI dies without running its `finally` (SIGKILL).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import IO, Any

from cog_py.docker.network import NETWORK_ENV
from cog_py.docker.reaper import Guard, start_guard
from cog_py.errors import DockerError

CONTAINER_PORT = 5000
SHM_SIZE = "6g"
# Every container the CLI starts carries this label, with the command as value.
ROLE_LABEL = "dev.cog-py.role"
# Extra labels for containers the CLI starts, `k=v,k2=v2` (test suites mark their containers).
LABELS_ENV = "COG_PY_CONTAINER_LABELS"
_DRIVER_ERRORS = ("could not select device driver", "nvidia-container-cli: initialization error")
_GUARDS: dict[str, Guard] = {}   # container id -> its guard process, released on removal

Say = Callable[[str], None]


@dataclass(frozen=True)
class ContainerSpec:
    """What to run and how; `container_kwargs` turns it into docker SDK arguments."""

    image: str
    command: tuple[str, ...] | None = None
    env: tuple[tuple[str, str], ...] = ()
    project_dir: Path | None = None          # bind-mounted at /src (dev mode)
    network_host: bool = False               # host network: the server listens on `port`
    port: int | None = None                  # host port (None: the engine picks one)
    host_ip: str = "127.0.0.1"               # interface the published port binds to
    publish: bool = True                     # publish CONTAINER_PORT (model servers)
    extra_ports: tuple[tuple[str, int], ...] = ()   # `cog exec -p`: (host ip, port) same inside
    gpus: str | None = None                  # "all", "2", "device=0,1"
    labels: tuple[tuple[str, str], ...] = ()
    extra_hosts: tuple[tuple[str, str], ...] = ()
    tty: bool = False
    stdin: bool = False
    role: str = "predict"


def extra_labels(environ: Mapping[str, str] = os.environ) -> tuple[tuple[str, str], ...]:
    """Labels from `COG_PY_CONTAINER_LABELS` (`k=v,k2=v2`)."""
    raw = environ.get(LABELS_ENV, "")
    pairs = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        key, _, value = item.partition("=")
        pairs.append((key, value))
    return tuple(pairs)


def device_requests(gpus: str | None) -> list[Any]:
    """Translate `--gpus` (`all`, a count, `device=0,1`) into docker DeviceRequests."""
    if not gpus:
        return []
    from docker.types import DeviceRequest

    value = gpus.strip()
    if value.startswith("device="):
        ids = [d.strip() for d in value[len("device="):].strip('"').split(",") if d.strip()]
        return [DeviceRequest(device_ids=ids, capabilities=[["gpu"]])]
    if value == "all":
        return [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    if value.isdigit():
        return [DeviceRequest(count=int(value), capabilities=[["gpu"]])]
    raise DockerError(f"Invalid --gpus value '{gpus}'", hint="Use 'all', a number of GPUs, or device=0,1.")


def container_kwargs(spec: ContainerSpec) -> dict[str, Any]:
    """Arguments for `client.containers.create(**kwargs)`."""
    env = dict(spec.env)
    kwargs: dict[str, Any] = {
        "image": spec.image,
        "detach": not spec.stdin,   # attached creation makes stdin close when the client's does
        "shm_size": SHM_SIZE,
        "labels": {ROLE_LABEL: spec.role, **dict(spec.labels)},
        "tty": spec.tty,
        "stdin_open": spec.stdin,
    }
    if spec.command is not None:
        kwargs["command"] = list(spec.command)
    if spec.network_host:
        kwargs["network_mode"] = "host"
        if spec.publish and spec.port is not None:
            env["PORT"] = str(spec.port)
    else:
        ports: dict[str, Any] = {}
        if spec.publish:
            ports[f"{CONTAINER_PORT}/tcp"] = (spec.host_ip, spec.port)
        for ip, port in spec.extra_ports:
            ports[f"{port}/tcp"] = (ip, port)
        if ports:
            kwargs["ports"] = ports
    if spec.project_dir is not None:
        kwargs["volumes"] = {str(spec.project_dir): {"bind": "/src", "mode": "rw"}}
        kwargs["working_dir"] = "/src"
    if spec.extra_hosts:
        kwargs["extra_hosts"] = dict(spec.extra_hosts)
    requests = device_requests(spec.gpus)
    if requests:
        kwargs["device_requests"] = requests
    kwargs["environment"] = env
    return kwargs


def is_driver_error(message: str) -> bool:
    """True for the engine's "no GPU support" errors, after which Cog retries without GPUs."""
    return any(text in message for text in _DRIVER_ERRORS)


def start_container(
    client: Any,
    spec: ContainerSpec,
    *,
    gpu_auto: bool = False,
    say: Say = lambda _: None,
    before_start: Callable[[Any], None] | None = None,
) -> Any:
    """Create and start the container; retry without GPUs when they were chosen for the user
    and the engine has no GPU support. `before_start(container)` runs between create and start
    (to attach). Returns the started container (not removed on success)."""
    import docker.errors

    container = _create(client, spec)
    guard = start_guard(container.id)
    if guard is not None:
        _GUARDS[container.id] = guard
    try:
        if before_start is not None:
            before_start(container)
        container.start()
        return container
    except docker.errors.APIError as exc:
        _remove_quietly(container)
        message = str(getattr(exc, "explanation", None) or exc)
        if spec.gpus and gpu_auto and is_driver_error(message):
            say("Missing device driver, re-trying without GPU")
            return start_container(client, replace(spec, gpus=None), say=say, before_start=before_start)
        raise DockerError(f"Failed to start container from {spec.image}: {message}") from exc
    except BaseException:
        _remove_quietly(container)
        raise


def _create(client: Any, spec: ContainerSpec) -> Any:
    import docker.errors

    kwargs = container_kwargs(spec)
    image = kwargs.pop("image")
    # A name of our own lets us find the container if we are interrupted before the engine answers.
    kwargs.setdefault("name", f"cog-{spec.role}-{uuid.uuid4().hex[:12]}")
    try:
        return client.containers.create(image, **kwargs)
    except docker.errors.ImageNotFound as exc:
        raise DockerError(f"Image {image} not found", hint="Build it with `cog build` or pull it first.") from exc
    except docker.errors.APIError as exc:
        raise DockerError(f"Failed to create container from {image}: {getattr(exc, 'explanation', None) or exc}") from exc
    except BaseException:
        try:
            _remove_quietly(client.containers.get(kwargs["name"]))
        except docker.errors.DockerException:
            pass
        raise


def remove_container(container: Any) -> None:
    """Remove a container we started, whatever its state; a missing one is fine."""
    _remove_quietly(container)


def _remove_quietly(container: Any) -> None:
    import docker.errors

    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            print(f"warning: could not remove container {container.short_id}: {exc}", file=sys.stderr)
            return   # the guard stays: it tries again when we exit
    guard = _GUARDS.pop(getattr(container, "id", ""), None)
    if guard is not None:
        guard.release()


def published_port(container: Any, spec: ContainerSpec) -> int:
    """The host port the model server answers on."""
    if spec.network_host:
        if spec.port is None:
            raise DockerError("no port chosen for a host-network container")
        return spec.port
    container.reload()
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{CONTAINER_PORT}/tcp") or []
    for binding in bindings:
        if binding.get("HostPort"):
            return int(binding["HostPort"])
    raise DockerError(
        f"Could not find the port the container's server was published on: the engine published no "
        f"host port for {CONTAINER_PORT}/tcp (its network mode is "
        f"{container.attrs.get('HostConfig', {}).get('NetworkMode') or 'unknown'})",
        hint=f"Run the container on the host network: set {NETWORK_ENV}=host or pass --network host.",
    )


def is_running(container: Any) -> bool:
    """False once the container has exited (or is gone)."""
    import docker.errors

    try:
        container.reload()
    except docker.errors.NotFound:
        return False
    return container.status in ("created", "running", "restarting")


def follow_logs(container: Any, sink: IO[str]) -> threading.Thread:
    """Copy the container's output to `sink` from a daemon thread until it stops."""

    def pump() -> None:
        try:
            for chunk in container.logs(stream=True, follow=True):
                sink.write(chunk.decode("utf-8", "replace"))
                sink.flush()
        except Exception:  # the container was removed under us: nothing more to show
            return

    thread = threading.Thread(target=pump, name="container-logs", daemon=True)
    thread.start()
    return thread


@contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """While inside, SIGINT, SIGTERM and SIGHUP raise KeyboardInterrupt so cleanup runs.

    SIGINT is included because a process started in the background by a shell inherits it
    ignored, and Python then never raises KeyboardInterrupt for Ctrl-C or `kill -INT`.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def model_container(
    client: Any,
    spec: ContainerSpec,
    *,
    gpu_auto: bool = False,
    say: Say = lambda _: None,
    logs: IO[str] | None = None,
) -> Iterator[tuple[Any, int]]:
    """Start the container and yield (container, host port); always remove it afterwards."""
    with stop_signals_interrupt():
        container = start_container(client, spec, gpu_auto=gpu_auto, say=say)
        try:
            if logs is not None:
                follow_logs(container, logs)
            yield container, published_port(container, spec)
        finally:
            _remove_quietly(container)
