"""Run a rendered pod on the engine the way a kubelet would: create from `local_pod`, probe on schedule, stop.

The kubelet parts a test needs, and no more: HTTP probes with the manifest's timing (startup
first, then readiness and liveness), the preStop hook, SIGTERM, and a kill when the grace
period is over.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import time
from collections.abc import Iterator
from typing import Any

import docker

from cog_py.deploy.local import LocalPod, Probe
from tests.integration.conftest import TEST_LABELS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_call(port: int, method: str, path: str, body: bytes | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    """(status, body); (0, b"") when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        conn.close()


def probe_once(probe: Probe) -> bool:
    """One probe as the kubelet runs it: 200-399 within the timeout is a success."""
    status, _ = http_call(probe.port, "GET", probe.path, timeout=probe.timeout)
    return 200 <= status < 400


def run_probe(probe: Probe, *, slack: float = 1.0) -> tuple[bool, int]:
    """Probe on the manifest's schedule until success_threshold successes in a row, or
    failure_threshold failures in a row; returns (succeeded, probes run). `slack` stretches the
    period for a loaded machine (1.0: exactly the manifest's)."""
    time.sleep(probe.initial_delay)
    successes = failures = runs = 0
    while True:
        started = time.monotonic()
        runs += 1
        if probe_once(probe):
            successes, failures = successes + 1, 0
            if successes >= probe.success_threshold:
                return True, runs
        else:
            successes, failures = 0, failures + 1
            if failures >= probe.failure_threshold:
                return False, runs
        time.sleep(max(0.0, probe.period * slack - (time.monotonic() - started)))


@contextlib.contextmanager
def running_pod(engine: docker.DockerClient, pod: LocalPod, name: str) -> Iterator[Any]:
    """The container started from `pod`, labelled as a test one; removed at the end whatever happens."""
    kwargs = dict(pod.create_kwargs)
    kwargs["labels"] = {**TEST_LABELS, **kwargs.get("labels", {})}
    container = engine.containers.create(name=name, **kwargs)
    try:
        container.start()
        yield container
    finally:
        with contextlib.suppress(docker.errors.DockerException):
            container.remove(force=True)


def stop_pod(container: Any, pod: LocalPod) -> int:
    """The kubelet's stop: preStop hook, SIGTERM, wait up to the grace period, then SIGKILL; the exit code."""
    started = time.monotonic()
    hook = pod.pre_stop
    if hook is not None:
        if hook.sleep:
            time.sleep(hook.sleep)
        elif hook.exec:
            container.exec_run(list(hook.exec))
        elif hook.http_path:
            http_call(pod.port, "GET", hook.http_path)
    container.kill(signal="SIGTERM")
    left = max(1.0, pod.grace_seconds - (time.monotonic() - started))
    try:
        return int(container.wait(timeout=left).get("StatusCode", -1))
    except Exception:  # noqa: BLE001 - the grace period is over (requests' ReadTimeout or ConnectionError)
        container.kill(signal="SIGKILL")
        return int(container.wait(timeout=60).get("StatusCode", -1))


def metric(port: int, name: str) -> float | None:
    """A sample without labels from /metrics, or None."""
    status, body = http_call(port, "GET", "/metrics")
    if status != 200:
        return None
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None
