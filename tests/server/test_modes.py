"""Training mode, setup(weights), and an SSE client that leaves."""

from __future__ import annotations

import time

import httpx
import pytest

pytestmark = pytest.mark.timeout(90)


def test_train_mode(make_server):
    server = make_server(None, args=["--x-mode", "train"], env={"COG_TRAIN_TYPE_STUB": "train.py:train"})
    resp = server.post("/trainings", json={"input": {"steps": 3}})
    body = resp.json()
    assert body["status"] == "succeeded", body
    assert body["output"]["steps"] == 3
    assert body["output"]["weights"].startswith("data:application/octet-stream;base64,")
    assert server.post("/trainings", json={"input": {"steps": 0}}).status_code == 422
    doc = server.get("/openapi.json").json()
    assert "TrainingInput" in doc["components"]["schemas"]
    assert server.get("/").json()["trainings_url"] == "/trainings"


def test_setup_receives_cog_weights(make_server):
    server = make_server("weights.py:Predictor", env={"COG_WEIGHTS": "https://example.invalid/w.tar"})
    assert server.predict({}).json()["output"] == "weights=https://example.invalid/w.tar"


def test_setup_weights_default_none(make_server):
    server = make_server("weights.py:Predictor")
    assert server.predict({}).json()["output"] == "weights=None"


def test_dropping_the_sse_connection_cancels(make_server):
    server = make_server("generator.py:Predictor")
    with httpx.stream("POST", server.url + "/predictions", json={"input": {"n": 100, "delay": 0.2}},
                      headers={"accept": "text/event-stream"}, timeout=20) as resp:
        for line in resp.iter_lines():
            if line.startswith("event: output"):
                break
    server.wait_for("BUSY", "READY", timeout=5)
    t0 = time.monotonic()
    server.wait_for("READY", timeout=5)
    assert time.monotonic() - t0 < 3
