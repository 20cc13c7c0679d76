"""The HTTP client against a real server on 127.0.0.1 that speaks Cog's contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from cog_py.errors import CogError
from cog_py.run.client import ModelClient, SetupFailedError, SSEEvent
from tests.unit.http_stub import QuietHandler, serving


class FakeModel:
    """State the handler reads: a list of health statuses to go through, and canned answers."""

    def __init__(self) -> None:
        self.health: list[str] = ["READY"]
        self.setup_logs = ""
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.answer: tuple[int, Any] = (200, {"status": "succeeded", "output": "ok"})


def _handler(model: FakeModel) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):

        def do_GET(self) -> None:
            status = model.health.pop(0) if len(model.health) > 1 else model.health[0]
            self.reply_json(200, {"status": status, "setup": {"logs": model.setup_logs}})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            model.requests.append((self.path, dict(self.headers), body))
            if "text/event-stream" in self.headers.get("Accept", ""):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                events = [("start", {"id": "p", "status": "processing"}), ("output", {"chunk": "Hel", "index": 0}),
                          ("output", {"chunk": "lo", "index": 1})]
                for name, data in events:
                    self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b": keep-alive\n\n")
                done = {"status": "succeeded", "output": ["Hel", "lo"], "metrics": {"predict_time": 0.1}}
                self.wfile.write(f"event: completed\ndata: {json.dumps(done)}\n\n".encode())
                return
            self.reply_json(*model.answer)

    return Handler


@pytest.fixture
def model() -> Iterator[tuple[FakeModel, ModelClient]]:
    fake = FakeModel()
    with serving(_handler(fake)) as server:
        yield fake, ModelClient("127.0.0.1", server.server_address[1])


@pytest.mark.timeout(20)
def test_waits_through_starting(model: tuple[FakeModel, ModelClient]) -> None:
    fake, client = model
    fake.health = ["STARTING", "STARTING", "READY"]
    assert client.wait_ready(timeout=10, poll=0.01)["status"] == "READY"


@pytest.mark.timeout(20)
def test_setup_failed_shows_logs(model: tuple[FakeModel, ModelClient]) -> None:
    fake, client = model
    fake.health = ["STARTING", "SETUP_FAILED"]
    fake.setup_logs = "Traceback...\nRuntimeError: no weights\n"
    with pytest.raises(SetupFailedError) as info:
        client.wait_ready(timeout=10, poll=0.01)
    assert info.value.message == "Model setup failed"
    assert info.value.hint is not None and "RuntimeError: no weights" in info.value.hint


@pytest.mark.timeout(20)
def test_dead_container_and_timeout(model: tuple[FakeModel, ModelClient]) -> None:
    fake, client = model
    fake.health = ["STARTING"]
    with pytest.raises(SetupFailedError, match="Container exited unexpectedly"):
        client.wait_ready(timeout=10, poll=0.01, alive=lambda: False)
    with pytest.raises(SetupFailedError, match="Timed out after 0.2 seconds"):
        client.wait_ready(timeout=0.2, poll=0.01)


@pytest.mark.timeout(20)
def test_nothing_listening_times_out() -> None:
    from cog_py.run.client import free_port

    client = ModelClient("127.0.0.1", free_port())
    with pytest.raises(SetupFailedError, match="Timed out"):
        client.wait_ready(timeout=0.3, poll=0.05)


@pytest.mark.timeout(20)
def test_sync_prediction_body(model: tuple[FakeModel, ModelClient]) -> None:
    fake, client = model
    assert client.predict("/predictions", {"a": 1})["output"] == "ok"
    path, headers, body = fake.requests[0]
    assert path == "/predictions"
    assert headers["Content-Type"] == "application/json"
    assert body == {"input": {"a": 1}, "context": {}}


@pytest.mark.timeout(20)
def test_422_lists_fields(model: tuple[FakeModel, ModelClient]) -> None:
    fake, client = model
    fake.answer = (422, {"detail": [{"loc": ["body", "input", "count"], "msg": "Field required", "type": "value_error.missing"}]})
    with pytest.raises(CogError) as info:
        client.predict("/predictions", {})
    assert str(info.value) == "The inputs you passed could not be validated:\n\n- count: Field required"
    assert "cog predict -i" in (info.value.hint or "")


@pytest.mark.timeout(20)
def test_other_status(model: tuple[FakeModel, ModelClient]) -> None:
    fake, client = model
    fake.answer = (503, {"error": "Setup has not finished yet."})
    with pytest.raises(CogError, match="^/predictions call returned status 503: Setup has not finished yet.$"):
        client.predict("/predictions", {})


@pytest.mark.timeout(20)
def test_sse_stream(model: tuple[FakeModel, ModelClient]) -> None:
    fake, client = model
    seen: list[SSEEvent] = []
    final = client.predict_stream("/predictions", {"p": "x"}, seen.append)
    assert [e.event for e in seen] == ["start", "output", "output", "completed"]
    assert [e.data["chunk"] for e in seen if e.event == "output"] == ["Hel", "lo"]
    assert final["output"] == ["Hel", "lo"]
    assert fake.requests[0][1]["Accept"] == "text/event-stream"
