"""Cancellation of each predictor kind, and a worker that dies or must be killed."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

pytestmark = pytest.mark.timeout(90)


def _cancel_while_running(server, inputs, pred_id="c1", delay=0.5):
    result = {}
    thread = threading.Thread(
        target=lambda: result.update(r=server.put(f"/predictions/{pred_id}", json={"input": inputs})))
    thread.start()
    time.sleep(delay)
    t0 = time.monotonic()
    assert server.post(f"/predictions/{pred_id}/cancel").status_code == 200
    thread.join(30)
    return result["r"], time.monotonic() - t0


@pytest.mark.parametrize("spin", [False, True], ids=["sleep", "pure-python-loop"])
def test_sync_cancel_within_a_second(make_server, spin):
    server = make_server("sleeper.py:Predictor")
    pids = server.worker_pids()
    resp, took = _cancel_while_running(server, {"seconds": 20, "spin": spin})
    assert resp.json()["status"] == "canceled"
    assert took < 2.5   # about 0.1 s here; headroom for a loaded machine (the work would take 20 s)
    assert server.worker_pids() == pids   # no restart was needed
    assert server.predict({"seconds": 0}).json()["status"] == "succeeded"


def test_generator_cancel(make_server):
    server = make_server("generator.py:Predictor")
    resp, took = _cancel_while_running(server, {"n": 100, "delay": 0.2})
    body = resp.json()
    assert body["status"] == "canceled"
    assert body["output"][:2] == ["chunk 0", "chunk 1"]
    assert took < 2.5   # about 0.1 s here; headroom for a loaded machine (the work would take 20 s)


def test_async_cancel(make_server):
    server = make_server("async_sleeper.py:Predictor")
    resp, took = _cancel_while_running(server, {"seconds": 20})
    assert resp.json()["status"] == "canceled"
    assert took < 2.5   # about 0.1 s here; headroom for a loaded machine (the work would take 20 s)


def test_async_prediction_cancel_with_respond_async(make_server):
    server = make_server("async_sleeper.py:Predictor")
    resp = server.post("/predictions", json={"id": "a1", "input": {"seconds": 20}},
                       headers={"prefer": "respond-async"})
    assert resp.status_code == 202
    assert resp.json()["id"] == "a1" and resp.json()["status"] == "starting"
    assert server.post("/predictions/a1/cancel").status_code == 200
    server.wait_for("READY", timeout=5)
    # idempotent (our extension of Cog, which answers 404 here): it ended moments ago
    assert server.post("/predictions/a1/cancel").status_code == 200
    assert server.post("/predictions/never-seen/cancel").status_code == 404


def test_stuck_in_c_is_canceled_by_restarting_the_worker(make_server):
    server = make_server("stuck_in_c.py:Predictor", env={"COG_CANCEL_GRACE_S": "1"})
    pids = server.worker_pids()
    resp, took = _cancel_while_running(server, {"seconds": 60})
    assert resp.json()["status"] == "canceled"
    assert took < 10
    server.wait_for("READY", timeout=30)
    assert server.worker_pids() != pids
    assert server.predict({"seconds": 0}).json()["output"] == "done"


def test_worker_sigkill_mid_prediction(make_server):
    server = make_server("sleeper.py:Predictor")
    [pid] = server.worker_pids()
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=server.predict({"seconds": 20})))
    thread.start()
    server.wait_for("BUSY", timeout=10)
    os.kill(pid, signal.SIGKILL)
    thread.join(20)
    body = result["r"].json()
    assert body["status"] == "failed"
    assert "Worker crashed" in body["error"]
    # The server answered throughout, and set a new worker up.
    server.wait_for("READY", timeout=30)
    assert server.predict({"seconds": 0}).json()["status"] == "succeeded"
    assert server.worker_pids() != [pid]


@pytest.mark.parametrize("how", ["os_exit", "segv"])
def test_hard_exit_in_predict(make_server, how):
    server = make_server("failing.py:Predictor")
    body = server.predict({"how": how}).json()
    assert body["status"] == "failed"
    assert "Worker crashed" in body["error"]
    server.wait_for("READY", timeout=30)
    assert server.predict({}).json()["output"] == "fine"


def test_sigterm_lets_the_prediction_finish_and_exits_zero(make_server):
    server = make_server("sleeper.py:Predictor")
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=server.predict({"seconds": 1.5})))
    thread.start()
    server.wait_for("BUSY", timeout=10)
    server.proc.send_signal(signal.SIGTERM)
    thread.join(20)
    assert result["r"].json()["status"] == "succeeded"
    assert server.proc.wait(20) == 0


def test_shutdown_endpoint_exits_zero(make_server):
    server = make_server("hello.py:Predictor")
    assert server.post("/shutdown").json() == {}
    assert server.proc.wait(20) == 0


def test_await_explicit_shutdown_ignores_sigterm(make_server):
    server = make_server("hello.py:Predictor", args=["--await-explicit-shutdown", "true"])
    server.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert server.health()["status"] == "READY"
    server.post("/shutdown")
    assert server.proc.wait(20) == 0


def test_sigterm_during_setup_exits_promptly(make_server):
    server = make_server("slow_setup.py:Predictor", env={"TEST_SETUP_SECONDS": "30"}, wait="STARTING")
    t0 = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(20) == 0
    assert time.monotonic() - t0 < 10   # setup() alone would take 30 s


def test_async_generator_cancel(make_server):
    server = make_server("async_generator.py:Predictor")
    resp, took = _cancel_while_running(server, {"n": 100, "delay": 0.2})
    body = resp.json()
    assert body["status"] == "canceled"
    assert body["output"][:2] == ["chunk 0", "chunk 1"]
    assert took < 2.5   # about 0.1 s here; headroom for a loaded machine (the work would take 20 s)


def test_cancel_is_repeatable(make_server):
    server = make_server("sleeper.py:Predictor")
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=server.put("/predictions/r1", json={"input": {"seconds": 20}})))
    thread.start()
    server.wait_for("BUSY", timeout=10)
    assert server.post("/predictions/r1/cancel").status_code == 200
    second = server.post("/predictions/r1/cancel").status_code
    thread.join(10)
    assert second == 200
    assert result["r"].json()["status"] == "canceled"
    assert server.post("/predictions/r1/cancel").status_code == 200   # after the end too


def test_three_cancels_in_a_row_answer_200_and_the_webhook_says_canceled(make_server):
    from tests.server.test_events import Receiver

    receiver = Receiver()
    try:
        server = make_server("sleeper.py:Predictor")
        resp = server.post("/predictions", json={"id": "i1", "input": {"seconds": 20}, "webhook": receiver.url,
                                                 "webhook_events_filter": ["completed"]},
                           headers={"prefer": "respond-async"})
        assert resp.status_code == 202
        server.wait_for("BUSY", timeout=10)
        answers = [server.post("/predictions/i1/cancel") for _ in range(3)]
        assert [(a.status_code, a.json()) for a in answers] == [(200, {})] * 3
        assert receiver.wait_terminal(timeout=30)["body"]["status"] == "canceled"
        again = server.post("/predictions/i1/cancel")
        assert (again.status_code, again.json()) == (200, {})
        assert server.post("/predictions/i2/cancel").status_code == 404
    finally:
        receiver.close()


def test_recently_finished_ids_are_bounded_and_expire():
    import asyncio

    from cog_py.server.runner import FINISHED_MAX, FINISHED_TTL_S, Runner
    from cog_py.server.settings import Settings

    async def scenario() -> None:
        runner = Runner(Settings(), schema=None)
        for n in range(FINISHED_MAX + 5):
            runner._remember_finished(f"p{n}")
        assert not runner.cancel("p0") and runner.cancel(f"p{FINISHED_MAX + 4}")
        runner._finished[f"p{FINISHED_MAX + 4}"] -= FINISHED_TTL_S + 1   # as if it ended 5 minutes ago
        assert not runner.cancel(f"p{FINISHED_MAX + 4}")

    asyncio.run(scenario())
