"""Suite-wide policy for `engine`-marked tests: skip them, with a reason, when no Docker engine
answers; with COG_TEST_REQUIRE_ENGINE=1 (CI sets it) fail them instead."""

from __future__ import annotations

import functools
import http.client
import os
import socket

import pytest

ENGINE_HINT = "run scripts/engine up (see README)"


def engine_required() -> bool:
    return os.environ.get("COG_TEST_REQUIRE_ENGINE") == "1"


def engine_unavailable(reason: str) -> None:
    """Skip the current test, or fail it when an engine is required."""
    if engine_required():
        pytest.fail(f"{reason} (COG_TEST_REQUIRE_ENGINE=1)", pytrace=False)
    pytest.skip(f"{reason}; {ENGINE_HINT}")


@functools.cache
def engine_problem() -> str | None:
    """None when the Docker engine at DOCKER_HOST (default: the local socket) answers /_ping,
    else why not. Asked once per session, with the standard library (the SDK leaks a socket
    when the engine is absent, which filterwarnings=error turns into a failure)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(10)
                sock.connect(host.removeprefix("unix://"))
                sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                status_line = sock.recv(64).split(b"\r\n")[0].decode(errors="replace")
        elif host.startswith("tcp://"):
            address, _, port = host.removeprefix("tcp://").rpartition(":")
            connection = http.client.HTTPConnection(address, int(port), timeout=10)
            try:
                connection.request("GET", "/_ping")
                status_line = f"HTTP/1.1 {connection.getresponse().status}"
            finally:
                connection.close()
        else:
            return f"DOCKER_HOST={host} is not a unix:// or tcp:// address"
    except (OSError, ValueError) as error:
        return f"no Docker engine answers at {host}: {error}"
    if " 200" not in status_line:
        return f"the Docker engine at {host} answered /_ping with {status_line!r}"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("engine") is not None and (problem := engine_problem()) is not None:
        engine_unavailable(problem)
