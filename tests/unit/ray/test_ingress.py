"""The per-replica ASGI wrapper, driven as a plain ASGI app (no Ray), and the rule that nothing
outside cog_py.ray's Serve modules imports Ray."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

from cog_py.ray.ingress import ReplicaApp
from cog_py.server.runner import READY, SETUP_FAILED, STARTING


def fake_runner(state: str = READY) -> Any:
    idle = asyncio.Event()
    idle.set()
    return SimpleNamespace(state=state, draining=False, inflight={}, idle=idle, setup_logs=[], slots=1,
                           settings=SimpleNamespace(shutdown_grace=5.0))


class Recorder:
    """An inner app that answers every request and records the scope it saw."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})


async def _request(app: ReplicaApp, path: str, root_path: str = "", method: str = "GET") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "http", "method": method, "path": path, "root_path": root_path, "headers": []}, receive, send)
    return sent


def test_names_the_replica_and_strips_the_route_prefix() -> None:
    inner = Recorder()
    app = ReplicaApp(inner, fake_runner(), "r1")
    sent = asyncio.run(_request(app, "/hello/predictions", root_path="/hello", method="POST"))
    assert (b"x-cog-replica", b"r1") in sent[0]["headers"]
    assert inner.scopes[0]["path"] == "/predictions" and inner.scopes[0]["root_path"] == ""
    asyncio.run(_request(app, "/hello", root_path="/hello"))
    assert inner.scopes[1]["path"] == "/"
    asyncio.run(_request(app, "/helloworld", root_path="/hello"))
    assert inner.scopes[2]["path"] == "/helloworld"     # not under the prefix: untouched
    asyncio.run(_request(app, "/predictions"))
    assert inner.scopes[3]["path"] == "/predictions"


async def _lifespan(app: ReplicaApp, runner: Any, during: Any) -> list[dict[str, Any]]:
    """Run the lifespan: startup, `during()`, shutdown; return what reached the server."""
    events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await events.put({"type": "lifespan.startup"})
    sent: list[dict[str, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:   # the container app's lifespan, minimal
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    app.app = inner
    task = asyncio.create_task(app({"type": "lifespan"}, events.get, send))
    await during(sent)
    await events.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(task, 10)
    return sent


def test_startup_waits_for_setup_and_fails_when_setup_fails() -> None:
    async def scenario() -> tuple[list[Any], list[Any]]:
        runner = fake_runner(STARTING)

        async def becomes_ready(sent: list[Any]) -> None:
            await asyncio.sleep(0.2)
            assert sent == []              # not complete while setup() runs
            runner.state = READY
            await asyncio.sleep(0.2)

        ok = await _lifespan(ReplicaApp(Recorder(), runner, "r1"), runner, becomes_ready)
        failing = fake_runner(STARTING)
        failing.setup_logs = ["ZeroDivisionError: division by zero\n"]

        async def fails(sent: list[Any]) -> None:
            failing.state = SETUP_FAILED
            await asyncio.sleep(0.2)

        bad = await _lifespan(ReplicaApp(Recorder(), failing, "r2"), failing, fails)
        return ok, bad

    ok, bad = asyncio.run(scenario())
    assert [m["type"] for m in ok] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert bad[0]["type"] == "lifespan.startup.failed"
    assert "SETUP_FAILED" in bad[0]["message"] and "ZeroDivisionError" in bad[0]["message"]


def test_shutdown_drains_in_flight_predictions() -> None:
    async def scenario() -> tuple[bool, float]:
        runner = fake_runner(READY)
        runner.inflight = {"p1": object()}
        runner.idle.clear()
        loop = asyncio.get_running_loop()

        def finish() -> None:
            runner.inflight.clear()
            runner.idle.set()

        async def during(sent: list[Any]) -> None:
            loop.call_later(0.3, finish)

        start = loop.time()
        await _lifespan(ReplicaApp(Recorder(), runner, "r1"), runner, during)
        return runner.draining, loop.time() - start

    draining, took = asyncio.run(scenario())
    assert draining and took >= 0.3


def test_a_new_prediction_waits_for_a_slot_held_by_an_async_one() -> None:
    async def scenario() -> float:
        runner = fake_runner(READY)
        runner.inflight = {"async-1": object()}
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, runner.inflight.clear)
        app = ReplicaApp(Recorder(), runner, "r1")
        start = loop.time()
        await _request(app, "/predictions", method="POST")
        waited = loop.time() - start
        runner.inflight = {"async-2": object()}
        await asyncio.wait_for(_request(app, "/health-check"), 60)   # not a new prediction: never waits
        return waited

    assert asyncio.run(scenario()) >= 0.3


def test_only_the_serve_modules_import_ray() -> None:
    code = """
import pkgutil, importlib, sys
import cog_py
skip = {"cog_py.ray.app", "cog_py.ray.local"}
for mod in pkgutil.walk_packages(cog_py.__path__, "cog_py."):
    if mod.name in skip or mod.name.endswith("__main__"):
        continue
    importlib.import_module(mod.name)
import cog_py.cli.main
bad = sorted(m for m in sys.modules if m == "ray" or m.startswith("ray."))
assert not bad, bad[:5]
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
