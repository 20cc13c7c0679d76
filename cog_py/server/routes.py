"""The cold endpoints, on FastAPI: discovery, schema, docs, cancel, shutdown, probes, PUT, trainings.

Handlers stay thin: they read the runner and answer. Creating predictions (including PUT and
/trainings) reuses the ASGI `Creator` mounted as a raw route.
"""

from __future__ import annotations

from typing import Any, Callable

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from starlette.routing import Route

from cog_py._version import __version__
from cog_py.server import jsonc
from cog_py.server.asgi import Creator
from cog_py.server.runner import DEFUNCT, READY, Runner

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

    @app.post("/predictions/{prediction_id}/cancel")
    async def cancel_prediction(prediction_id: str) -> Response:
        return _json({}, 200 if runner.cancel(prediction_id) else 404)

    @app.post("/trainings/{training_id}/cancel")
    async def cancel_training(training_id: str) -> Response:
        return _json({}, 200 if runner.cancel(training_id) else 404)

    @app.post("/shutdown")
    async def shutdown() -> Response:
        request_shutdown()
        return _json({})

    @app.get("/readyz")
    async def readyz() -> Response:
        ok = runner.state == READY and not runner.draining
        return _json({"status": runner.status()}, 200 if ok else 503)

    @app.get("/livez")
    async def livez() -> Response:
        return _json({"status": runner.status()}, 503 if runner.state == DEFUNCT else 200)

    predictions = Creator(runner, "predictions")
    trainings = Creator(runner, "trainings")
    app.router.routes.append(Route("/predictions/{prediction_id}", predictions, methods=["PUT"]))
    app.router.routes.append(Route("/trainings", trainings, methods=["POST"]))
    app.router.routes.append(Route("/trainings/{training_id}", trainings, methods=["PUT"]))
