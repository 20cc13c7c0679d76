"""Prometheus metrics: plain ints on the hot path, text rendered only when /metrics is scraped.

The runner owns one `Metrics`; counting a prediction is a dict increment and a bisect into a
short tuple, so it costs next to nothing per request. Gauges (in flight, free slots, state)
are not stored at all: `render` reads them from the runner at scrape time.

Exposed (text format 0.0.4)::

    cog_predictions_total{status}            counter  terminal predictions: succeeded|failed|canceled
    cog_prediction_rejections_total{reason}  counter  answered without running: at_capacity (409),
                                                      queue_full (429), not_ready (503, and
                                                      queued ones dropped at shutdown),
                                                      invalid_input (422)
    cog_prediction_duration_seconds          histogram  admission to terminal status
    cog_setup_duration_seconds               histogram  worker start to READY
    cog_setup_failures_total                 counter
    cog_predictions_in_flight                gauge
    cog_prediction_slots / cog_prediction_slots_free   gauges
    cog_worker_restarts_total                counter
    cog_server_state{state}                  gauge, 1 for the current health status
    cog_prediction_queue_depth / cog_prediction_queue_size   gauges (the admission queue)
    cog_prediction_queue_wait_seconds        histogram  admission to dispatch to the worker
                                                        (only with a queue configured)
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from cog_py.server.state import REPORTED

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"

PREDICTION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
                      600.0)
SETUP_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
STATUSES = ("succeeded", "failed", "canceled")
REJECTIONS = ("at_capacity", "queue_full", "not_ready", "invalid_input")
QUEUE_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
STATES = REPORTED


class Histogram:
    """Counts per bucket (non-cumulative while counting; cumulated when rendered)."""

    __slots__ = ("bounds", "counts", "total", "count")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)   # the last one is +Inf
        self.total = 0.0
        self.count = 0

    def observe(self, value: float) -> None:
        # bisect_left: the first bound >= value, so a value equal to a bound falls in its bucket (le).
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value
        self.count += 1

    def lines(self, name: str) -> list[str]:
        out = []
        running = 0
        for bound, n in zip(self.bounds, self.counts):
            running += n
            out.append(f'{name}_bucket{{le="{_num(bound)}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.count}')
        out.append(f"{name}_sum {_num(self.total)}")
        out.append(f"{name}_count {self.count}")
        return out


class Metrics:
    """The counters the runner and the fast path bump; nothing here allocates per request."""

    __slots__ = ("by_status", "rejected", "prediction", "setup", "setup_failures", "queue_wait")

    def __init__(self) -> None:
        self.by_status: dict[str, int] = dict.fromkeys(STATUSES, 0)
        self.rejected: dict[str, int] = dict.fromkeys(REJECTIONS, 0)
        self.prediction = Histogram(PREDICTION_BUCKETS)
        self.setup = Histogram(SETUP_BUCKETS)
        self.setup_failures = 0
        self.queue_wait = Histogram(QUEUE_BUCKETS)

    def finished(self, status: str, code: int, seconds: float) -> None:
        """Count one prediction that reached a terminal status (a 422 never ran: a rejection)."""
        if code == 422:
            self.rejected["invalid_input"] += 1
            return
        if code == 503:   # waited in the queue, never ran (shutdown, or the model became unusable)
            self.rejected["not_ready"] += 1
            return
        by_status = self.by_status
        by_status[status] = by_status.get(status, 0) + 1
        self.prediction.observe(seconds)


def _num(value: float) -> str:
    return repr(float(value))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def render(runner: Any) -> bytes:
    """The Prometheus text exposition of `runner`'s metrics and current state."""
    m: Metrics = runner.metrics
    status = runner.status()
    lines = [
        "# HELP cog_predictions_total Predictions that reached a terminal status, by status.",
        "# TYPE cog_predictions_total counter",
    ]
    lines += [f'cog_predictions_total{{status="{_escape(s)}"}} {n}' for s, n in m.by_status.items()]
    lines += [
        "# HELP cog_prediction_rejections_total Prediction requests answered without running, by reason.",
        "# TYPE cog_prediction_rejections_total counter",
    ]
    lines += [f'cog_prediction_rejections_total{{reason="{r}"}} {n}' for r, n in m.rejected.items()]
    lines += [
        "# HELP cog_prediction_duration_seconds Time from admission to terminal status.",
        "# TYPE cog_prediction_duration_seconds histogram",
        *m.prediction.lines("cog_prediction_duration_seconds"),
        "# HELP cog_setup_duration_seconds Time from worker start to READY.",
        "# TYPE cog_setup_duration_seconds histogram",
        *m.setup.lines("cog_setup_duration_seconds"),
        "# HELP cog_setup_failures_total Worker setups that failed or timed out.",
        "# TYPE cog_setup_failures_total counter",
        f"cog_setup_failures_total {m.setup_failures}",
        "# HELP cog_predictions_in_flight Predictions admitted and not yet finished.",
        "# TYPE cog_predictions_in_flight gauge",
        f"cog_predictions_in_flight {len(runner.inflight)}",
        "# HELP cog_prediction_slots Prediction slots (concurrency.max).",
        "# TYPE cog_prediction_slots gauge",
        f"cog_prediction_slots {runner.slots}",
        "# HELP cog_prediction_slots_free Slots free for a new prediction (0 unless READY).",
        "# TYPE cog_prediction_slots_free gauge",
        f"cog_prediction_slots_free {max(0, runner.free_slots)}",
        "# HELP cog_worker_restarts_total Worker processes started again after one died.",
        "# TYPE cog_worker_restarts_total counter",
        f"cog_worker_restarts_total {runner.restarts}",
        "# HELP cog_server_state The server's health status (1 for the current one).",
        "# TYPE cog_server_state gauge",
    ]
    lines += [f'cog_server_state{{state="{s}"}} {1 if s == status else 0}' for s in STATES]
    admission = runner.admission
    if admission.queue_size:
        lines += [
            "# HELP cog_prediction_queue_depth Predictions admitted and waiting for a slot.",
            "# TYPE cog_prediction_queue_depth gauge",
            f"cog_prediction_queue_depth {admission.depth}",
            "# HELP cog_prediction_queue_size Places in the admission queue (concurrency.queue).",
            "# TYPE cog_prediction_queue_size gauge",
            f"cog_prediction_queue_size {admission.queue_size}",
            "# HELP cog_prediction_queue_wait_seconds Time from admission until sent to the worker.",
            "# TYPE cog_prediction_queue_wait_seconds histogram",
            *m.queue_wait.lines("cog_prediction_queue_wait_seconds"),
        ]
    return ("\n".join(lines) + "\n").encode()
