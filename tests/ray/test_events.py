"""Through Serve: SSE streaming of a @streaming model, and an async prediction with a webhook,
with the same events and webhook bodies as the container server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.ray.conftest import EXAMPLES
from tests.ray.test_same_api import _normal
from tests.server.conftest import running_server
from tests.server.test_events import Receiver

pytestmark = pytest.mark.timeout(300)

STREAMING = EXAMPLES / "streaming-text"


def sse_events(client: Any) -> tuple[int, str, list[tuple[str, Any]]]:
    events: list[tuple[str, Any]] = []
    with client.stream("POST", "/predictions", json={"input": {"prompt": "the model", "max_tokens": 6, "delay": 0.05}},
                       headers={"accept": "text/event-stream"}) as response:
        kind = response.headers.get("content-type", "")
        name = "message"
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data = line.partition(":")[2].strip()
                try:
                    events.append((name, _normal(json.loads(data))))
                except ValueError:
                    events.append((name, data))
            elif not line:
                name = "message"
    return response.status_code, kind, events


def async_with_webhook(client: Any) -> tuple[Any, Any]:
    receiver = Receiver()
    try:
        accepted = client.post("/predictions", json={"input": {"prompt": "a model", "max_tokens": 3, "delay": 0},
                                                     "webhook": receiver.url, "webhook_events_filter": ["completed"]},
                               headers={"prefer": "respond-async"})
        final = receiver.wait_terminal(timeout=60)
    finally:
        receiver.close()
    return (accepted.status_code, _normal(accepted.json())), _normal(final["body"])


def test_sse_and_webhooks_through_serve(serve_app: Any) -> None:
    app = serve_app("streaming", STREAMING)
    ray_sse = sse_events(app.client)
    ray_hook = async_with_webhook(app.client)
    with running_server(None, cwd=STREAMING, timeout=120) as server:
        direct_sse = sse_events(server.client)
        direct_hook = async_with_webhook(server.client)
    assert ray_sse == direct_sse
    status, kind, events = ray_sse
    assert status == 200 and kind.startswith("text/event-stream")
    assert len([e for e in events if e[0] == "output"]) >= 6, events
    assert ray_hook == direct_hook
    assert ray_hook[0][0] == 202 and ray_hook[1]["status"] == "succeeded"
