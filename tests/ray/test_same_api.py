"""Through Serve's HTTP proxy, the same answers as the container server (`python -m cog_py.server`)
for the same requests: status, content type and body (ids and timestamps normalised), 422
bodies, a failed prediction and the documents included; and two replicas both serve."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ray.conftest import EXAMPLES
from tests.server.conftest import running_server

pytestmark = pytest.mark.timeout(300)

_ID = re.compile(r"pred_[0-9a-f]+")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00")
_PID = re.compile(r"pid \d+")
_INPUT_FILE = re.compile(r"/tmp/cog-inputs-[^/]+/[^'\"\s]+")


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "predict_time":
                item = "<seconds>"
            out[key] = _normal(item)
        return out
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, str):
        value = _INPUT_FILE.sub("<input file>", _ID.sub("pred_<id>", value))
        return _PID.sub("pid <pid>", _TIME.sub("<time>", value))
    return value


def exchange(response: httpx.Response) -> tuple[int, str, Any]:
    kind = response.headers.get("content-type", "")
    body: Any = response.text
    if kind.startswith("application/json"):
        body = _normal(json.loads(body))
    return response.status_code, kind, body


def _png_data_url() -> str:
    return "data:image/png;base64," + base64.b64encode((EXAMPLES / "blur" / "sample.png").read_bytes()).decode()


HELLO_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/predictions", {"json": {"input": {"text": "ray"}}}),
    ("POST", "/predictions", {"json": {"input": {}}}),
    ("POST", "/predictions", {"json": {"input": {"text": 5}}}),
    ("POST", "/predictions", {"json": {"input": {"text": "a", "extra": 1}}}),
    ("POST", "/predictions", {"json": {"input": "text"}}),
    ("POST", "/predictions", {"json": []}),
    ("POST", "/predictions", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
    ("PUT", "/predictions/p-same", {"json": {"input": {"text": "put"}}}),
    ("PUT", "/predictions/p-other", {"json": {"id": "p-mismatch", "input": {"text": "put"}}}),
    ("POST", "/predictions/p-unknown/cancel", {}),
    ("POST", "/predictions", {"json": {"input": {"text": "later"}}, "headers": {"prefer": "respond-async"}}),
    ("POST", "/predictions", {"json": {"input": {}}, "headers": {"prefer": "respond-async"}}),
    ("POST", "/predictions", {"json": {"input": {"text": "x"}}, "headers": {"accept": "text/event-stream"}}),
    ("GET", "/openapi.json", {}),
    ("GET", "/", {}),
    ("GET", "/readyz", {}),
    ("GET", "/livez", {}),
    ("GET", "/nope", {}),
]

BLUR_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/predictions", {"json": {"input": {"image": _png_data_url(), "radius": 1.5}}}),
    ("POST", "/predictions", {"json": {"input": {"image": "data:image/png;base64,bm90IGFuIGltYWdl"}}}),
    ("POST", "/predictions", {"json": {"input": {"image": _png_data_url(), "radius": 50}}}),
    ("POST", "/predictions", {"json": {"input": {"radius": 1}}}),
    ("GET", "/openapi.json", {}),
]


_TEXT = "data:text/plain;base64," + base64.b64encode(b"the cat saw the dog and the cat ran").decode()
TRAIN_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/trainings", {"json": {"input": {"text": _TEXT, "min_count": 2}}}),
    ("POST", "/trainings", {"json": {"input": {"text": _TEXT, "min_count": 0}}}),
    ("PUT", "/trainings/t-same", {"json": {"input": {"text": _TEXT}}}),
    ("POST", "/trainings/t-unknown/cancel", {}),
    ("GET", "/", {}),
]


def _run(client: Any, requests: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    out = []
    for method, path, kw in requests:
        response = client.client.request(method, path, **kw)
        out.append((method, path, *exchange(response)))
        if response.status_code == 202:   # wait for it to end: the next request must not race it for the slot
            _wait_idle(client)
    return out


def _wait_idle(client: Any, timeout: float = 30) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.client.get("/health-check").json().get("status") == "READY":
            return
        time.sleep(0.02)
    raise AssertionError("the server stayed busy after an async prediction")


@pytest.mark.parametrize(("example", "requests"),
                         [("hello-world", HELLO_REQUESTS), ("blur", BLUR_REQUESTS), ("train", TRAIN_REQUESTS)],
                         ids=["hello-world", "blur", "train"])
def test_same_answers_as_the_container_server(serve_app: Any, example: str,
                                              requests: list[tuple[str, str, dict[str, Any]]]) -> None:
    project: Path = EXAMPLES / example
    train = example == "train"      # the server in training mode, as `cog train` runs it (--x-mode train)
    app = serve_app(example, project, args={"mode": "train"} if train else None)
    through_ray = _run(app, requests)
    with running_server(None, cwd=project, timeout=120, args=["--x-mode", "train"] if train else None) as server:
        direct = _run(server, requests)
    assert through_ray == direct
    statuses = [row[2] for row in direct]
    assert 422 in statuses and 200 in statuses     # the comparison covers errors too
    if example == "blur":
        failed = direct[1][4]
        assert failed["status"] == "failed" and failed["error"], failed
    if example == "train":
        trained = direct[0][4]
        assert trained["status"] == "succeeded" and trained["output"]["weights"].startswith("data:"), trained


def test_health_check_matches(serve_app: Any) -> None:
    app = serve_app("hello-health", EXAMPLES / "hello-world")
    with running_server(None, cwd=EXAMPLES / "hello-world", timeout=120) as server:
        direct = exchange(server.get("/health-check"))
    assert exchange(app.get("/health-check")) == direct
    assert direct[2]["status"] == "READY"


def test_two_replicas_both_serve(serve_app: Any) -> None:
    # Serve prefers the replica on the proxy's own node while it has room; concurrent clients
    # (each replica takes one prediction at a time, hello-world's concurrency.max) fill both.
    app = serve_app("hello-two", EXAMPLES / "hello-world", replicas=2)

    def one(i: int) -> str:
        with httpx.Client(base_url=app.url, timeout=60) as client:
            response = client.post("/predictions", json={"input": {"text": str(i)}})
        assert response.status_code == 200 and response.json()["output"] == f"hello {i}"
        return response.headers["x-cog-replica"]

    with ThreadPoolExecutor(8) as pool:
        replicas = Counter(pool.map(one, range(160)))
    assert len(replicas) == 2, f"only one replica answered: {replicas}"
