"""Hardening at the HTTP edge and for file inputs, on real servers over real sockets.

Request-size limit (413, Content-Length and chunked), bounded parent memory (from /proc),
media types (415/400), the request-head timeout (slowloris), download timeouts and cancel,
and no input directories left in TMPDIR after worker deaths.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import threading
import time
from typing import Iterator

import httpx
import pytest

from tests.server.memory import MIB, PeakRss

pytestmark = pytest.mark.timeout(120)

LIMIT = 4096


def _exact_body(size: int) -> bytes:
    body = b'{"input": {"text": "a"}}'
    return body + b" " * (size - len(body))


class RawResponse:
    def __init__(self, status: int, body: bytes, sent: int) -> None:
        self.status, self.body, self.sent = status, body, sent


def stream_request(port: int, head: bytes, chunks: Iterator[bytes]) -> RawResponse:
    """Send `head`, then `chunks` from another thread, while reading the response here."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.sendall(head)
    sent = [0]

    def pump() -> None:
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                sent[0] += len(chunk)
        except OSError:
            pass

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            if not part:
                break
            data += part
        head_end = data.index(b"\r\n\r\n") + 4
        headers = data[:head_end].decode("latin-1").lower()
        length = int(headers.split("content-length:")[1].split("\r\n")[0])
        while len(data) < head_end + length:
            part = sock.recv(65536)
            if not part:
                break
            data += part
    finally:
        sock.close()
        sender.join(30)
    return RawResponse(int(data.split(b" ", 2)[1]), data[head_end:head_end + length], sent[0])


def repeat(chunk: bytes, total: int) -> Iterator[bytes]:
    """`total` bytes as the same `chunk` object over and over (nothing built in memory)."""
    for _ in range(total // len(chunk)):
        yield chunk
    if total % len(chunk):
        yield chunk[: total % len(chunk)]


def chunked(chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    yield b"0\r\n\r\n"


# -- size limit -------------------------------------------------------------------------------
def test_a_body_of_the_limit_is_read_one_byte_more_is_413(make_server):
    server = make_server("hello.py:Predictor", env={"COG_MAX_REQUEST_BYTES": str(LIMIT)})
    ok = server.post("/predictions", content=_exact_body(LIMIT), headers={"Content-Type": "application/json"})
    assert ok.status_code == 200 and ok.json()["output"] == "hello a"
    over = server.post("/predictions", content=_exact_body(LIMIT + 1), headers={"Content-Type": "application/json"})
    assert over.status_code == 413
    assert over.headers["connection"] == "close"
    assert "COG_MAX_REQUEST_BYTES" in over.json()["detail"]
    # the same through the idempotent PUT and on a route that reads no body
    assert server.put("/predictions/p1", content=_exact_body(LIMIT + 1)).status_code == 413
    assert server.post("/shutdown", content=b" " * (LIMIT + 1)).status_code == 413
    assert server.health()["status"] == "READY"


def test_a_chunked_body_past_the_limit_is_413_without_reading_the_rest(make_server):
    server = make_server("hello.py:Predictor", env={"COG_MAX_REQUEST_BYTES": str(LIMIT)})
    head = (b"POST /predictions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    resp = stream_request(server.port, head, chunked(repeat(b" " * 1024, 64 * MIB)))
    assert resp.status == 413
    assert resp.sent < 64 * MIB      # the server closed the connection; the rest was never read
    small = server.post("/predictions", content=iter([b'{"input": ', b'{"text": "b"}}']))   # chunked, under
    assert small.json()["output"] == "hello b"


def test_500_mib_bodies_and_a_200_mib_data_uri_get_413_with_bounded_parent_memory(make_server):
    server = make_server("file_size.py:Predictor")   # the default limit, 100 MiB
    chunk = b" " * MIB
    results = {}
    for name, head, body in [
        ("content-length", b"POST /predictions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: %d\r\n\r\n" % (500 * MIB), repeat(chunk, 500 * MIB)),
        ("chunked", b"POST /predictions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
         chunked(repeat(chunk, 500 * MIB))),
    ]:
        with PeakRss(server.proc.pid) as peak:
            resp = stream_request(server.port, head, body)
        assert resp.status == 413, name
        results[name] = peak.growth
    prefix = b'{"input": {"f": "data:application/octet-stream;base64,'
    size = len(prefix) + 200 * MIB + 3
    with PeakRss(server.proc.pid) as peak:
        resp = stream_request(server.port, b"POST /predictions HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size,
                              iter([prefix, *repeat(b"A" * MIB, 200 * MIB), b'"}}']))
    assert resp.status == 413
    results["data-uri"] = peak.growth
    assert all(growth < 150 * MIB for growth in results.values()), results
    assert server.health()["status"] == "READY"


def test_a_50_mib_data_uri_file_input_costs_the_worker_under_3x_the_file(make_server):
    server = make_server("file_size.py:Predictor")
    size = 50 * MIB
    data = "data:application/octet-stream;base64," + base64.b64encode(os.urandom(size)).decode()
    body = ('{"input": {"f": "' + data + '"}}').encode()
    del data
    [worker] = server.worker_pids()
    with PeakRss(worker) as peak:
        resp = server.post("/predictions", content=body, headers={"Content-Type": "application/json"})
    assert resp.json()["output"] == size, resp.text[:500]
    assert peak.growth < 3 * size, peak.growth / MIB


# -- media types and JSON -----------------------------------------------------------------------
def test_media_types_and_malformed_json(make_server):
    server = make_server("hello.py:Predictor")
    body = b'{"input": {"text": "a"}}'
    assert server.post("/predictions", content=body, headers={"Content-Type": "text/plain"}).status_code == 415
    assert server.post("/predictions", content=body).json()["output"] == "hello a"     # no Content-Type: JSON
    assert server.post("/predictions", content=body,
                       headers={"Content-Type": "application/json; charset=utf-8"}).status_code == 200
    assert server.post("/predictions", content=b"{nope",
                       headers={"Content-Type": "application/json"}).status_code == 400
    empty = server.post("/predictions")   # no body: read as {} (and text has no default: 422)
    assert empty.status_code == 422


# -- request-head timeout -----------------------------------------------------------------------
def test_a_connection_that_never_finishes_its_head_is_closed(make_server):
    server = make_server("hello.py:Predictor", env={"COG_HEADER_TIMEOUT_S": "1"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"POST /predictions HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        assert sock.recv(1024) == b""    # closed by the server, no answer
        assert time.monotonic() - t0 < 25
    # the next request on a kept-alive connection gets the same deadline
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /health-check HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, rest = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        while len(rest) < length:
            rest += sock.recv(65536)
        sock.sendall(b"GET /health-check HTTP/1.1\r\n")
        assert sock.recv(1024) == b""
    assert server.health()["status"] == "READY"


# -- downloads ----------------------------------------------------------------------------------
class Silent:
    """A TCP server that accepts connections and never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/in.bin"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def silent():
    host = Silent()
    yield host
    host.close()


def test_a_download_that_never_answers_fails_after_the_configured_timeout(make_server, silent):
    server = make_server("file_size.py:Predictor", env={"COG_DOWNLOAD_TIMEOUT_S": "1"})
    resp = server.predict({"f": silent.url})
    assert resp.status_code == 422
    assert resp.json()["status"] == "failed"
    assert "'f'" in resp.json()["error"] and "COG_DOWNLOAD_TIMEOUT_S" in resp.json()["error"]
    assert server.health()["status"] == "READY"


def test_cancel_interrupts_a_download(make_server, silent):
    server = make_server("file_size.py:Predictor", env={"COG_DOWNLOAD_TIMEOUT_S": "60"})
    result = {}

    def run() -> None:
        result["resp"] = server.client.post("/predictions", json={"id": "dl1", "input": {"f": silent.url}})

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not silent.held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert silent.held, "the download never started"
    assert server.post("/predictions/dl1/cancel").status_code == 200
    thread.join(30)
    assert result["resp"].json()["status"] == "canceled"
    assert server.predict({"f": "data:,abc"}).json()["output"] == 3   # the slot is free again


# -- temp files ---------------------------------------------------------------------------------
def test_no_input_directory_is_left_after_worker_kills_and_a_stop(make_server, tmp_path):
    server = make_server("file_size.py:Predictor", env={"TMPDIR": str(tmp_path), "COG_WORKER_CRASH_LIMIT": "10"})
    for _ in range(3):
        resp = server.predict({"f": "data:,abc"})
        assert resp.json().get("output") == 3, resp.text
        [worker] = server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pids = server.worker_pids()
            if len(pids) == 1 and pids != [worker] and server.health()["status"] == "READY":
                break
            time.sleep(0.05)
    resp = server.predict({"f": "data:,abc"})
    assert resp.json().get("output") == 3, resp.text
    server.post("/shutdown")
    assert server.proc.wait(30) == 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("cog-inputs-")] == []
