"""Operations endpoints: /readyz, /livez and /metrics in every state, over real HTTP."""

from __future__ import annotations

import re
import threading
import time

import pytest

pytestmark = pytest.mark.timeout(90)

_SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def scrape(server) -> dict[str, float]:
    """GET /metrics and parse the samples into {'name{labels}': value}; check the format on the way."""
    resp = server.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[str, float] = {}
    typed: set[str] = set()
    for line in resp.text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        name, labels, value = match.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in typed or base in typed, f"sample without # TYPE: {line!r}"
        samples[name + (labels or "")] = float(value)
    return samples


def probes(server) -> tuple[int, int]:
    return server.get("/readyz").status_code, server.get("/livez").status_code


def test_starting(make_server):
    server = make_server("slow_setup.py:Predictor", env={"TEST_SETUP_SECONDS": "3"}, wait="STARTING")
    assert probes(server) == (503, 200)
    m = scrape(server)
    assert m['cog_server_state{state="STARTING"}'] == 1
    assert m['cog_server_state{state="READY"}'] == 0
    assert m["cog_prediction_slots_free"] == 0
    assert m["cog_setup_duration_seconds_count"] == 0
    server.predict({})  # 503 before setup ends
    assert scrape(server)['cog_prediction_rejections_total{reason="not_ready"}'] == 1
    server.wait_for("READY")
    assert probes(server) == (200, 200)
    m = scrape(server)
    assert m["cog_setup_duration_seconds_count"] == 1
    assert 3.0 <= m["cog_setup_duration_seconds_sum"] < 30
    assert m['cog_setup_duration_seconds_bucket{le="2.5"}'] == 0
    assert m['cog_setup_duration_seconds_bucket{le="5.0"}'] == 1


def test_ready_then_busy(make_server):
    server = make_server("sleeper.py:Predictor")
    assert probes(server) == (200, 200)
    m = scrape(server)
    assert m['cog_server_state{state="READY"}'] == 1
    assert (m["cog_prediction_slots"], m["cog_prediction_slots_free"], m["cog_predictions_in_flight"]) == (1, 1, 0)
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=server.predict({"seconds": 2})))
    thread.start()
    try:
        server.wait_for("BUSY", timeout=10)
        assert probes(server) == (200, 200)
        m = scrape(server)
        assert m['cog_server_state{state="BUSY"}'] == 1
        assert (m["cog_prediction_slots_free"], m["cog_predictions_in_flight"]) == (0, 1)
    finally:
        thread.join(15)
    assert result["r"].json()["status"] == "succeeded"
    m = scrape(server)
    assert (m["cog_prediction_slots_free"], m["cog_predictions_in_flight"]) == (1, 0)


def test_setup_failed(make_server):
    server = make_server("setup_fails.py:Predictor", wait="SETUP_FAILED")
    assert probes(server) == (503, 200)
    m = scrape(server)
    assert m['cog_server_state{state="SETUP_FAILED"}'] == 1
    assert m["cog_setup_failures_total"] == 1
    assert m["cog_setup_duration_seconds_count"] == 0


def test_defunct(make_server):
    server = make_server("crash_loop.py:Predictor", wait="DEFUNCT", timeout=40,
                         env={"TEST_CRASH_AFTER": "0.3", "COG_WORKER_CRASH_LIMIT": "3"})
    assert probes(server) == (503, 503)
    m = scrape(server)
    assert m['cog_server_state{state="DEFUNCT"}'] == 1
    # Three deaths: the first two were replaced, the third made the server DEFUNCT.
    assert m["cog_worker_restarts_total"] == 2
    assert m["cog_setup_duration_seconds_count"] == 3
    assert m["cog_prediction_slots_free"] == 0


def test_counts_after_known_traffic(make_server):
    server = make_server("ops_model.py:Predictor")
    for _ in range(3):
        assert server.predict({}).json()["status"] == "succeeded"
    assert server.predict({"how": "fail"}).json()["status"] == "failed"
    assert server.predict({"seconds": "soon"}).status_code == 422
    # One canceled: it holds the only slot, so one more request meets a full house (409).
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=server.put("/predictions/p-cancel",
                                                                        json={"input": {"seconds": 30}})))
    thread.start()
    try:
        server.wait_for("BUSY", timeout=10)
        assert server.predict({}).status_code == 409
        assert server.post("/predictions/p-cancel/cancel").status_code == 200
    finally:
        thread.join(15)
    assert result["r"].json()["status"] == "canceled"
    deadline = time.monotonic() + 5
    while scrape(server)["cog_predictions_in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)

    m = scrape(server)
    assert m['cog_predictions_total{status="succeeded"}'] == 3
    assert m['cog_predictions_total{status="failed"}'] == 1
    assert m['cog_predictions_total{status="canceled"}'] == 1
    assert m['cog_prediction_rejections_total{reason="at_capacity"}'] == 1
    assert m['cog_prediction_rejections_total{reason="invalid_input"}'] == 1
    assert m['cog_prediction_rejections_total{reason="not_ready"}'] == 0
    assert m["cog_prediction_duration_seconds_count"] == 5
    assert m['cog_prediction_duration_seconds_bucket{le="+Inf"}'] == 5
    # The four quick ones finish well under a second; the canceled one ran for a while.
    assert m['cog_prediction_duration_seconds_bucket{le="1.0"}'] >= 4
    assert m['cog_prediction_duration_seconds_bucket{le="0.005"}'] <= m['cog_prediction_duration_seconds_bucket{le="1.0"}']
    assert 0 < m["cog_prediction_duration_seconds_sum"] < 30
    assert m["cog_predictions_in_flight"] == 0
    assert m["cog_prediction_slots_free"] == 1
    assert m["cog_worker_restarts_total"] == 0
    assert m["cog_setup_failures_total"] == 0
    assert m["cog_setup_duration_seconds_count"] == 1


def test_probes_and_lifespan_never_build_the_framework():
    """The cold-route fallback answers probes itself and builds FastAPI only for a route that needs it."""
    import asyncio

    from cog_py.server.ops import ColdRoutes
    from cog_py.server.runner import Runner
    from cog_py.server.settings import Settings

    built: list[str] = []

    async def framework(scope, receive, send):
        built.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def build():
        built.append("built")
        return framework

    async def call(app, method, path):
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await app({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    async def main():
        runner = Runner(Settings(), schema=None)   # no predictor: nothing is spawned
        app = ColdRoutes(runner, lambda: None, build_framework=build)
        assert (await call(app, "GET", "/readyz"))[0] == 503
        assert (await call(app, "GET", "/livez"))[0] == 200
        status, body = await call(app, "GET", "/metrics")
        assert status == 200 and b"cog_predictions_in_flight 0" in body
        assert (await call(app, "POST", "/predictions/nope/cancel")) == (404, b"{}")
        assert built == []
        assert (await call(app, "GET", "/"))[0] == 204
        assert (await call(app, "GET", "/openapi.json"))[0] == 204
        assert built == ["built", "/", "/openapi.json"]

    asyncio.run(main())


def test_nothing_left_on_disk_per_prediction(make_server, tmp_path):
    """Unlike coglet (a directory per prediction), a model without file inputs writes nothing to TMPDIR."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    server = make_server("hello.py:Predictor", env={"TMPDIR": str(tmp)})
    for i in range(5):
        assert server.predict({"text": str(i)}).json()["status"] == "succeeded"
    assert sorted(p.name for p in tmp.iterdir()) == []
