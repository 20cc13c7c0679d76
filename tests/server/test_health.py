"""Every /health-check state, over real HTTP against real server and worker processes."""

from __future__ import annotations

import threading
import time

import pytest

pytestmark = pytest.mark.timeout(90)


def test_starting_then_ready_with_setup_logs(make_server):
    server = make_server("slow_setup.py:Predictor", env={"TEST_SETUP_SECONDS": "2"}, wait=None)
    health = server.wait_for("STARTING")
    assert health["setup"]["status"] == "starting"
    assert "completed_at" not in health["setup"]
    # The server answers predictions with 503 while setup runs.
    resp = server.predict({})
    assert resp.status_code == 503
    assert resp.json() == {
        "error": "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.",
        "status": "failed",
    }
    health = server.wait_for("READY")
    assert health["setup"]["status"] == "succeeded"
    assert "loading weights\n" in health["setup"]["logs"]
    assert health["setup"]["completed_at"] >= health["setup"]["started_at"]
    assert health["version"]["python_sdk"]


def test_setup_failed_keeps_serving_with_logs(make_server):
    server = make_server("setup_fails.py:Predictor", wait="SETUP_FAILED")
    health = server.health()
    assert health["setup"]["status"] == "failed"
    assert "about to fail" in health["setup"]["logs"]
    assert "RuntimeError: weights are missing" in health["setup"]["logs"]
    assert server.predict({}).status_code == 503
    assert server.proc.poll() is None


def test_setup_timeout(make_server):
    server = make_server("slow_setup.py:Predictor", env={"TEST_SETUP_SECONDS": "30", "COG_SETUP_TIMEOUT": "1"},
                         wait="SETUP_FAILED")
    assert "worker setup timed out" in server.health()["setup"]["logs"]


def test_busy_while_the_only_slot_is_taken(make_server):
    server = make_server("sleeper.py:Predictor")
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=server.predict({"seconds": 1.5})))
    thread.start()
    server.wait_for("BUSY", timeout=10)
    assert server.predict({}).json() == {"error": "At capacity - all prediction slots busy", "status": "failed"}
    thread.join(10)
    assert result["r"].json()["status"] == "succeeded"
    assert server.health()["status"] == "READY"


@pytest.mark.parametrize(("mode", "message"), [
    ("false", "Healthcheck failed: user-defined healthcheck returned False"),
    ("raise", "Healthcheck failed: database unreachable"),
    ("hang", "Healthcheck failed: user-defined healthcheck timed out after 0.5 seconds"),
])
def test_unhealthy_from_user_healthcheck(make_server, mode, message):
    server = make_server("healthcheck.py:Predictor", wait=("READY", "UNHEALTHY"),
                         env={"TEST_HEALTH": mode, "COG_HEALTHCHECK_TIMEOUT": "0.5"})
    health = server.health()
    assert health["status"] == "UNHEALTHY"
    assert health["user_healthcheck_error"] == message
    # Predictions are still accepted.
    assert server.predict({}).json()["output"] == "ok"


def test_healthy_user_healthcheck_is_ready(make_server):
    server = make_server("healthcheck.py:Predictor", env={"TEST_HEALTH": "ok"})
    health = server.health()
    assert health["status"] == "READY"
    assert "user_healthcheck_error" not in health


def test_crash_loop_ends_defunct(make_server):
    server = make_server("crash_loop.py:Predictor", wait=None,
                         env={"TEST_CRASH_AFTER": "0.3", "COG_WORKER_CRASH_LIMIT": "3"})
    health = server.wait_for("DEFUNCT", timeout=40)
    assert health["status"] == "DEFUNCT"
    assert server.predict({}).status_code == 503
    assert server.get("/livez").status_code == 503
    assert server.get("/readyz").status_code == 503


def test_readyz_and_livez(make_server):
    server = make_server("hello.py:Predictor")
    assert server.get("/readyz").status_code == 200
    assert server.get("/livez").status_code == 200


def test_kubernetes_ready_file(make_server, tmp_path):
    ready = tmp_path / "cog" / "ready"
    server = make_server("slow_setup.py:Predictor", wait="STARTING",
                         env={"KUBERNETES_SERVICE_HOST": "10.0.0.1", "COG_READY_FILE": str(ready),
                              "TEST_SETUP_SECONDS": "1"})
    assert not ready.exists()
    server.wait_for("READY")
    assert ready.exists()


def test_gpu_model_without_a_gpu_runs_on_cpu_with_a_warning(make_server):
    # These machines have no GPU: the probe finds none.
    server = make_server("hello.py:Predictor", env={"COG_GPU": "1", "CUDA_VISIBLE_DEVICES": ""})
    health = server.health()
    assert health["gpu"]["requested"] is True
    assert health["gpu"]["available"] is False
    assert "running on the CPU" in health["gpu"]["warnings"][0]
    assert "WARNING: This model asks for a GPU" in health["setup"]["logs"]
    assert server.predict({"text": "cpu"}).json()["output"] == "hello cpu"


def test_required_gpu_missing_fails_setup(make_server):
    server = make_server("hello.py:Predictor", env={"COG_GPU": "1", "COG_REQUIRE_GPU": "1",
                                                    "CUDA_VISIBLE_DEVICES": ""}, wait="SETUP_FAILED")
    health = server.health()
    assert "This model needs a GPU and none is usable" in health["setup"]["logs"]
    assert health["gpu"]["available"] is False


def test_no_gpu_section_for_cpu_models(make_server):
    server = make_server("hello.py:Predictor")
    assert "gpu" not in server.health()
