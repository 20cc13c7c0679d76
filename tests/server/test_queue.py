"""The admission queue (`concurrency.queue`, COG_QUEUE_SIZE): FIFO, 429, cancel, disconnect, shutdown."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
from typing import Any

import httpx
import pytest

from tests.server.test_events import Receiver

pytestmark = pytest.mark.timeout(120)

ORDERED = "ordered.py:Predictor"


def _depth(server) -> int:
    return int(server.health().get("queue", {}).get("depth", -1))


def _wait_depth(server, depth: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _depth(server) == depth:
            return
        time.sleep(0.02)
    raise AssertionError(f"queue depth never reached {depth}: {server.health()}")


def _in_thread(fn, *args: Any, **kw: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["r"] = fn(*args, **kw)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            out["e"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def _blocker(server, seconds: float, tag: str = "blocker") -> tuple[threading.Thread, dict[str, Any]]:
    """A prediction that holds the only slot; returns once it runs."""
    thread, out = _in_thread(server.predict, {"tag": tag, "seconds": seconds})
    server.wait_for("BUSY", timeout=15)
    return thread, out


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in metrics:\n{text}")


def test_without_a_queue_it_is_cogs_409(make_server):
    server = make_server(ORDERED)
    thread, _ = _blocker(server, 1.0)
    resp = server.predict({"tag": "x"})
    assert resp.status_code == 409
    assert "queue" not in server.health()
    thread.join(30)


def test_fifo_order_and_health_shows_the_depth(make_server):
    server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "8"})
    assert server.health()["queue"] == {"depth": 0, "size": 8}
    blocker, first = _blocker(server, 1.5)
    waiting = []
    for i in range(5):   # each one queued before the next is sent: their order is known
        waiting.append(_in_thread(server.predict, {"tag": f"q{i}"}))
        _wait_depth(server, i + 1)
    assert server.health()["status"] == "BUSY"
    blocker.join(30)
    outputs = []
    for thread, out in waiting:
        thread.join(30)
        assert out["r"].status_code == 200, out
        outputs.append(out["r"].json()["output"])
    assert first["r"].json()["output"] == "1:blocker"
    assert outputs == [f"{i + 2}:q{i}" for i in range(5)]
    assert _depth(server) == 0


def test_full_queue_is_429_with_retry_after_and_counted(make_server):
    server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "2"})
    assert server.predict({"seconds": 0.2}).json()["status"] == "succeeded"   # an observed service time
    blocker, _ = _blocker(server, 2.0)
    for i in range(2):
        resp = server.post("/predictions", json={"id": f"a{i}", "input": {"tag": f"a{i}"}},
                           headers={"prefer": "respond-async"})
        assert resp.status_code == 202   # at once, although it waits
        assert resp.json()["status"] == "starting"
    assert _depth(server) == 2
    resp = server.predict({"tag": "too many"})
    assert resp.status_code == 429
    assert resp.json() == {"error": "At capacity - all prediction slots busy and the queue is full",
                           "status": "failed"}
    assert int(resp.headers["retry-after"]) >= 1
    metrics = server.get("/metrics").text
    assert _metric(metrics, 'cog_prediction_rejections_total{reason="queue_full"}') == 1
    assert _metric(metrics, "cog_prediction_queue_depth") == 2
    assert _metric(metrics, "cog_prediction_queue_size") == 2
    blocker.join(30)
    deadline = time.monotonic() + 20
    while _metric(server.get("/metrics").text, 'cog_predictions_total{status="succeeded"}') < 4:
        assert time.monotonic() < deadline, server.get("/metrics").text
        time.sleep(0.05)
    metrics = server.get("/metrics").text
    assert _metric(metrics, "cog_prediction_queue_depth") == 0
    # every admitted prediction was timed in the queue: 1 + blocker (no wait) + 2 waited
    assert _metric(metrics, "cog_prediction_queue_wait_seconds_count") == 4
    assert _metric(metrics, 'cog_prediction_queue_wait_seconds_bucket{le="0.5"}') <= 2


def test_queued_async_gets_start_webhook_when_it_leaves_the_queue(make_server):
    receiver = Receiver()
    try:
        server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "4"})
        blocker, _ = _blocker(server, 1.5)
        t0 = time.monotonic()
        resp = server.post("/predictions", json={"id": "w1", "input": {"tag": "w"}, "webhook": receiver.url},
                           headers={"prefer": "respond-async"})
        assert resp.status_code == 202
        time.sleep(0.3)
        assert receiver.requests == []   # still waiting: nothing started
        terminal = receiver.wait_terminal(timeout=30)["body"]
        assert terminal["status"] == "succeeded" and terminal["output"] == "2:w"
        events = [r["body"]["status"] for r in receiver.requests]
        assert events[0] == "processing" and events[-1] == "succeeded"
        assert time.monotonic() - t0 > 0.5
        blocker.join(30)
    finally:
        receiver.close()


def test_queued_async_invalid_input_is_a_failed_webhook(make_server):
    receiver = Receiver()
    try:
        server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "4"})
        blocker, _ = _blocker(server, 1.0)
        resp = server.post("/predictions", json={"input": {"seconds": "soon"}, "webhook": receiver.url},
                           headers={"prefer": "respond-async"})
        assert resp.status_code == 202
        terminal = receiver.wait_terminal(timeout=30)["body"]
        assert terminal["status"] == "failed" and "seconds" in terminal["error"]
        blocker.join(30)
    finally:
        receiver.close()


def test_idempotent_put_of_a_queued_id_returns_its_state(make_server):
    server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "4"})
    blocker, _ = _blocker(server, 1.5)
    thread, out = _in_thread(server.put, "/predictions/p1", json={"input": {"tag": "p"}})
    _wait_depth(server, 1)
    again = server.put("/predictions/p1", json={"input": {"tag": "p"}})
    assert again.status_code == 202
    assert again.json()["id"] == "p1" and again.json()["status"] == "starting"
    assert _depth(server) == 1   # not queued twice
    blocker.join(30)
    thread.join(30)
    assert out["r"].json()["output"] == "2:p"


def test_cancel_in_queue_never_reaches_the_worker(make_server):
    server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "4"})
    blocker, _ = _blocker(server, 1.5)
    thread, out = _in_thread(server.put, "/predictions/c1", json={"input": {"tag": "c"}})
    _wait_depth(server, 1)
    assert server.post("/predictions/c1/cancel").status_code == 200
    thread.join(10)
    body = out["r"].json()
    assert body["status"] == "canceled" and body["id"] == "c1"
    assert _depth(server) == 0
    assert server.post("/predictions/c1/cancel").status_code == 200   # idempotent (README): it just ended
    blocker.join(30)
    assert server.predict({"tag": "next"}).json()["output"] == "2:next"   # c1 never ran
    assert _metric(server.get("/metrics").text, 'cog_predictions_total{status="canceled"}') == 1


def test_client_disconnect_frees_its_place(make_server):
    server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "1"})
    blocker, _ = _blocker(server, 2.0)
    body = json.dumps({"input": {"tag": "gone"}}).encode()
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"POST /predictions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    _wait_depth(server, 1)
    sock.close()
    _wait_depth(server, 0, timeout=5)
    # its place is free again: one more fits in the queue of 1
    thread, out = _in_thread(server.predict, {"tag": "kept"})
    _wait_depth(server, 1)
    blocker.join(30)
    thread.join(30)
    assert out["r"].json()["output"] == "2:kept"


def test_trainings_and_sse_wait_in_the_same_queue(make_server):
    server = make_server("generator.py:Predictor", env={"COG_QUEUE_SIZE": "4"})
    blocker, _ = _in_thread(server.predict, {"n": 3, "delay": 0.4})
    server.wait_for("BUSY", timeout=15)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        thread, out = _in_thread(client.post, "/predictions", json={"input": {"n": 2}},
                                 headers={"accept": "text/event-stream"})
        _wait_depth(server, 1)
        thread.join(30)
    text = out["r"].text
    assert "event: output" in text and "event: completed" in text
    blocker.join(30)
    server2 = make_server(ORDERED, env={"COG_QUEUE_SIZE": "4"})
    blocker, _ = _blocker(server2, 1.0)
    thread, out = _in_thread(server2.post, "/trainings", json={"input": {"tag": "t"}})
    _wait_depth(server2, 1)
    thread.join(30)
    assert out["r"].json()["output"] == "2:t"
    blocker.join(30)


def test_sigterm_drains_the_queue_within_the_grace_period(make_server):
    server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "8", "COG_SHUTDOWN_GRACE_S": "60"})
    blocker, first = _blocker(server, 1.0)
    waiting = []
    for i in range(3):
        waiting.append(_in_thread(server.predict, {"tag": f"q{i}", "seconds": 0.1}))
        _wait_depth(server, i + 1)
    server.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 5
    while server.get("/readyz").status_code != 503:   # fails at once
        assert time.monotonic() < deadline
        time.sleep(0.01)
    late = server.predict({"tag": "late"})
    assert late.status_code == 503 and late.json()["error"] == "The server is shutting down."
    for thread, out in [(blocker, first), *waiting]:
        thread.join(30)
        assert out["r"].json()["status"] == "succeeded", out
    assert server.proc.wait(30) == 0


def test_sigterm_deadline_answers_what_is_still_queued_503(make_server):
    receiver = Receiver()
    try:
        server = make_server(ORDERED, env={"COG_QUEUE_SIZE": "8", "COG_SHUTDOWN_GRACE_S": "1.5"})
        blocker, _ = _blocker(server, 4.0)
        thread, out = _in_thread(server.predict, {"tag": "sync"})
        _wait_depth(server, 1)
        resp = server.post("/predictions", json={"id": "late-async", "input": {"tag": "async"},
                                                 "webhook": receiver.url}, headers={"prefer": "respond-async"})
        assert resp.status_code == 202
        _wait_depth(server, 2)
        server.proc.send_signal(signal.SIGTERM)
        thread.join(30)
        assert out["r"].status_code == 503, out
        assert out["r"].json()["status"] == "failed"
        assert "shut down" in out["r"].json()["error"]
        terminal = receiver.wait_terminal(timeout=10)["body"]
        assert terminal["id"] == "late-async" and terminal["status"] == "failed"
        server.proc.wait(30)
        blocker.join(30)
    finally:
        receiver.close()
