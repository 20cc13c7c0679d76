"""A small HTTP client for the model server in the container (standard library only).

Speaks Cog's HTTP contract: `GET /health-check`, `POST /predictions` (or `/trainings`)
synchronously, or with `Accept: text/event-stream` for `@streaming` models.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cog_py.errors import CogError, ModelServerError


class SetupFailedError(CogError):
    """The model's setup() failed or the container stopped before it was ready."""


@dataclass(frozen=True)
class SSEEvent:
    """One server-sent event: its name and decoded JSON data."""

    event: str
    data: Any


class ModelClient:
    """Talks to one model server at `host:port`."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port

    def _conn(self, timeout: float | None) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def health(self, timeout: float = 1.0) -> dict[str, Any] | None:
        """Return the health document, or None while the server is not answering."""
        conn = self._conn(timeout)
        try:
            conn.request("GET", "/health-check")
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                return None
            value = json.loads(body)
            return value if isinstance(value, dict) else None
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            conn.close()

    def wait_ready(
        self,
        *,
        timeout: float,
        alive: Callable[[], bool] = lambda: True,
        poll: float = 0.1,
    ) -> dict[str, Any]:
        """Poll /health-check until READY; raise on SETUP_FAILED, a dead container or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            health = self.health()
            status = (health or {}).get("status")
            if status in ("READY", "BUSY", "UNHEALTHY"):
                return health or {}
            if status == "SETUP_FAILED":
                logs = ((health or {}).get("setup") or {}).get("logs") or ""
                raise SetupFailedError("Model setup failed", hint=logs.strip() or None)
            if status not in (None, "STARTING", "UNKNOWN"):
                raise SetupFailedError(f"Container healthcheck returned unexpected status: {status}")
            if not alive():
                raise SetupFailedError("Container exited unexpectedly")
            if time.monotonic() > deadline:
                raise SetupFailedError(
                    f"Timed out after {timeout:g} seconds waiting for the model to be ready",
                    hint="Raise the limit with --setup-timeout SECONDS.",
                )
            time.sleep(poll)

    def _exchange(self, method: str, path: str, *, timeout: float | None, failure: str, body: bytes | None = None,
                  headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One request and its whole response: (status, body); a transport error raises `failure: error`."""
        conn = self._conn(timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise ModelServerError(f"{failure}: {exc}") from exc
        finally:
            conn.close()

    def openapi(self) -> dict[str, Any]:
        """Fetch the model's OpenAPI document from the running server."""
        status, body = self._exchange("GET", "/openapi.json", timeout=30, failure="Failed to read the model's schema")
        if status != 200:
            raise ModelServerError(f"/openapi.json call returned status {status}")
        return dict(json.loads(body))

    def predict(self, endpoint: str, inputs: dict[str, Any], context: dict[str, str] | None = None) -> dict[str, Any]:
        """POST a synchronous prediction and return the response object."""
        status, raw = self._exchange("POST", endpoint, timeout=None, failure=f"{endpoint} call failed",
                                     body=_body(inputs, context), headers={"Content-Type": "application/json"})
        return _decode(endpoint, status, raw)

    def predict_stream(
        self,
        endpoint: str,
        inputs: dict[str, Any],
        on_event: Callable[[SSEEvent], None],
        context: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST with `Accept: text/event-stream`; call `on_event` per event; return `completed`."""
        conn = self._conn(None)
        try:
            headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
            conn.request("POST", endpoint, body=_body(inputs, context), headers=headers)
            resp = conn.getresponse()
            if resp.status != 200 or "text/event-stream" not in (resp.getheader("Content-Type") or ""):
                return _decode(endpoint, resp.status, resp.read())
            final: dict[str, Any] | None = None
            for event in read_events(resp):
                on_event(event)
                if event.event == "completed" and isinstance(event.data, dict):
                    final = event.data
                elif event.event == "error":
                    message = event.data.get("error") if isinstance(event.data, dict) else event.data
                    raise ModelServerError(f"Prediction stream failed: {message}")
        except (OSError, http.client.HTTPException) as exc:
            raise ModelServerError(f"{endpoint} stream failed: {exc}") from exc
        finally:
            conn.close()
        if final is None:
            raise ModelServerError(f"{endpoint} stream ended without a completed event")
        return final


def read_events(stream: Any) -> Iterator[SSEEvent]:
    """Parse a text/event-stream body (an object with `readline()` returning bytes)."""
    name, data_lines = "message", list[str]()
    while True:
        line = stream.readline()
        if not line:
            break
        text = line.decode("utf-8").rstrip("\r\n")
        if text == "":
            if data_lines:
                yield SSEEvent(name, _json_or_text("\n".join(data_lines)))
            name, data_lines = "message", list[str]()
        elif text.startswith(":"):
            continue
        else:
            field, _, value = text.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data_lines.append(value)
    if data_lines:
        yield SSEEvent(name, _json_or_text("\n".join(data_lines)))


def free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a free TCP port on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _body(inputs: dict[str, Any], context: dict[str, str] | None) -> bytes:
    return json.dumps({"input": inputs, "context": context or {}}).encode()


def _decode(endpoint: str, status: int, raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = None
    if status == 422 and isinstance(body, dict) and isinstance(body.get("detail"), list):
        lines = []
        for item in body["detail"]:
            loc = item.get("loc") or []
            name = loc[-1] if loc else "input"
            lines.append(f"- {name}: {item.get('msg')}")
        raise ModelServerError(
            "The inputs you passed could not be validated:\n\n" + "\n".join(lines),
            hint="You can provide an input with -i. For example:\n    cog predict -i blur=3.5\n"
            "If your input is a local file, you need to prefix the path with @:\n    cog predict -i image=@photo.jpg",
        )
    if status == 422 and isinstance(body, dict) and body.get("status") == "failed":
        return body
    if status != 200 or not isinstance(body, dict):
        detail = f": {body.get('error')}" if isinstance(body, dict) and body.get("error") else ""
        raise ModelServerError(f"{endpoint} call returned status {status}{detail}")
    return body
