"""The edges of a request: its size, its media type, and how long its head may take.

- `COG_MAX_REQUEST_BYTES` (default 100 MiB): a declared Content-Length above it is answered
  413 before any of the body is read; a chunked body is counted as it arrives and answered
  413 as soon as it passes the limit. The 413 closes the connection, so the rest is never read.
  A body within the limit is read into one buffer (no list of parts joined at the end).
- Content-Type: only an explicit non-JSON type is refused (415). A missing Content-Type is
  read as JSON and a missing body as `{}`, as Cog 0.16 does.
- `COG_HEADER_TIMEOUT_S` (default 10 s): a connection that has not sent a complete request
  head by then is closed (slowloris). uvicorn's `timeout_keep_alive` only covers the idle time
  between requests, so the HTTP protocol classes are subclassed here (`protocol_class`).
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from cog_py.server import jsonc

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

DEFAULT_MAX_REQUEST_BYTES = 100 * 1024 * 1024
DEFAULT_HEADER_TIMEOUT_S = 10.0


class BodyTooLarge(Exception):
    """The request body passed the limit; nothing more of it should be read."""


class ClientGone(Exception):
    """The client disconnected before its body was complete."""


def declared_length(scope: Scope) -> int | None:
    """The request's Content-Length, or None when absent or unreadable (chunked)."""
    return header_length(scope["headers"])


def header_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """Content-Length from raw (lower-cased) headers, or None when absent or unreadable."""
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def json_media(content_type: bytes) -> bool:
    """True for a Content-Type value that is JSON (or empty)."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return not media or media == b"application/json" or media.endswith(b"+json")


def is_json_type(scope: Scope) -> bool:
    """True unless the request names a media type that is not JSON."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            return json_media(value)
    return True


def too_large_body(limit: int) -> bytes:
    return jsonc.dumps({"detail": f"Request body too large: the limit is {limit} bytes (COG_MAX_REQUEST_BYTES)",
                        "status": "failed"})


UNSUPPORTED_TYPE = jsonc.dumps({"detail": "Unsupported media type: send the body as application/json",
                                "status": "failed"})


async def answer_too_large(send: Send, limit: int) -> None:
    """413, and close the connection: the rest of the body is never read."""
    body = too_large_body(limit)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def read_limited(scope: Scope, receive: Receive, limit: int) -> bytes | bytearray:
    """The whole body, at most `limit` bytes, held once (raises BodyTooLarge, ClientGone).

    The body grows in one bytearray as it arrives (CPython reallocates a large one in place),
    so memory follows what was received, not what a Content-Length promised.
    """
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise BodyTooLarge()
    cap = limit if declared is None else declared
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientGone()
    first: bytes = message.get("body", b"")
    if len(first) > cap:
        raise BodyTooLarge()
    if not message.get("more_body"):
        return first
    body = bytearray(first)
    del first
    while message.get("more_body"):
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        body += message.get("body", b"")
        if len(body) > cap:
            raise BodyTooLarge()
    return body


def protocol_class(http: str, header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's `http` protocol ("httptools" or "h11") with a request-head timeout."""
    if http == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Base
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as Base  # type: ignore[assignment]

    class HeadTimeout(Base):
        """Closes a connection whose request head is not complete within `header_timeout`."""

        _head_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._head_timer = asyncio.get_running_loop().call_later(header_timeout, self._head_overdue)

        def _disarm(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _head_overdue(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()   # the next request on this connection gets the same deadline

        # httptools
        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        # h11
        def handle_events(self) -> None:
            super().handle_events()  # type: ignore[misc]
            cycle = getattr(self, "cycle", None)
            if cycle is not None and not cycle.response_complete:
                self._disarm()

    HeadTimeout.__name__ = f"HeadTimeout{Base.__name__}"
    return HeadTimeout
