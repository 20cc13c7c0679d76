"""Everything off the hot path: the lifespan, the operations probes, and FastAPI loaded on first use.

`ColdRoutes` is the fallback ASGI app behind the fast path (asgi.FastPath):

- the ASGI lifespan (start the runner, stop it) is handled here, without a framework;
- `GET /readyz`, `GET /livez` and `GET /metrics` are plain ASGI too, so Kubernetes probes and
  Prometheus scrapes never wake a framework; so are the routes a client uses around a
  prediction: `PUT /predictions/{id}`, `POST /predictions/{id}/cancel` and the /trainings twins;
  so is `GET /playground` (cog_py.playground, off with COG_PLAYGROUND=0);
- the rest (`/`, `/openapi.json`, `/docs`, `/shutdown`) is served by a FastAPI app that is
  imported and built the first time such a request arrives.

Importing FastAPI and pydantic costs about 130 ms of CPU and 25 MB of memory; a server that
only ever answers predictions and health checks never pays it, and its cold start is the
time to import uvicorn and reach READY.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, cast

from cog_py.server import jsonc, metrics
from cog_py.server.asgi import Creator
from cog_py.server.runner import DEFUNCT, READY, Runner

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("cog_py.server")


async def _answer(send: Send, status: int, body: bytes, content_type: bytes = b"application/json") -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def readiness(runner: Runner) -> tuple[int, bytes]:
    """/readyz: 200 only while predictions can be admitted or are running (READY or BUSY)."""
    ok = runner.state == READY and not runner.draining
    return (200 if ok else 503), jsonc.dumps({"status": runner.status()})


def liveness(runner: Runner) -> tuple[int, bytes]:
    """/livez: 503 only when the server can never recover (DEFUNCT)."""
    return (503 if runner.state == DEFUNCT else 200), jsonc.dumps({"status": runner.status()})


class ColdRoutes:
    """The ASGI app the fast path falls back to."""

    def __init__(self, runner: Runner, request_shutdown: Callable[[], None],
                 build_framework: Callable[[], ASGIApp] | None = None) -> None:
        self.runner = runner
        self.request_shutdown = request_shutdown
        self._build = build_framework or self._build_fastapi
        self._framework: ASGIApp | None = None
        self._creators = {"predictions": Creator(runner, "predictions"), "trainings": Creator(runner, "trainings")}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" and scope["method"] in ("GET", "HEAD"):
            path = scope["path"]
            if path == "/readyz":
                await _answer(send, *readiness(self.runner))
                return
            if path == "/livez":
                await _answer(send, *liveness(self.runner))
                return
            if path == "/metrics":
                await _answer(send, 200, metrics.render(self.runner), metrics.CONTENT_TYPE)
                return
            if path.startswith("/playground") and self.runner.settings.playground:
                from cog_py.playground.assets import handle  # the page's files are read on first request

                if await handle(path, scope["method"], send, self.runner.settings):
                    return
        elif kind == "http" and scope["method"] in ("PUT", "POST"):
            if await self._prediction_route(scope, receive, send):
                return
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        await self.framework(scope, receive, send)

    async def _prediction_route(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """PUT /{kind}/{id}, POST /{kind}/{id}/cancel, POST /trainings; False when it is none of them."""
        _, kind, *rest = scope["path"].split("/")
        creator = self._creators.get(kind)
        if creator is None:
            return False
        method = scope["method"]
        if not rest and method == "POST" and kind == "trainings":
            await creator.create(scope, receive, send)
        elif len(rest) == 1 and rest[0] and method == "PUT":
            await creator.create(scope, receive, send, rest[0])
        elif len(rest) == 2 and rest[0] and rest[1] == "cancel" and method == "POST":
            await _answer(send, 200 if self.runner.cancel(rest[0]) else 404, b"{}")
        else:
            return False
        return True

    @property
    def framework(self) -> ASGIApp:
        if self._framework is None:
            self._framework = self._build()
        return self._framework

    def _build_fastapi(self) -> ASGIApp:
        from fastapi import FastAPI

        from cog_py.server.routes import add_routes

        api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
        add_routes(api, self.runner, self.request_shutdown)
        return cast(ASGIApp, api)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        runner = self.runner
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await runner.start()
                except Exception as exc:  # noqa: BLE001 - reported to uvicorn, which exits
                    log.exception("server start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                runner.draining = True
                try:
                    await runner.stop()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return
