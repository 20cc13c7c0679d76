"""The ASGI app one Serve replica runs: the container server's app, plus what a replica needs.

The wrapped app (cog_py.server.app.create_app) answers every request as the container does;
this layer only:

- names the replica in an `x-cog-replica` response header;
- serves the model under the application's route prefix (`/<prefix>/predictions`);
- holds the ASGI lifespan start-up until the worker's setup() is over, so that Serve sends no
  traffic to a replica that would answer 503, and fails the start-up when setup fails (Serve
  then reports the error and tries another replica);
- while the worker is restarted after a crash, lets a new prediction wait for it instead of
  answering 503 (another replica would have taken it had Serve known), and lets one wait for
  a slot that async predictions still hold instead of answering 409;
- on shutdown, drains as the container does on SIGTERM: no new predictions, in-flight ones
  (async ones included, which Serve does not count) may finish within the grace period.

No Ray import here: the unit tests drive it as a plain ASGI app.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable

from cog_py.server.runner import READY, STARTING, Runner

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REPLICA_HEADER = b"x-cog-replica"
_POLL_S = 0.05

log = logging.getLogger("cog_py.ray")


def _creates_prediction(scope: Scope) -> bool:
    method, path = scope.get("method"), scope.get("path", "")
    if method == "POST":
        return path in ("/predictions", "/trainings")
    if method == "PUT":
        parts = path.split("/")
        return len(parts) == 3 and parts[1] in ("predictions", "trainings") and bool(parts[2])
    return False


def _strip_prefix(scope: Scope) -> Scope:
    """Serve passes an application's route prefix as root_path, still in front of path."""
    root = scope.get("root_path") or ""
    path = scope.get("path", "")
    if not root or not path.startswith(root):
        return scope
    rest = path[len(root):]
    if rest and not rest.startswith("/"):
        return scope
    return {**scope, "path": rest or "/", "root_path": ""}


class ReplicaApp:
    def __init__(self, app: ASGIApp, runner: Runner, replica_id: str, *, restart_wait_s: float = 120.0,
                 slot_wait_s: float = 300.0) -> None:
        self.app = app
        self.runner = runner
        self.replica_id = replica_id
        self.restart_wait_s = restart_wait_s
        self.slot_wait_s = slot_wait_s
        self._header = (REPLICA_HEADER, replica_id.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self.app(scope, self._lifespan_receive(receive), self._lifespan_send(send))
            return
        if kind != "http":
            await self.app(scope, receive, send)
            return
        scope = _strip_prefix(scope)
        if not self.runner.draining and _creates_prediction(scope):
            if self.runner.state == STARTING:
                await self._wait_while_starting(self.restart_wait_s)
            await self._wait_for_slot(self.slot_wait_s)
        header = self._header

        async def named_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, named_send)

    async def _wait_for_slot(self, limit: float) -> None:
        """Async predictions hold a slot after their request has ended, which Serve does not
        count: a new one waits here (Serve sees it as ongoing and routes elsewhere) for a free
        slot rather than being answered 409 at once; after `limit` the container's 409 follows."""
        runner = self.runner
        deadline = time.monotonic() + limit
        while len(runner.inflight) >= runner.slots and runner.state == READY and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)

    async def _wait_while_starting(self, limit: float | None) -> None:
        deadline = None if limit is None else time.monotonic() + limit
        while self.runner.state == STARTING and (deadline is None or time.monotonic() < deadline):
            await asyncio.sleep(_POLL_S)

    # -- lifespan ---------------------------------------------------------------------------
    def _lifespan_send(self, send: Send) -> Send:
        async def lifespan_send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                error = await self.wait_for_setup()
                if error is not None:
                    message = {"type": "lifespan.startup.failed", "message": error}
            await send(message)
        return lifespan_send

    def _lifespan_receive(self, receive: Receive) -> Receive:
        async def lifespan_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.drain()
            return message
        return lifespan_receive

    async def wait_for_setup(self) -> str | None:
        """Wait until setup() is over; the reason when the replica cannot serve."""
        runner = self.runner
        await self._wait_while_starting(None)   # the runner enforces COG_SETUP_TIMEOUT itself
        if runner.state == READY:
            log.info("replica %s ready", self.replica_id)
            return None
        logs = "".join(runner.setup_logs).strip()
        return f"model setup failed ({runner.state})" + (f":\n{logs[-4000:]}" if logs else "")

    async def drain(self) -> None:
        """Stop admitting predictions and let those in flight finish (the container's SIGTERM)."""
        runner = self.runner
        runner.draining = True
        if runner.inflight:
            log.info("replica %s shutting down: waiting for %d prediction(s)", self.replica_id, len(runner.inflight))
            try:
                await asyncio.wait_for(runner.idle.wait(), runner.settings.shutdown_grace)
            except asyncio.TimeoutError:
                log.warning("shutdown grace period over with %d prediction(s) in flight", len(runner.inflight))
