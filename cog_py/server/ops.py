"""Operations endpoints for orchestrators: Prometheus `/metrics`.

(`/readyz` and `/livez` sit beside the other cold routes in `routes.py`.) Scrapes are rare, so
this stays on FastAPI; the counting itself happens on the hot path in plain ints (metrics.py).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response

from cog_py.server import metrics
from cog_py.server.runner import Runner


def add_ops_routes(app: FastAPI, runner: Runner) -> None:
    """Mount GET /metrics on `app`."""

    @app.get("/metrics")
    async def prometheus() -> Response:
        return Response(metrics.render(runner), media_type=metrics.CONTENT_TYPE.decode())
