"""The stdlib engine client (cog_py/docker/engine_api.py) against a small HTTP server on a real unix
socket, and the image config a committed layer gets (cog_py/docker/layers.py)."""

from __future__ import annotations

import io
import json
import socket
import socketserver
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from cog_py.build.engine import DockerEngine, LayerCommit
from cog_py.docker import layers
from cog_py.docker.engine_api import ENGINE_HINT, EngineAPI, socket_path
from cog_py.errors import DockerError

PID = "sha256:" + "a1" * 32
PARENT = {"Id": PID, "Config": {"Cmd": ["python", "-m", "cog.server.http"], "Entrypoint": ["/usr/bin/tini", "--"],
                                            "Env": ["A=1"], "WorkingDir": "/src", "User": "", "Labels": {"base": "1"},
                                            "Image": "sha256:grandparent"}}


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    calls: list[tuple[str, str, bytes]]
    close_after: set[str]
    drop_once: set[str]   # close the connection without an answer, once


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.calls.append((self.command, self.path, body))
        path = self.path.split("?", 1)[0]
        if path in self.server.drop_once:
            self.server.drop_once.discard(path)
            self.close_connection = True
            return
        status, payload = 404, {"message": "No such image: nope:1"}
        if path == "/_ping":
            status, payload = 200, "OK"
        elif path == f"/images/{PID}/json" or path == "/images/me/model:1/json":
            status, payload = 200, PARENT
        elif path == "/containers/create":
            status, payload = 201, {"Id": "c1", "Warnings": []}
        elif path == "/containers/c1/archive":
            status, payload = 200, ""
        elif path == "/containers/bad/archive":
            status, payload = 500, {"message": "no space left on device"}
        elif path == "/commit":
            status, payload = 201, {"Id": "sha256:new"}
        elif path.startswith("/containers/c1"):
            status, payload = 204, ""
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        if path in self.server.close_after:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_Server]:
    path = str(tmp_path / "engine.sock")
    srv = _Server(path, _Handler)
    srv.calls = []
    srv.close_after = set()
    srv.drop_once = set()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def test_unix_hosts_only() -> None:
    assert socket_path("unix:///var/run/docker.sock") == "/var/run/docker.sock"
    assert socket_path("unix:///tmp/x.sock") == "/tmp/x.sock"
    assert socket_path("tcp://127.0.0.1:2375") is None and socket_path("ssh://me@host") is None


def test_a_tcp_engine_is_left_to_the_docker_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    assert EngineAPI.from_env() is None
    assert DockerEngine.from_env().api is None   # the SDK is connected on the first call that needs it


def test_no_socket_and_nobody_listening_say_how_to_get_an_engine(tmp_path: Path) -> None:
    with pytest.raises(DockerError) as err:
        EngineAPI(str(tmp_path / "none.sock")).ping()
    assert err.value.message == f"cannot reach the Docker engine: no socket at {tmp_path / 'none.sock'}"
    assert err.value.hint == ENGINE_HINT
    dead = tmp_path / "dead.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(dead))
    sock.close()   # the file stays, nobody listens
    with pytest.raises(DockerError) as err:
        EngineAPI(str(dead)).ping()
    assert err.value.message == "cannot reach the Docker engine: connection refused" and err.value.hint == ENGINE_HINT


def test_inspect_refusals_and_one_connection(server: _Server) -> None:
    api = EngineAPI(server.server_address)  # type: ignore[arg-type]
    api.ping()
    assert api.inspect_image("me/model:1") == PARENT
    assert api.inspect_image("nope:1") is None
    with pytest.raises(DockerError) as err:
        api.put_archive("bad", "/", io.BytesIO(b"tar"), doing="adding the code to me/model")
    assert err.value.message == "adding the code to me/model: the engine refused: no space left on device"
    assert [c[1].split("?")[0] for c in server.calls] == ["/_ping", "/images/me/model:1/json", "/images/nope:1/json",
                                                           "/containers/bad/archive"]
    api.close()


def test_a_connection_the_engine_closed_is_opened_again(server: _Server) -> None:
    server.close_after = {"/_ping"}
    api = EngineAPI(server.server_address)  # type: ignore[arg-type]
    api.ping()
    assert api.inspect_image(PID) == PARENT
    api.close()


def test_a_dropped_connection_is_retried_only_for_a_request_that_changes_nothing(server: _Server) -> None:
    api = EngineAPI(server.server_address)  # type: ignore[arg-type]
    server.drop_once = {f"/images/{PID}/json", "/containers/create"}
    assert api.inspect_image(PID) == PARENT   # asked again on a new connection
    with pytest.raises(DockerError) as err:
        api.create_container({"Image": PID}, doing="adding the code to me/model")
    assert err.value.message.startswith("adding the code to me/model: the engine closed the connection")
    assert [c[1] for c in server.calls].count("/containers/create") == 1   # never sent twice
    api.close()


def test_commit_layer_creates_copies_commits_and_removes(server: _Server) -> None:
    api = EngineAPI(server.server_address)  # type: ignore[arg-type]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("src/predict.py")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"x\n"))
    made = layers.commit_layer(api, PID, "me/model:1", buf, labels={"run.cog.pip_freeze": "a==1\nb==2\n"},
                               created_by="#(nop) COPY src/ /src/")
    assert made == "sha256:new"
    methods = [(c[0], c[1].split("?")[0]) for c in server.calls]
    assert methods == [("GET", f"/images/{PID}/json"), ("POST", "/containers/create"),
                       ("PUT", "/containers/c1/archive"), ("POST", "/commit"), ("DELETE", "/containers/c1")]
    create = json.loads(server.calls[1][2])
    assert create["Image"] == PID and create["Cmd"] == ["/bin/sh", "-c", "#(nop) COPY src/ /src/"]
    assert server.calls[2][2] == buf.getvalue() and "path=%2F" in server.calls[2][1]
    assert "repo=me%2Fmodel" in server.calls[3][1] and "tag=1" in server.calls[3][1]
    config = json.loads(server.calls[3][2])
    assert config["Labels"] == {"base": "1", "run.cog.pip_freeze": "a==1\nb==2\n"}
    assert config["Image"] == PID
    assert {k: v for k, v in config.items() if k not in ("Labels", "Image")} == {
        k: v for k, v in PARENT["Config"].items() if k not in ("Labels", "Image")}   # type: ignore[union-attr]
    api.close()


def test_the_engine_inspects_the_dependency_image_once(server: _Server) -> None:
    engine = DockerEngine(None, EngineAPI(server.server_address))  # type: ignore[arg-type]
    assert engine.image_id(PID) == PID and engine.image_id("nope:1") is None
    engine.commit_layer(LayerCommit(parent=PID, tag="me/model:1", archive=io.BytesIO(b""), labels={"k": "v"}))
    paths = [c[1].split("?")[0] for c in server.calls]
    assert paths.count(f"/images/{PID}/json") == 1 and "/commit" in paths
    engine.close()


def test_a_parent_without_a_command_gets_none_of_ours() -> None:
    # The engine fills an image config's empty command from the container's: ours would leak.
    config = layers.image_config({"Id": "sha256:p", "Config": {"Env": ["A=1"]}}, "sha256:p", {"k": "v"})
    assert "Cmd" not in layers._create_config(config, "sha256:p", "#(nop) COPY")
    assert config == {"Env": ["A=1"], "Labels": {"k": "v"}, "Image": "sha256:p"}


@pytest.mark.parametrize("tag", ["me/model", "me/model:1", "model", "127.0.0.1:5100/a/b:v2", "localhost:5000/x",
                                 "cog-py-tmp:0123abcd", "r8.im/u/m:v1"])
def test_the_commit_splits_a_name_as_the_registry_module_does(tag: str) -> None:
    from cog_py.docker.registry import parse_ref

    ref = parse_ref(tag)
    assert layers._split(tag) == (ref.repository, ref.tag)
