"""Replicas come and go: autoscaling under load, and faults in the middle of a stream of requests."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.ray.cluster import _processes, children_of
from tests.ray.conftest import FIXTURES

pytestmark = pytest.mark.timeout(400)

SLOW = FIXTURES / "slow"


def running_replicas(app: str) -> int:
    from ray import serve

    status = serve.status().applications.get(app)
    if status is None:
        return 0
    return int(status.deployments["CogModel"].replica_states.get("RUNNING", 0))


def wait_until(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_autoscaling_up_under_load_and_back_down(serve_app: Any) -> None:
    app = serve_app("auto", SLOW, min_replicas=1, max_replicas=3, target_ongoing=1.0, upscale_delay_s=1.0,
                    downscale_delay_s=4.0)
    assert running_replicas("auto") == 1
    stop = threading.Event()
    answered: Counter[int] = Counter()

    def client() -> None:
        with httpx.Client(base_url=app.url, timeout=120) as http:
            while not stop.is_set():
                answered[http.post("/predictions", json={"input": {"seconds": 0.5}}).status_code] += 1

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: running_replicas("auto") >= 2, 150, "a second replica under a load of 8 clients")
        peak = running_replicas("auto")
    finally:
        stop.set()
        for thread in threads:
            thread.join(150)
    assert set(answered) == {200}, answered
    wait_until(lambda: running_replicas("auto") == 1, 150, "the replicas to scale back down to 1")
    print(f"autoscaling: 1 -> {peak} replicas under 8 clients, back to 1; {sum(answered.values())} predictions")


def _replica_pids(app: str) -> list[int]:
    name = f"ray::ServeReplica:{app}:CogModel"
    return sorted(pid for pid, (_, cmd) in _processes().items() if cmd.startswith(name))


def _worker_of(replica_pid: int) -> int:
    workers = [p for p in children_of(replica_pid) if "cog_py.worker" in _processes().get(p, (0, ""))[1]]
    assert len(workers) == 1, f"replica {replica_pid} has workers {workers}"
    return workers[0]


def test_faults_fail_only_the_requests_in_flight(serve_app: Any) -> None:
    """A replica's worker SIGKILLed, then a replica actor SIGKILLed, during 200 requests."""
    app = serve_app("faults", SLOW, replicas=2)
    replicas = _replica_pids("faults")
    assert len(replicas) == 2, replicas
    done = Counter[str]()
    failures: list[str] = []
    hung: list[int] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        if i == 60:
            os.kill(_worker_of(replicas[0]), signal.SIGKILL)
        if i == 130:
            os.kill(replicas[1], signal.SIGKILL)
        try:
            with httpx.Client(base_url=app.url, timeout=30) as http:
                response = http.post("/predictions", json={"input": {"text": str(i), "seconds": 0.05}})
        except httpx.TimeoutException:
            with lock:
                hung.append(i)
            return
        except httpx.HTTPError as exc:
            with lock:
                failures.append(f"{i}: {exc!r}")
            return
        body = response.json() if response.headers.get("content-type") == "application/json" else {}
        with lock:
            if response.status_code == 200 and body.get("status") == "succeeded" and body.get("output") == str(i):
                done["ok"] += 1
            else:
                failures.append(f"{i}: {response.status_code} {response.text[:200]}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(200)))
    print(f"faults: {len(failures)} of 200 requests failed, {len(hung)} hung: {failures}")
    assert not hung
    # One prediction at a time per replica (concurrency.max 1): each fault may fail the one in flight.
    assert len(failures) <= 2, failures
    assert done["ok"] == 200 - len(failures)
    # The killed actor is replaced, and its worker did not outlive it.
    wait_until(lambda: running_replicas("faults") == 2, 150, "Serve to replace the killed replica")
    assert not any(p == replicas[1] for p in _replica_pids("faults"))
