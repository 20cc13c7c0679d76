"""connect(): an engine that cannot be reached is a DockerError, and no socket is left open."""

from __future__ import annotations

import gc
import socket
import warnings
from pathlib import Path

import pytest

from cog_py.docker.client import connect
from cog_py.errors import DockerError


def test_a_stale_socket_file_is_a_clear_error_without_a_leaked_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:   # bound, never listening: refused
        dead.bind(str(path))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(DockerError, match="cannot reach the Docker engine at .*docker.sock: Connection refused") as info:
            connect()
        del info
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_no_socket_file_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'none.sock'}")
    with pytest.raises(DockerError, match="no socket at"):
        connect()
