"""The Prometheus exposition: histogram buckets, counters, gauges read from the runner at scrape time."""

from __future__ import annotations

from types import SimpleNamespace

from cog_py.server.admission import Admission
from cog_py.server.metrics import Histogram, Metrics, render


def test_histogram_buckets_are_cumulative_and_inclusive():
    h = Histogram((0.1, 1.0))
    for value in (0.05, 0.1, 0.5, 1.0, 7.0):
        h.observe(value)
    assert h.lines("x") == [
        'x_bucket{le="0.1"} 2',      # 0.05 and 0.1 (le is inclusive)
        'x_bucket{le="1.0"} 4',
        'x_bucket{le="+Inf"} 5',
        "x_sum 8.65",
        "x_count 5",
    ]


def test_a_422_is_a_rejection_not_a_failed_prediction():
    m = Metrics()
    m.finished("failed", 422, 0.001)
    m.finished("failed", 200, 0.5)
    m.finished("succeeded", 200, 0.002)
    assert m.rejected["invalid_input"] == 1
    assert m.by_status == {"succeeded": 1, "failed": 1, "canceled": 0}
    assert m.prediction.count == 2


def test_render_reads_gauges_from_the_runner():
    m = Metrics()
    m.setup.observe(1.5)
    runner = SimpleNamespace(metrics=m, inflight={"a": 1, "b": 2}, slots=4, free_slots=2, restarts=3,
                             status=lambda: "READY", admission=Admission(None))
    text = render(runner).decode()
    lines = set(text.splitlines())
    assert "cog_predictions_in_flight 2" in lines
    assert "cog_prediction_slots 4" in lines
    assert "cog_prediction_slots_free 2" in lines
    assert "cog_worker_restarts_total 3" in lines
    assert 'cog_server_state{state="READY"} 1' in lines
    assert 'cog_server_state{state="BUSY"} 0' in lines
    assert "cog_setup_duration_seconds_count 1" in lines
    assert "# TYPE cog_prediction_duration_seconds histogram" in lines
    assert text.endswith("\n")
    assert "cog_prediction_queue_depth" not in text   # no queue configured: no queue metrics


def test_queue_metrics():
    m = Metrics()
    m.queue_wait.observe(0.0)
    m.queue_wait.observe(0.3)
    m.rejected["queue_full"] += 2
    admission = Admission(8)
    admission.waiting["q"] = object()  # type: ignore[assignment]
    runner = SimpleNamespace(metrics=m, inflight={}, slots=1, free_slots=0, restarts=0, status=lambda: "BUSY",
                             admission=admission)
    lines = set(render(runner).decode().splitlines())
    assert "cog_prediction_queue_depth 1" in lines
    assert "cog_prediction_queue_size 8" in lines
    assert 'cog_prediction_rejections_total{reason="queue_full"} 2' in lines
    assert "cog_prediction_queue_wait_seconds_count 2" in lines
    assert 'cog_prediction_queue_wait_seconds_bucket{le="0.25"} 1' in lines
