"""Wiring: settings + runner + routes -> one ASGI app, with start and stop in the lifespan.

The fast path (asgi.py) answers predictions and health; everything else falls back to
ops.ColdRoutes, which handles the lifespan and the probes itself and imports FastAPI only
when a route that needs it is first requested.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable

from cog_py.server.admission import DROPPED_SHUTDOWN
from cog_py.server.asgi import FastPath
from cog_py.server.ops import ColdRoutes
from cog_py.server.runner import Runner
from cog_py.server.settings import Settings
from cog_py.server.supervisor import Spawned

log = logging.getLogger("cog_py.server")


def read_schema(path: Path) -> bytes | None:
    """The build-time OpenAPI document, if the image has one."""
    try:
        return path.read_bytes()
    except OSError:
        return None


class Lifecycle:
    """Graceful shutdown: stop admitting, let in-flight predictions finish, then exit."""

    def __init__(self, runner: Runner, settings: Settings) -> None:
        self.runner = runner
        self.settings = settings
        self.exit: Callable[[], None] = lambda: None   # set by the process that serves the app
        self._task: asyncio.Task[None] | None = None

    def request_shutdown(self) -> None:
        if self._task is None:
            self.runner.draining = True
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        runner = self.runner
        waiting = runner.admission.waiting
        if runner.inflight or waiting:
            log.info("shutting down: waiting for %d prediction(s) (%d queued)", len(runner.inflight) + len(waiting),
                     len(waiting))
            try:
                await asyncio.wait_for(runner.idle.wait(), self.settings.shutdown_grace)
            except asyncio.TimeoutError:
                log.warning("shutdown grace period over with %d prediction(s) in flight, %d queued (answered 503)",
                            len(runner.inflight), len(waiting))
                await self._drop_queued()
        self.exit()

    async def _drop_queued(self) -> None:
        """Answer what is still queued 503 (async ones: a failed webhook), and let that go out."""
        runner = self.runner
        senders = [p.webhook for p in runner.admission.waiting.values() if p.webhook is not None]
        runner.drop_waiting(DROPPED_SHUTDOWN)
        await asyncio.sleep(0.05)   # the sync answers are written by their own tasks
        if senders:
            await asyncio.wait([s.delivered for s in senders], timeout=5.0)


def create_app(settings: Settings, spawned: Spawned | None = None) -> tuple[Any, Lifecycle]:
    """Build the ASGI app; `spawned` is a worker already started by the caller, if any."""
    runner = Runner(settings, read_schema(settings.schema_path), spawned)
    lifecycle = Lifecycle(runner, settings)
    app = FastPath(runner, ColdRoutes(runner, lifecycle.request_shutdown))
    app.runner = runner
    return app, lifecycle
