"""The admission decision, on a stand-in for the runner's state (pure logic)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cog_py.server.admission import Admission
from cog_py.server.state import Health


@dataclass
class FakeRunner:
    admission: Admission
    slots: int = 1
    state: Health = Health.READY
    draining: bool = False
    inflight: dict[str, Any] = field(default_factory=dict)


def test_without_a_queue_the_answers_are_cogs() -> None:
    runner = FakeRunner(Admission(None))
    assert runner.admission.decide(runner) is None
    runner.inflight["a"] = object()
    refusal = runner.admission.decide(runner)
    assert refusal is not None and (refusal.status, refusal.reason) == (409, "at_capacity")
    runner.state = Health.STARTING
    refusal = runner.admission.decide(runner)
    assert refusal is not None and refusal.status == 503 and b"Setup has not finished" in refusal.body
    runner.state, runner.draining = Health.READY, True
    refusal = runner.admission.decide(runner)
    assert refusal is not None and refusal.status == 503 and b"shutting down" in refusal.body


def test_queue_admits_until_full_then_429_with_retry_after() -> None:
    admission = Admission(2)
    runner = FakeRunner(admission, slots=2, inflight={"a": 1, "b": 2})
    assert admission.decide(runner) is None and admission.must_wait(runner)
    admission.waiting["q1"] = object()  # type: ignore[assignment]
    admission.waiting["q2"] = object()  # type: ignore[assignment]
    refusal = admission.decide(runner)
    assert refusal is not None and (refusal.status, refusal.reason) == (429, "queue_full")
    assert refusal.headers == ((b"retry-after", b"1"),)   # nothing observed yet: 1 s
    admission.observe_service(4.0)
    admission.observe_service(4.0)
    assert admission.retry_after(2) == 6                  # 3 places ahead of the next one, 2 slots, 4 s each
    runner.inflight.clear()
    del admission.waiting["q2"]
    assert admission.decide(runner) is None and admission.must_wait(runner)   # FIFO: nobody jumps the queue


def test_service_time_is_a_smoothed_mean() -> None:
    admission = Admission(1)
    admission.observe_service(1.0)
    admission.observe_service(2.0)
    assert abs(admission.service_s - 1.2) < 1e-9
