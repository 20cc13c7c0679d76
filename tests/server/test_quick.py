"""The hot requests answered inside the HTTP protocol (server/quick.py), checked on the wire.

The same request is sent once the quick way (`POST /predictions`) and once the ASGI way (the
same path with a query string, which the quick path leaves alone): the heads must be the same
bytes, and keep-alive, `Connection: close`, pipelining, refusals and fall-backs must behave
as uvicorn's ASGI cycle does.
"""

from __future__ import annotations

import json
import re
import socket
import time

import pytest


def _request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if method == "POST":
        all_headers.setdefault("Content-Length", str(len(body)))
    head += [f"{k}: {v}" for k, v in all_headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _read_response(sock: socket.socket, buf: bytearray) -> tuple[bytes, bytes]:
    """One response (head, body) from `sock`; `buf` keeps what was read beyond it."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed mid-head: {bytes(buf)!r}")
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("connection closed mid-body")
        rest += chunk
    buf[:] = rest[length:]
    return head, rest[:length]


def _connect(server) -> socket.socket:  # type: ignore[no-untyped-def]
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    return sock


def _exchange(server, raw: bytes) -> tuple[bytes, bytes, bool]:  # type: ignore[no-untyped-def]
    """Send one request on a new connection: (head, body, closed by the server afterwards)."""
    with _connect(server) as sock:
        sock.sendall(raw)
        buf = bytearray()
        head, body = _read_response(sock, buf)
        sock.settimeout(0.5)
        try:
            closed = sock.recv(1) == b""
        except socket.timeout:
            closed = False
        return head, body, closed


def test_quick_and_asgi_answers_are_the_same_bytes(make_server):
    server = make_server("hello.py:Predictor")
    body = json.dumps({"input": {"text": "wire"}}).encode()
    quick_head, quick_body, quick_closed = _exchange(server, _request("POST", "/predictions", body))
    asgi_head, asgi_body, asgi_closed = _exchange(server, _request("POST", "/predictions?via=asgi", body))
    assert quick_head.startswith(b"HTTP/1.1 200 OK\r\n")
    # Same head apart from the length (ids and timestamps differ in the body).
    strip = re.compile(rb"content-length: \d+")
    assert strip.sub(b"", quick_head) == strip.sub(b"", asgi_head)
    assert quick_head.split(b"\r\n")[1:] == [b"content-type: application/json", f"content-length: {len(quick_body)}".encode()]
    q, a = json.loads(quick_body), json.loads(asgi_body)
    assert q["output"] == a["output"] == "hello wire"
    assert q["status"] == a["status"] == "succeeded"
    assert sorted(q) == sorted(a)
    assert not quick_closed and not asgi_closed   # keep-alive both ways


def test_health_check_quick_and_keep_alive(make_server):
    server = make_server("hello.py:Predictor")
    with _connect(server) as sock:
        buf = bytearray()
        for _ in range(3):   # several requests on one connection
            sock.sendall(_request("GET", "/health-check"))
            head, body = _read_response(sock, buf)
            assert head.startswith(b"HTTP/1.1 200 OK")
            assert json.loads(body)["status"] == "READY"
        sock.sendall(_request("POST", "/predictions", json.dumps({"input": {"text": "x"}}).encode()))
        head, body = _read_response(sock, buf)
        assert json.loads(body)["output"] == "hello x"


def test_connection_close_is_honoured(make_server):
    server = make_server("hello.py:Predictor")
    body = json.dumps({"input": {"text": "bye"}}).encode()
    head, answer, closed = _exchange(server, _request("POST", "/predictions", body, {"Connection": "close"}))
    assert b"connection: close" in head
    assert json.loads(answer)["output"] == "hello bye"
    assert closed


def test_pipelined_requests_are_answered_in_order(make_server):
    server = make_server("hello.py:Predictor")
    reqs = [_request("POST", "/predictions", json.dumps({"input": {"text": f"n{i}"}}).encode()) for i in range(3)]
    reqs.insert(1, _request("GET", "/health-check"))
    with _connect(server) as sock:
        sock.sendall(b"".join(reqs))   # all at once: each waits for the one before
        buf = bytearray()
        answers = [json.loads(_read_response(sock, buf)[1]) for _ in range(len(reqs))]
    assert answers[0]["output"] == "hello n0"
    assert "status" in answers[1] and "output" not in answers[1]
    assert [a["output"] for a in answers[2:]] == ["hello n1", "hello n2"]


def test_quick_refusals_and_fallbacks(make_server):
    server = make_server("hello.py:Predictor")
    # Invalid JSON and a non-object body: answered in the protocol, as the ASGI path does.
    head, body, _ = _exchange(server, _request("POST", "/predictions", b"{nope"))
    assert head.startswith(b"HTTP/1.1 400 ") and body == b"Invalid JSON body"
    assert b"content-type: text/plain; charset=utf-8" in head
    head, body, _ = _exchange(server, _request("POST", "/predictions", b"[1]"))
    assert head.startswith(b"HTTP/1.1 422 ")
    # A non-JSON type falls back to the ASGI path: 415 there.
    head, body, _ = _exchange(server, _request("POST", "/predictions", b"x", {"Content-Type": "text/plain"}))
    assert head.startswith(b"HTTP/1.1 415 ")
    # Input validation happens in the worker: 422 with the prediction body.
    head, body, _ = _exchange(server, _request("POST", "/predictions", json.dumps({"input": {}}).encode()))
    assert head.startswith(b"HTTP/1.1 422 "), head
    # A known id takes the ASGI path (the existing prediction's snapshot); a new id runs.
    first = json.dumps({"id": "quick-1", "input": {"text": "a"}}).encode()
    head, body, _ = _exchange(server, _request("POST", "/predictions", first))
    assert json.loads(body)["id"] == "quick-1"
    # Prefer: respond-async is the ASGI path: 202.
    head, body, _ = _exchange(server, _request("POST", "/predictions", json.dumps({"input": {"text": "b"}}).encode(),
                                               {"Prefer": "respond-async"}))
    assert head.startswith(b"HTTP/1.1 202 ")


def test_busy_server_refuses_in_the_protocol(make_server):
    server = make_server("sleeper.py:Predictor")
    with _connect(server) as slow:
        slow.sendall(_request("POST", "/predictions", json.dumps({"input": {"seconds": 3}}).encode()))
        time.sleep(0.3)
        head, body, _ = _exchange(server, _request("POST", "/predictions", json.dumps({"input": {"seconds": 0}}).encode()))
        assert head.startswith(b"HTTP/1.1 409 "), head
        buf = bytearray()
        head, body = _read_response(slow, buf)
        assert json.loads(body)["status"] == "succeeded"


def test_keep_alive_counts_idle_time_not_requests(make_server):
    # uvicorn's keep-alive (5 s): one timer per connection that re-arms for the idle time left.
    server = make_server("hello.py:Predictor")
    with _connect(server) as sock:
        buf = bytearray()
        t0 = time.monotonic()
        for _ in range(3):   # busy every 3 s: never idle for 5 s, so never closed
            sock.sendall(_request("GET", "/health-check"))
            head, _body = _read_response(sock, buf)
            assert head.startswith(b"HTTP/1.1 200")
            time.sleep(3)
        assert time.monotonic() - t0 > 5
        sock.sendall(_request("GET", "/health-check"))
        _read_response(sock, buf)
        idle = time.monotonic()
        sock.settimeout(30)
        assert sock.recv(1) == b""   # then idle: closed by the server
        assert 4 < time.monotonic() - idle < 25
