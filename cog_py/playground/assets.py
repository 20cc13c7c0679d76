"""The page's files and the small JSON document that tells the page where it runs.

Files are read from the package on first request and kept in memory (they are small: under
200 KB together). `handle` is an ASGI responder for `GET /playground[/...]` in the model's server.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Awaitable, Callable, Mapping

STATIC = Path(__file__).parent / "static"
PREFIX = "/playground"
DEFAULT_MAX_REQUEST_BYTES = 104857600   # COG_MAX_REQUEST_BYTES's default in the server settings

TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".png": b"image/png",
}
FILES = {"": "index.html", "/": "index.html", "/index.html": "index.html", "/app.js": "app.js",
         "/style.css": "style.css"}

_cache: dict[str, bytes] = {}

Send = Callable[[dict[str, Any]], Awaitable[None]]


def read(name: str) -> bytes:
    """The bytes of one static file (cached after the first read)."""
    data = _cache.get(name)
    if data is None:
        data = (STATIC / name).read_bytes()
        _cache[name] = data
    return data


def asset(path: str) -> tuple[bytes, bytes] | None:
    """(body, content type) for a path under /playground, or None when there is no such file."""
    if not path.startswith(PREFIX):
        return None
    name = FILES.get(path[len(PREFIX):])
    if name is None:
        return None
    return read(name), TYPES[Path(name).suffix]


def max_request_bytes(settings: Any = None, env: Mapping[str, str] | None = None) -> int:
    """The server's request size limit: its settings' value when it has one, else COG_MAX_REQUEST_BYTES."""
    value = getattr(settings, "max_request_bytes", None)
    if isinstance(value, int) and value > 0:
        return value
    raw = (os.environ if env is None else env).get("COG_MAX_REQUEST_BYTES", "").strip()
    try:
        parsed = int(raw)
    except ValueError:
        return DEFAULT_MAX_REQUEST_BYTES
    return parsed if parsed > 0 else DEFAULT_MAX_REQUEST_BYTES


def config(*, mode: str, max_bytes: int, target: str | None = None, webhook_url: str | None = None,
           webhook_events_url: str | None = None) -> bytes:
    """GET /playground/config.json: what the page needs to know about the server it talks to."""
    return json.dumps({"mode": mode, "max_request_bytes": max_bytes, "target": target, "webhook_url": webhook_url,
                       "webhook_events_url": webhook_events_url}).encode()


def enabled(env: Mapping[str, str] | None = None) -> bool:
    """COG_PLAYGROUND=0 (or false/no/off) turns GET /playground off in the model's server."""
    raw = (os.environ if env is None else env).get("COG_PLAYGROUND", "").strip().lower()
    return raw not in ("0", "false", "no", "off")


async def handle(path: str, method: str, send: Send, settings: Any = None) -> bool:
    """Answer GET/HEAD /playground[...] in the model's server; False when `path` is not ours."""
    if path == PREFIX + "/config.json":
        body, ctype = config(mode="container", max_bytes=max_request_bytes(settings)), b"application/json"
    else:
        found = asset(path)
        if found is None:
            return False
        body, ctype = found
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-cache"), (b"x-content-type-options", b"nosniff")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
    return True
