"""Typed adaptive batching (@batch): formation, per-item validation and metrics, failures, admission."""

from __future__ import annotations

import base64
import threading
import time
from typing import Any

import pytest

from tests.server.test_events import Receiver

pytestmark = pytest.mark.timeout(120)

BATCHED = "batched.py:Predictor"


def _together(server, bodies: list[dict[str, Any]], gap: float = 0.0) -> list[Any]:
    """POST every body at about the same time (or `gap` s apart); the responses, in order."""
    out: list[Any] = [None] * len(bodies)

    def run(i: int, body: dict[str, Any]) -> None:
        out[i] = server.post("/predictions", json=body)

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
        time.sleep(gap)
    for t in threads:
        t.join(60)
    return out


def test_schema_and_api_stay_per_item(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "0"})
    doc = server.get("/openapi.json").json()
    props = doc["components"]["schemas"]["Input"]["properties"]
    assert props["text"]["type"] == "string" and props["text"]["maxLength"] == 10
    assert props["n"] == {"x-order": 1, "title": "N", "type": "integer", "default": 1, "minimum": 1}
    assert doc["components"]["schemas"]["Output"]["type"] == "string"
    body = server.predict({"text": "ab", "n": 2}).json()
    assert body["status"] == "succeeded" and body["output"] == "abab"
    assert body["metrics"]["batch_size"] == 1 and body["metrics"]["position"] == 0
    assert "batch of 1" in body["logs"]


def test_a_batch_forms_by_size(make_server):
    # a long wait: only reaching max_size (4) can start the call early
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "20000"})
    responses = _together(server, [{"input": {"text": f"t{i}"}} for i in range(4)])
    bodies = [r.json() for r in responses]
    assert [b["output"] for b in bodies] == ["t0", "t1", "t2", "t3"]
    assert {b["metrics"]["batch_size"] for b in bodies} == {4}
    assert sorted(b["metrics"]["position"] for b in bodies) == [0, 1, 2, 3]   # each response its own metrics


def test_a_batch_forms_by_wait(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "1500"})
    responses = _together(server, [{"input": {"text": "a"}}, {"input": {"text": "b"}}], gap=0.1)
    assert [r.json()["metrics"]["batch_size"] for r in responses] == [2, 2]
    server2 = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "50"})
    assert server2.predict({"text": "alone"}).json()["metrics"]["batch_size"] == 1   # the wait ran out


def test_admission_is_max_size_times_slots_then_409(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "20000"})
    responses = _together(server, [{"input": {"text": f"t{i}", "seconds": 1.5}} for i in range(5)], gap=0.05)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 200, 200, 200, 409]
    assert "cog_prediction_slots 4" in server.get("/metrics").text


def test_with_a_queue_the_rest_waits_for_the_next_batch(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "300", "COG_QUEUE_SIZE": "8"})
    responses = _together(server, [{"input": {"text": f"t{i}"}} for i in range(7)], gap=0.02)
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    sizes = [r.json()["metrics"]["batch_size"] for r in responses]
    assert max(sizes) <= 4 and len(set(sizes)) >= 1
    assert [r.json()["output"] for r in responses] == [f"t{i}" for i in range(7)]


def test_one_bad_input_never_fails_its_batch_mates(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "1500"})
    responses = _together(server, [{"input": {"text": "ok1"}}, {"input": {"text": "far too long here"}},
                                   {"input": {"text": "ok2", "n": 0}}, {"input": {"text": "ok3"}}], gap=0.05)
    assert [r.status_code for r in responses] == [200, 422, 422, 200]
    assert responses[1].json()["detail"][0]["loc"] == ["body", "input", "text"]
    assert [responses[i].json()["metrics"]["batch_size"] for i in (0, 3)] == [2, 2]


def test_an_exception_fails_the_whole_batch(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "1500"})
    responses = _together(server, [{"input": {"text": "a"}}, {"input": {"text": "b", "fail": True}}], gap=0.05)
    for r in responses:
        body = r.json()
        assert body["status"] == "failed" and body["error"] == "ValueError: batch broke"
    assert server.predict({"text": "after"}).json()["status"] == "succeeded"


def test_wrong_number_of_outputs_fails_the_batch_with_a_clear_error(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "1500"})
    responses = _together(server, [{"input": {"text": "a", "short": True}}, {"input": {"text": "b"}}], gap=0.05)
    for r in responses:
        body = r.json()
        assert body["status"] == "failed"
        assert "returned 1 outputs for 2 inputs" in body["error"]


def test_sync_and_async_requests_share_a_batch(make_server):
    receiver = Receiver()
    try:
        server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "1500"})
        result: dict[str, Any] = {}
        thread = threading.Thread(target=lambda: result.update(r=server.predict({"text": "sync"})))
        thread.start()
        time.sleep(0.1)
        resp = server.post("/predictions", json={"input": {"text": "async"}, "webhook": receiver.url},
                           headers={"prefer": "respond-async"})
        assert resp.status_code == 202
        thread.join(30)
        terminal = receiver.wait_terminal(timeout=30)["body"]
        assert terminal["output"] == "async" and terminal["metrics"]["batch_size"] == 2
        assert result["r"].json()["output"] == "sync" and result["r"].json()["metrics"]["batch_size"] == 2
    finally:
        receiver.close()


def test_async_predictor_with_files_in_and_out(make_server):
    server = make_server("batched_async.py:Predictor", env={"COG_BATCH_MAX_WAIT_MS": "1500"})
    data = "data:text/plain;base64," + base64.b64encode(b"filed").decode()
    responses = _together(server, [{"input": {"text": "x", "file": data}}, {"input": {"text": "y"}}], gap=0.05)
    outputs = []
    for r in responses:
        body = r.json()
        assert body["status"] == "succeeded", body
        outputs.append(base64.b64decode(body["output"].split(",", 1)[1]).decode())
    assert outputs == ["x+filed|2", "y+|2"]


def test_a_wrong_signature_fails_setup_clearly(make_server):
    server = make_server("batched_wrong.py:Predictor", wait="SETUP_FAILED")
    logs = server.health()["setup"]["logs"]
    assert "every parameter of a batched predict() must be a list" in logs


def _put_together(server, ids: list[str], seconds: float) -> tuple[list[threading.Thread], dict[str, Any]]:
    out: dict[str, Any] = {}
    threads = []
    for pred_id in ids:
        t = threading.Thread(target=lambda i=pred_id: out.update({i: server.put(
            f"/predictions/{i}", json={"input": {"text": i, "seconds": seconds}})}))
        t.start()
        threads.append(t)
        time.sleep(0.05)
    return threads, out


def test_cancel_of_one_request_leaves_its_batch_mates_running(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "300"})
    threads, out = _put_together(server, ["c1", "c2"], 1.5)
    time.sleep(0.6)   # the batch has started
    assert server.post("/predictions/c1/cancel").status_code == 200
    for t in threads:
        t.join(30)
    assert out["c1"].json()["status"] == "canceled"
    assert out["c2"].json()["status"] == "succeeded" and out["c2"].json()["metrics"]["batch_size"] == 2


def test_cancel_of_every_request_interrupts_the_batch(make_server):
    server = make_server(BATCHED, env={"COG_BATCH_MAX_WAIT_MS": "300"})
    pids = server.worker_pids()
    threads, out = _put_together(server, ["d1", "d2"], 30)
    time.sleep(0.6)
    for pred_id in ("d1", "d2"):
        assert server.post(f"/predictions/{pred_id}/cancel").status_code == 200
    for t in threads:
        t.join(30)
    assert [out[i].json()["status"] for i in ("d1", "d2")] == ["canceled", "canceled"]
    assert server.worker_pids() == pids   # interrupted, not killed
    assert server.predict({"text": "next"}).json()["status"] == "succeeded"


def test_cog_yaml_batch_without_the_decorator(make_server):
    server = make_server("batched_plain.py:Predictor", env={"COG_BATCH_MAX_SIZE": "2", "COG_BATCH_MAX_WAIT_MS": "1500"})
    assert server.get("/openapi.json").json()["components"]["schemas"]["Input"]["properties"]["text"]["type"] == "string"
    responses = _together(server, [{"input": {"text": "a"}}, {"input": {"text": "b"}}], gap=0.1)
    assert [r.json()["output"] for r in responses] == ["A", "B"]
    assert [r.json()["metrics"]["batch_size"] for r in responses] == [2, 2]
