"""Webhook delivery: one background queue per prediction, so a dead receiver blocks nothing.

Events go out in order. Non-terminal ones (`start`, `output`, `logs`) are sent once, `logs`
throttled to one per COG_THROTTLE_RESPONSE_INTERVAL; the terminal one is retried on connection
errors and on 429/500/502/503/504 with exponential backoff. The HTTP client is a small
asyncio one (HTTP/1.1, one request per connection), so the server needs no extra dependency.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import urllib.parse
from typing import Any

from cog_py._version import __version__

log = logging.getLogger("cog_py.server.webhooks")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ALL_EVENTS = ("start", "output", "logs", "completed")

_ssl_context: ssl.SSLContext | None = None


def shown_url(url: str) -> str:
    """The URL as logs show it: without user info or query, either of which may carry a secret."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}" + ("?..." if parts.query else "")


async def post(url: str, body: bytes, headers: dict[str, str], timeout: float, method: str = "POST") -> int:
    """Send one request; return the HTTP status. Raises OSError/TimeoutError on transport errors."""
    global _ssl_context
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook URL must be http(s): {shown_url(url)}")
    secure = parts.scheme == "https"
    if secure and _ssl_context is None:
        _ssl_context = ssl.create_default_context()
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def exchange() -> int:
        reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=_ssl_context if secure else None)
        try:
            writer.write(request)
            await writer.drain()
            status_line = await reader.readline()
            fields = status_line.split(None, 2)
            if len(fields) < 2 or not fields[1].isdigit():
                raise OSError(f"bad HTTP response from {parts.hostname}:{port}: {status_line[:80]!r}")
            return int(fields[1])
        finally:
            writer.close()

    return await asyncio.wait_for(exchange(), timeout)


class WebhookSender:
    """Delivers one prediction's webhooks in order, in the background."""

    def __init__(self, url: str, events: frozenset[str], *, throttle: float, retries: int, backoff: float,
                 timeout: float, token: str | None, trace_headers: dict[str, str]) -> None:
        self.url = url
        self.events = events
        self.throttle = throttle
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "User-Agent": f"cog_py/{__version__}", **trace_headers}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self._queue: asyncio.Queue[tuple[bytes, bool] | None] = asyncio.Queue()
        self._last_sent = 0.0
        self._task = asyncio.get_running_loop().create_task(self._run())

    def event(self, name: str, body: bytes) -> None:
        """Queue a non-terminal event (already filtered by the worker)."""
        if name == "logs" and time.monotonic() - self._last_sent < self.throttle:
            return
        self._last_sent = time.monotonic()
        self._queue.put_nowait((body, False))

    def completed(self, body: bytes) -> None:
        """Queue the terminal event and end the queue."""
        if "completed" in self.events:
            self._queue.put_nowait((body, True))
        self._queue.put_nowait(None)

    def close(self) -> None:
        """End the queue without a terminal event."""
        self._queue.put_nowait(None)

    @property
    def delivered(self) -> asyncio.Task[None]:
        """Done once every queued event was delivered or given up on."""
        return self._task

    async def _run(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            body, terminal = item
            await self._deliver(body, terminal)

    async def _deliver(self, body: bytes, terminal: bool) -> None:
        attempts = self.retries + 1 if terminal else 1
        for attempt in range(attempts):
            try:
                status = await post(self.url, body, self.headers, self.timeout)
            except (OSError, asyncio.TimeoutError, ValueError) as exc:
                why = f"{type(exc).__name__}: {exc}"
            else:
                if status < 400:
                    return
                why = f"HTTP {status}"
                if status not in RETRY_STATUSES:
                    log.warning("webhook %s refused: %s; giving up", shown_url(self.url), why)
                    return
            if attempt + 1 < attempts:
                await asyncio.sleep(self.backoff * (2 ** min(attempt, 10)))
            else:
                log.warning("webhook %s failed: %s", shown_url(self.url), why)
