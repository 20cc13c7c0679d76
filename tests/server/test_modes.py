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
    server.wait_for("READY", timeout=10)
    assert time.monotonic() - t0 < 10   # canceled, not run out (that takes 20 s); slack for a loaded machine


def test_concurrent_decorator_sets_the_slots(make_server):
    import threading

    server = make_server("concurrent_slots.py:Predictor")
    results = []
    threads = [threading.Thread(target=lambda: results.append(server.predict({"seconds": 1.5}).status_code))
               for _ in range(3)]
    for t in threads:
        t.start()
    server.wait_for("BUSY", timeout=10)
    assert server.predict({}).status_code == 409
    for t in threads:
        t.join(20)
    assert results == [200, 200, 200]


def test_cog_yaml_fallback_and_json_logs(make_server, tmp_path):
    import json
    import shutil

    from tests.server.conftest import FIXTURES

    shutil.copy(FIXTURES / "hello.py", tmp_path / "predict.py")
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.11"\npredict: "predict.py:Predictor"\n')
    server = make_server(None, cwd=tmp_path, env={"LOG_FORMAT": "json"})
    assert server.predict({"text": "yaml"}).json()["output"] == "hello yaml"
    lines = [line for line in server.logs().splitlines() if line.startswith("{")]
    assert lines and all(json.loads(line)["level"] for line in lines)


def test_no_predictor_exits_with_a_message(tmp_path):
    import subprocess
    import sys

    from tests.server.conftest import REPO

    out = subprocess.run([sys.executable, "-m", "cog_py.server"], cwd=tmp_path, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}, timeout=30)
    assert out.returncode == 1
    assert "COG_PREDICT_TYPE_STUB" in out.stderr


def test_model_file_named_like_a_stdlib_module(make_server, tmp_path):
    # Written at test time: a concurrent.py in fixtures/ would shadow the stdlib for any
    # script run from that directory.
    (tmp_path / "concurrent.py").write_text(
        "from cog import BasePredictor\n\n\nclass Predictor(BasePredictor):\n"
        "    def predict(self) -> str:\n        return 'not shadowed'\n")
    server = make_server("concurrent.py:Predictor", cwd=tmp_path)
    assert server.predict({}).json()["output"] == "not shadowed"


def test_schema_file_is_served_verbatim(make_server, tmp_path):
    import shutil

    from tests.server.conftest import FIXTURES

    shutil.copy(FIXTURES / "hello.py", tmp_path / "predict.py")
    (tmp_path / ".cog").mkdir()
    doc = b'{"openapi":"3.0.2","info":{"title":"Cog","version":"9.9.9"},"paths":{},"x-from":"build"}'
    (tmp_path / ".cog" / "openapi_schema.json").write_bytes(doc)
    server = make_server("predict.py:Predictor", cwd=tmp_path)
    assert server.get("/openapi.json").content == doc


def test_openapi_unavailable_until_rendered(make_server):
    server = make_server("slow_setup.py:Predictor", env={"TEST_SETUP_SECONDS": "2"}, wait="STARTING")
    resp = server.get("/openapi.json")
    assert resp.status_code == 503
    assert resp.json() == {"error": "OpenAPI schema not available"}
    server.wait_for("READY")
    assert server.get("/openapi.json").json()["components"]["schemas"]["Output"]["type"] == "string"
