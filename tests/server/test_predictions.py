"""Prediction statuses and response shapes, sync and async, PUT, 422/409/503, files, metrics."""

from __future__ import annotations

import base64
import threading

import pytest

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def hello():
    from tests.server.conftest import running_server

    with running_server("hello.py:Predictor") as server:
        yield server


def test_succeeded_shape(hello):
    resp = hello.predict({"text": "world"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "succeeded"
    assert body["output"] == "hello world"
    assert body["id"].startswith("pred_")
    assert body["logs"] == ""
    assert isinstance(body["metrics"]["predict_time"], float)
    for key in ("created_at", "started_at", "completed_at"):
        assert body[key].endswith("+00:00")
    assert "error" not in body
    # Compact JSON, keys sorted, as Cog answers.
    assert resp.content.startswith(b'{"completed_at":')
    assert b": " not in resp.content.split(b'"output"')[0]


def test_client_id_kept_and_unknown_inputs_stripped(hello):
    body = hello.post("/predictions", json={"id": "abc", "input": {"text": "x", "nope": 1}}).json()
    assert body["id"] == "abc"
    assert body["output"] == "hello x"


def test_validation_error_shape(hello):
    resp = hello.predict({})
    assert resp.status_code == 422
    assert resp.json() == {"detail": [{"loc": ["body", "input", "text"], "msg": "Field required",
                                       "type": "value_error.missing"}]}
    resp = hello.predict({"text": 3})
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["loc"] == ["body", "input", "text"]


def test_malformed_json_is_rejected(hello):
    resp = hello.post("/predictions", content=b"{nope", headers={"content-type": "application/json"})
    assert 400 <= resp.status_code < 500


def test_empty_body_means_empty_input(hello):
    resp = hello.post("/predictions")
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["msg"] == "Field required"


def test_put_is_idempotent_and_checks_the_id(hello):
    resp = hello.put("/predictions/p1", json={"input": {"text": "a"}})
    assert resp.json()["id"] == "p1"
    assert resp.json()["output"] == "hello a"
    resp = hello.put("/predictions/p1", json={"id": "p2", "input": {"text": "a"}})
    assert resp.status_code == 422
    assert resp.json() == {"detail": [{"loc": ["body", "id"], "msg": "prediction ID must match the ID supplied in the URL",
                                       "type": "value_error"}]}


def test_root_and_openapi_and_docs(hello):
    root = hello.get("/").json()
    assert root["predictions_url"] == "/predictions"
    assert root["predictions_cancel_url"] == "/predictions/{prediction_id}/cancel"
    doc = hello.get("/openapi.json").json()
    assert doc["components"]["schemas"]["Input"]["properties"]["text"]["type"] == "string"
    docs = hello.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    assert hello.get("/nope").status_code == 404


def test_cancel_unknown_is_404(hello):
    resp = hello.post("/predictions/none-such/cancel")
    assert resp.status_code == 404
    assert resp.json() == {}


def test_trainings_run_and_never_stream(hello):
    resp = hello.post("/trainings", json={"input": {"text": "t"}})
    assert resp.json()["output"] == "hello t"
    resp = hello.post("/trainings", json={"input": {"text": "t"}}, headers={"accept": "text/event-stream"})
    assert resp.status_code == 406
    assert resp.json() == {"error": "Training endpoints do not support streaming responses."}


def test_sse_needs_streaming(hello):
    resp = hello.post("/predictions", json={"input": {"text": "t"}}, headers={"accept": "text/event-stream"})
    assert resp.status_code == 406


def test_sequential_client_never_sees_409(hello):
    statuses = {hello.predict({"text": str(i)}).status_code for i in range(200)}
    assert statuses == {200}


def test_failed_prediction(make_server):
    server = make_server("failing.py:Predictor")
    body = server.predict({"how": "raise"}).json()
    assert body["status"] == "failed"
    assert body["error"] == "ValueError: this is a value error"
    assert "Traceback" in body["logs"]
    assert "output" not in body


def test_sys_exit_fails_only_that_prediction(make_server):
    server = make_server("failing.py:Predictor")
    resp = server.predict({"how": "exit"})
    assert resp.status_code == 200
    assert resp.json()["status"] == "failed"
    assert "SystemExit" in resp.json()["error"]
    pids = server.worker_pids()
    assert server.predict({}).json()["output"] == "fine"
    assert server.worker_pids() == pids


def test_metrics_and_context(make_server):
    server = make_server("metrics.py:Predictor")
    body = server.post("/predictions", json={"input": {"n": 5}, "context": {"who": "me"}}).json()
    assert body["output"] == "me"
    assert body["metrics"]["tokens"] == {"input": 5}
    assert body["metrics"]["steps"] == 2
    assert body["metrics"]["predict_time"] > 0


def test_file_input_and_output_as_data_uri(make_server):
    server = make_server("file_output.py:Predictor")
    data = "data:text/plain;base64," + base64.b64encode(b"abc").decode()
    body = server.predict({"image": data}).json()
    assert body["status"] == "succeeded", body
    assert body["output"] == "data:text/plain;base64," + base64.b64encode(b"abc!").decode()


def test_ten_mib_input_and_output(make_server):
    server = make_server("big.py:Predictor")
    text = "y" * (10 * 1024 * 1024)
    assert server.predict({"text": text}).json()["output"] == f"got {len(text)}"
    body = server.predict({"size": 10 * 1024 * 1024}).json()
    assert len(body["output"]) == 10 * 1024 * 1024


def test_async_predictions_run_concurrently(make_server):
    server = make_server("async_sleeper.py:Predictor", env={"COG_MAX_CONCURRENCY": "4"})
    results = []
    threads = [threading.Thread(target=lambda: results.append(server.predict({"seconds": 2.0}).json()))
               for _ in range(4)]
    import time

    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert time.monotonic() - t0 < 6   # one after the other would take 8 s
    assert [r["status"] for r in results] == ["succeeded"] * 4
    logs = sorted(r["logs"] for r in results)
    assert logs == ["call 1\n", "call 2\n", "call 3\n", "call 4\n"]


def test_sync_predictor_refuses_concurrency(make_server):
    server = make_server("hello.py:Predictor", env={"COG_MAX_CONCURRENCY": "2"}, wait="SETUP_FAILED")
    assert "COG_MAX_CONCURRENCY > 1 requires an async run() or predict() method" in server.health()["setup"]["logs"]


def test_generator_output_and_midstream_error(make_server):
    server = make_server("generator.py:Predictor")
    body = server.predict({"n": 3}).json()
    assert body["output"] == ["chunk 0", "chunk 1", "chunk 2"]
    body = server.predict({"n": 3, "fail_at": 2}).json()
    assert body["status"] == "failed"
    assert body["output"] == ["chunk 0", "chunk 1"]
    assert body["error"] == "ValueError: broke at 2"


def test_async_generator_output(make_server):
    server = make_server("async_generator.py:Predictor")
    assert server.predict({"n": 2}).json()["output"] == ["chunk 0", "chunk 1"]


def test_input_default_none_is_optional_and_predict_gets_none(make_server):
    # issue 12 row "default-none": Cog 0.16 passed None where the client left the input out
    server = make_server("seed_none.py:Predictor")
    body = server.predict({"prompt": "hi"}).json()
    assert body["status"] == "succeeded", body
    assert body["output"] == "hi seed=None image=None tags=None"
    body = server.predict({"prompt": "hi", "tags": ["a"]}).json()
    assert body["output"] == "hi seed=None image=None tags=['a']", body
    assert server.predict({"prompt": "hi", "seed": 7}).json()["output"].startswith("hi seed=7 ")
    schema = server.get("/openapi.json").json()["components"]["schemas"]["Input"]
    assert schema["required"] == ["prompt"]
    assert schema["properties"]["seed"]["nullable"] is True
