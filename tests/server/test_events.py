"""Webhooks, SSE and log capture: what a client sees while a prediction runs."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.server.conftest import free_port

pytestmark = pytest.mark.timeout(90)


class Receiver:
    """A webhook receiver on 127.0.0.1 that records every request."""

    def __init__(self, fail_first: int = 0) -> None:
        self.requests: list[dict] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                else:
                    receiver.requests.append({"headers": dict(self.headers), "body": json.loads(body)})
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_terminal(self, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for req in self.requests:
                if req["body"]["status"] in ("succeeded", "failed", "canceled"):
                    return req
            time.sleep(0.02)
        raise AssertionError(f"no terminal webhook: {self.requests}")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_async_prediction_with_webhooks(make_server, receiver):
    server = make_server("generator.py:Predictor", env={"WEBHOOK_AUTH_TOKEN": "tok"})
    resp = server.post("/predictions", json={"id": "w1", "input": {"n": 3}, "webhook": receiver.url},
                       headers={"prefer": "respond-async", "traceparent": "00-abc-def-01"})
    assert resp.status_code == 202
    body = resp.json()
    assert body["id"] == "w1" and body["status"] == "starting" and "created_at" in body
    final = receiver.wait_terminal()
    assert final["body"]["status"] == "succeeded"
    assert final["body"]["output"] == ["chunk 0", "chunk 1", "chunk 2"]
    assert "predict_time" in final["body"]["metrics"]
    assert final["headers"]["Authorization"] == "Bearer tok"
    assert final["headers"]["traceparent"] == "00-abc-def-01"
    statuses = [r["body"]["status"] for r in receiver.requests]
    assert statuses[0] == "processing"            # the start event
    assert statuses[-1] == "succeeded"
    outputs = [r["body"].get("output") for r in receiver.requests if r["body"]["status"] == "processing"]
    assert ["chunk 0"] in outputs                  # output events, not throttled


def test_webhook_event_filter(make_server, receiver):
    server = make_server("generator.py:Predictor")
    server.post("/predictions", json={"input": {"n": 3}, "webhook": receiver.url,
                                      "webhook_events_filter": ["completed"]},
                headers={"prefer": "respond-async"})
    receiver.wait_terminal()
    time.sleep(0.2)
    assert [r["body"]["status"] for r in receiver.requests] == ["succeeded"]


def test_terminal_webhook_is_retried(make_server):
    receiver = Receiver(fail_first=2)
    try:
        server = make_server("hello.py:Predictor", env={"COG_WEBHOOK_BACKOFF_S": "0.05"})
        server.post("/predictions", json={"input": {"text": "r"}, "webhook": receiver.url,
                                          "webhook_events_filter": ["completed"]})
        assert receiver.wait_terminal()["body"]["output"] == "hello r"
    finally:
        receiver.close()


def test_dead_webhook_receiver_blocks_nothing(make_server):
    dead = f"http://127.0.0.1:{free_port()}/hook"
    server = make_server("hello.py:Predictor", env={"COG_WEBHOOK_BACKOFF_S": "0.5"})
    for i in range(3):
        resp = server.post("/predictions", json={"input": {"text": str(i)}, "webhook": dead},
                           headers={"prefer": "respond-async"})
        assert resp.status_code == 202
        server.wait_for("READY", timeout=5)
    resp = server.predict({"text": "sync"})
    assert resp.json()["output"] == "hello sync"


def test_logs_from_every_source(make_server):
    server = make_server("logs.py:Predictor")
    setup_logs = server.health()["setup"]["logs"]
    assert "setup print\n" in setup_logs and "setup fd2\n" in setup_logs
    for tag in ("a", "b"):
        logs = server.predict({"tag": tag}).json()["logs"]
        for line in (f"print {tag}", f"INFO logging {tag}", f"stderr {tag}", f"fd1 {tag}", f"child {tag}"):
            assert line in logs, (line, logs)
        other = "b" if tag == "a" else "a"
        assert f"print {other}" not in logs
    # The container's own output shows them too.
    assert "print a" in server.logs()


def test_secret_is_redacted(make_server, receiver):
    server = make_server("secret.py:Predictor")
    body = server.predict({"token": "hunter2"}).json()
    assert body["output"] == "len 7"
    assert "hunter2" not in json.dumps(body)
    assert "token is **********" in body["logs"]
    # An in-flight snapshot echoes the input, redacted.
    thread = threading.Thread(target=lambda: server.put("/predictions/s1", json={"input": {"token": "hunter2",
                                                                                         "seconds": 1.0}}))
    thread.start()
    server.wait_for("BUSY", timeout=10)
    # BUSY: the parent sent it; until the worker has opened it, its snapshot is "starting" (no input).
    deadline = time.monotonic() + 5
    while True:
        snap = server.put("/predictions/s1", json={"input": {"token": "hunter2"}})
        assert snap.status_code == 202
        if snap.json()["status"] != "starting" or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert snap.json()["input"]["token"] == "**********"
    assert snap.json()["status"] == "processing"
    thread.join(10)
    assert "hunter2" not in server.logs()


def _sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_sse_stream(make_server):
    server = make_server("generator.py:Predictor")
    with httpx.stream("POST", server.url + "/predictions", json={"input": {"n": 3}},
                      headers={"accept": "text/event-stream"}, timeout=20) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        events = _sse_events(resp.read().decode())
    names = [e for e, _ in events]
    assert names[0] == "start" and names[-1] == "completed"
    chunks = [d for e, d in events if e == "output"]
    assert chunks == [{"chunk": f"chunk {i}", "index": i} for i in range(3)]
    assert events[-1][1]["status"] == "succeeded"


def test_sse_late_subscriber_replay_truncated(make_server):
    server = make_server("generator.py:Predictor", env={"COG_STREAM_HISTORY_CAPACITY": "2"})
    server.post("/predictions", json={"id": "s1", "input": {"n": 8, "delay": 0.2}},
                headers={"prefer": "respond-async"})
    time.sleep(0.9)   # start + about 4 chunks so far: more than the 2 kept
    resp = server.put("/predictions/s1", json={"input": {"n": 8}}, headers={"accept": "text/event-stream"})
    events = _sse_events(resp.text)
    assert events[0][0] == "error"
    assert events[0][1]["error"] == "SSE stream replay truncated; events were dropped"
    assert events[0][1]["skipped"] >= 2
    assert len(events) == 1


def test_sse_late_subscriber_replays_then_follows(make_server):
    server = make_server("generator.py:Predictor")
    server.post("/predictions", json={"id": "s2", "input": {"n": 5, "delay": 0.2}},
                headers={"prefer": "respond-async"})
    time.sleep(0.5)
    resp = server.put("/predictions/s2", json={"input": {"n": 5}}, headers={"accept": "text/event-stream"})
    events = _sse_events(resp.text)
    assert events[0] == ("start", {"id": "s2", "status": "processing"})
    assert [d["index"] for e, d in events if e == "output"] == [0, 1, 2, 3, 4]
    assert events[-1][0] == "completed" and events[-1][1]["output"] == [f"chunk {i}" for i in range(5)]


def test_log_webhooks_are_throttled(make_server, receiver):
    # A chatty prediction: five log writes in a few milliseconds.
    server = make_server("logs.py:Predictor", env={"COG_THROTTLE_RESPONSE_INTERVAL": "10"})
    server.post("/predictions", json={"input": {"tag": "t"}, "webhook": receiver.url,
                                      "webhook_events_filter": ["logs", "completed"]})
    final = receiver.wait_terminal()
    assert "child t" in final["body"]["logs"]
    time.sleep(0.2)
    # Five log writes, but at most one non-terminal webhook inside the 10 s interval.
    assert len(receiver.requests) == 2
    assert receiver.requests[0]["body"]["status"] == "processing"


def test_sse_log_and_metric_events(make_server):
    server = make_server("stream_events.py:Predictor")
    resp = server.post("/predictions", json={"input": {"n": 2}}, headers={"accept": "text/event-stream"})
    events = _sse_events(resp.text)
    logs = [d for e, d in events if e == "log"]
    assert logs == [{"source": "stdout", "data": "step 0"}, {"source": "stdout", "data": "step 1"}]
    assert ("metric", {"name": "steps", "value": 1, "mode": "increment"}) in events
    final = events[-1][1]
    assert final["metrics"]["steps"] == 2 and final["output"] == ["token 0", "token 1"]
    assert "step 0\nstep 1\n" == final["logs"]


def test_worker_does_not_see_the_webhook_token(make_server):
    """WEBHOOK_AUTH_TOKEN authenticates the server's webhooks; the model's code never sees it."""
    server = make_server("environ.py:predict", env={"WEBHOOK_AUTH_TOKEN": "s3cret-token", "MODEL_SETTING": "kept"})
    hidden = server.predict({"name": "WEBHOOK_AUTH_TOKEN"}).json()
    assert hidden["status"] == "succeeded" and hidden["output"] == "<unset>"
    kept = server.predict({"name": "MODEL_SETTING"}).json()
    assert kept["output"] == "kept"
    assert "s3cret-token" not in server.logs()


def test_file_outputs_in_webhooks_and_the_answer_are_the_files_bytes(make_server, receiver):
    """Each file crosses from the worker as raw bytes; the parent encodes it: every body that
    carries it (the sync answer, output and completed webhooks) has the exact data URI."""
    import base64
    import random

    def uri(i: int, size: int) -> str:
        return "data:application/octet-stream;base64," + base64.b64encode(random.Random(i).randbytes(size)).decode()

    want = [uri(0, 150000), uri(1, 150001), uri(2, 0)]
    server = make_server("file_outputs.py:Predictor")
    sync = server.predict({"n": 3})
    assert sync.status_code == 200 and sync.json()["output"] == want
    resp = server.post("/predictions", json={"input": {"n": 3}, "webhook": receiver.url},
                       headers={"prefer": "respond-async"})
    assert resp.status_code == 202
    assert receiver.wait_terminal()["body"]["output"] == want
    outputs = [r["body"].get("output") for r in receiver.requests if r["body"]["status"] == "processing"]
    assert want[:1] in outputs and want[:2] in outputs
