"""Admission: the one place that decides what happens to a new prediction request.

    the server is not READY, or is shutting down  -> 503 (Cog's error JSON)
    a slot is free and nobody is waiting          -> run now
    every slot is taken, the queue has room       -> wait, first in first out
    every slot is taken, no queue configured      -> 409, as Cog does
    the queue is full                             -> 429 with Retry-After

The queue is opt-in (`concurrency.queue` in cog.yaml, `COG_QUEUE_SIZE`); without it the server
behaves exactly as Cog's does. A waiting prediction is a `Pending` that has not been sent to
the worker yet: it keeps its request body until a slot frees, and the runner hands it the
slot before anyone else can take it (`Runner._on_done` pumps the queue before answering).

Retry-After is the expected wait for the last place in the queue, from the observed service
time (an exponentially weighted mean of dispatch-to-done), rounded up, at least 1 s.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import TYPE_CHECKING, NamedTuple

from cog_py.server import jsonc
from cog_py.server.state import Health

if TYPE_CHECKING:
    from cog_py.server.runner import Pending, Runner

NOT_READY = jsonc.dumps({"error": "Setup has not finished yet. Wait until it has finished, or GET /health-check for status.",
                         "status": "failed"})
SETUP_FAILED_BODY = jsonc.dumps({"error": "Setup failed: this model cannot run predictions. GET /health-check for the logs.",
                                 "status": "failed"})
DEFUNCT_BODY = jsonc.dumps({"error": "The worker crashed repeatedly: this server can no longer run predictions.",
                            "status": "failed"})
SHUTTING_DOWN = jsonc.dumps({"error": "The server is shutting down.", "status": "failed"})
AT_CAPACITY = jsonc.dumps({"error": "At capacity - all prediction slots busy", "status": "failed"})
QUEUE_FULL = jsonc.dumps({"error": "At capacity - all prediction slots busy and the queue is full",
                          "status": "failed"})

# Why a queued prediction was dropped before it ran (its error text).
DROPPED_SHUTDOWN = "The server shut down before this prediction could start."
DROPPED_UNAVAILABLE = "The server can no longer run predictions (setup failed or the worker crashed repeatedly)."

_SMOOTHING = 0.2   # weight of the newest service time in the running mean


class Refusal(NamedTuple):
    """An answer given without admitting the request."""

    status: int
    body: bytes
    reason: str                                   # the metrics label: not_ready | at_capacity | queue_full
    headers: tuple[tuple[bytes, bytes], ...] = ()


class Admission:
    """The slots and the queue of one runner (read by health, metrics and the drain)."""

    __slots__ = ("queue_size", "waiting", "service_s")

    def __init__(self, queue_size: int | None) -> None:
        self.queue_size = queue_size or 0
        self.waiting: OrderedDict[str, Pending] = OrderedDict()   # FIFO: oldest first
        self.service_s = 0.0           # mean seconds from dispatch to done (0 until observed)

    def decide(self, runner: Runner) -> Refusal | None:
        """None: admit (run now or wait); else the refusal to answer with."""
        if runner.state is not Health.READY or runner.draining:
            if runner.draining:
                return Refusal(503, SHUTTING_DOWN, "not_ready")
            state = runner.state
            body = (NOT_READY if state is Health.STARTING else SETUP_FAILED_BODY if state is Health.SETUP_FAILED
                    else DEFUNCT_BODY)
            return Refusal(503, body, "not_ready")
        if len(runner.inflight) < runner.slots and not self.waiting:
            return None
        if not self.queue_size:
            return Refusal(409, AT_CAPACITY, "at_capacity")
        if len(self.waiting) >= self.queue_size:
            return Refusal(429, QUEUE_FULL, "queue_full",
                           ((b"retry-after", str(self.retry_after(runner.slots)).encode()),))
        return None

    def must_wait(self, runner: Runner) -> bool:
        """After `decide` admitted: does this request wait in the queue?"""
        return bool(self.waiting) or len(runner.inflight) >= runner.slots

    def retry_after(self, slots: int) -> int:
        """Seconds until the last place in a full queue is likely to be served."""
        ahead = len(self.waiting) + 1
        return max(1, math.ceil(self.service_s * ahead / max(1, slots)))

    def observe_service(self, seconds: float) -> None:
        if self.service_s == 0.0:
            self.service_s = seconds
        else:
            self.service_s += _SMOOTHING * (seconds - self.service_s)

    @property
    def depth(self) -> int:
        return len(self.waiting)
