"""The coldest endpoints, on FastAPI: discovery, schema, docs, shutdown.

Handlers stay thin: they read the runner and answer. This module (and FastAPI with it) is
imported only when one of these routes is first requested (see ops.ColdRoutes, which serves
the probes, /metrics, PUT, cancel and /trainings itself).
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response

from cog_py._version import __version__
from cog_py.server import jsonc
from cog_py.server.runner import Runner

_DOCS = """<!DOCTYPE html>
<html><head><title>{title} - Swagger UI</title><meta charset="utf-8">
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui"}});</script>
</body></html>"""


def _json(value: Any, status: int = 200) -> Response:
    return Response(jsonc.dumps(value), status_code=status, media_type="application/json")


def add_routes(app: FastAPI, runner: Runner, request_shutdown: Callable[[], None]) -> None:
    @app.get("/")
    async def root() -> Response:
        doc = {
            "cog_version": __version__,
            "docs_url": "/docs",
            "openapi_url": "/openapi.json",
            "shutdown_url": "/shutdown",
            "healthcheck_url": "/health-check",
            "predictions_url": "/predictions",
            "predictions_idempotent_url": "/predictions/{prediction_id}",
            "predictions_cancel_url": "/predictions/{prediction_id}/cancel",
        }
        if runner.schema is not None and b'"TrainingInput"' in runner.schema:
            doc.update(trainings_url="/trainings", trainings_idempotent_url="/trainings/{training_id}",
                       trainings_cancel_url="/trainings/{training_id}/cancel")
        return _json(doc)

    @app.get("/openapi.json")
    async def openapi() -> Response:
        if runner.schema is None:
            return _json({"error": "OpenAPI schema not available"}, 503)
        return Response(runner.schema, media_type="application/json")

    @app.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS.format(title="Cog model"))

    @app.post("/shutdown")
    async def shutdown() -> Response:
        request_shutdown()
        return _json({})
