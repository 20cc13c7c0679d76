"""The two hottest requests answered inside the HTTP protocol, with no ASGI cycle.

A plain `POST /predictions` (a JSON body with a Content-Length of at most 1 MiB, no `Prefer:
respond-async`, no SSE, no `Expect`) and `GET /health-check` are read by uvicorn's httptools
parser as usual, but instead of a `RequestResponseCycle`, a task and the ASGI messages, the
protocol hands the body to `Creator.quick` (server/asgi.py: the same admission, webhook and
dispatch code as the ASGI path) and writes the worker's answer to the socket from a callback
when the prediction settles. The bytes on the wire are those the ASGI path writes.

Anything else, and any such request `Creator.quick` declines (an id already known, a
non-JSON type), runs on the ASGI path with the body already read. A client that disconnects
while its prediction runs cancels it, as on the ASGI path.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from typing import Any

from cog_py.server import limits
from cog_py.server.asgi import FastPath
from cog_py.server.runner import Pending

log = logging.getLogger("cog_py.server")

QUICK_BODY_MAX = 1 << 20   # bytes: a larger body takes the ASGI path (read in parts, scanned)
JSON = b"application/json"
_WRITE_APART = 1 << 16     # a body this large is written beside its head, not copied into one buffer
_SERVER_ERROR = (b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain; charset=utf-8\r\n"
                 b"content-length: 21\r\nconnection: close\r\n\r\nInternal Server Error")


class QuickCycle:
    """The state of one request answered here: what uvicorn's protocol reads of a cycle."""

    __slots__ = ("body", "keep_alive", "response_complete", "disconnected", "pending", "health")

    def __init__(self, keep_alive: bool, health: bool) -> None:
        self.body: bytes | bytearray = b""
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.pending: Pending | None = None
        self.health = health


def with_quick_path(base: type[asyncio.Protocol], app: FastPath, max_request_bytes: int,
                    header_timeout: float) -> type[asyncio.Protocol]:
    """`base` (uvicorn's httptools protocol, with our head timeout) answering the hot requests itself."""
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, RequestResponseCycle

    limit = min(max_request_bytes, QUICK_BODY_MAX)
    creator = app.predictions
    has_start_task = hasattr(base, "_start_asgi_task")   # uvicorn >= 0.40; older ones inline it

    class Quick(base):  # type: ignore[misc, valid-type]
        _quick: QuickCycle | None = None   # the request answered here, until its answer is written
        # Timers: uvicorn arms a keep-alive timer after every response and the head timeout is
        # re-armed after every response too; here a connection has at most one of each, armed
        # only when needed: the keep-alive timer checks when the connection went idle and
        # re-arms itself for the rest; the head timer is armed only when a request head is
        # still incomplete after a read (most heads arrive in one).
        _idle_at: float | None = None      # loop time the connection went idle; None while busy
        _idle_timer: asyncio.TimerHandle | None = None
        _head_at: float | None = None      # loop time the pending request head began

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._head_at is not None and self._head_timer is None and not self.transport.is_closing():  # type: ignore[has-type]
                left = self._head_at + header_timeout - self.loop.time()
                self._head_timer = self.loop.call_later(max(left, 0.0), self._head_overdue)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head_at = self.loop.time()

        def _unset_keepalive_if_required(self) -> None:
            self._idle_at = None   # busy: the idle timer, if armed, sees it when it fires

        def on_response_complete(self) -> None:
            self.server_state.total_requests += 1
            if self.transport.is_closing():
                return
            self.flow.resume_reading()
            if self.pipeline:   # pipelined requests waiting for this one
                cycle, app_ = self.pipeline.pop()
                self._run_cycle(cycle, app_)
                return
            self._idle_at = self.loop.time()
            if self._idle_timer is None:
                self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._idle_check)

        def _idle_check(self) -> None:
            self._idle_timer = None
            if self._idle_at is None or self.transport.is_closing():
                return   # busy: armed again when it next goes idle
            left = self._idle_at + self.timeout_keep_alive - self.loop.time()
            if left <= 0:
                self.transport.close()
            else:
                self._idle_timer = self.loop.call_later(left, self._idle_check)

        def on_headers_complete(self) -> None:
            self._head_at = None
            parser = self.parser
            if ((self.cycle is None or self.cycle.response_complete) and not self.expect_100_continue
                    and parser.get_http_version() == "1.1" and not parser.should_upgrade()):
                url, method = self.url, parser.get_method()
                if url == b"/predictions" and method == b"POST":
                    length = limits.header_length(self.headers)
                    if length is not None and length <= limit:
                        self._begin("POST", url, health=False)
                        return
                elif url == b"/health-check" and method == b"GET":
                    self._begin("GET", url, health=True)
                    return
            super().on_headers_complete()

        def _begin(self, method: str, url: bytes, *, health: bool) -> None:
            self._disarm()   # the head is complete (server/limits.py's head timeout)
            scope = self.scope
            scope["method"] = method
            scope["path"] = url.decode("ascii")
            scope["raw_path"] = url
            scope["query_string"] = b""
            self.cycle = self._quick = QuickCycle(self.parser.should_keep_alive(), health)

        def on_body(self, body: bytes) -> None:
            cycle = self.cycle
            if type(cycle) is not QuickCycle:
                super().on_body(body)
                return
            if not cycle.body:
                cycle.body = body
            else:
                if type(cycle.body) is bytes:
                    cycle.body = bytearray(cycle.body)
                cycle.body += body

        def on_message_complete(self) -> None:
            cycle = self.cycle
            if type(cycle) is not QuickCycle:
                super().on_message_complete()
                return
            try:
                if cycle.health:
                    answer = app.quick_health()
                    if answer is not None:
                        self._answer(cycle, 200, answer, JSON, ())
                        return
                else:
                    result = creator.quick(self.headers, cycle.body)
                    if isinstance(result, tuple):
                        self._answer(cycle, *result)
                        return
                    if result is not None:
                        cycle.pending = result
                        result.on_settled = functools.partial(self._settled, cycle)
                        return
            except Exception:
                log.exception("Exception while answering %s", self.scope["path"])
                self._quick = None
                cycle.response_complete = True
                self.transport.write(_SERVER_ERROR)
                self.transport.close()
                return
            self._to_asgi(cycle)

        def _to_asgi(self, cycle: QuickCycle) -> None:
            """The ASGI path, with the body already read."""
            real = RequestResponseCycle(
                scope=self.scope, transport=self.transport, flow=self.flow, logger=self.logger,
                access_logger=self.access_logger, access_log=self.access_log,
                default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
                expect_100_continue=False, keep_alive=cycle.keep_alive, on_response=self.on_response_complete,
            )
            real.body = type(real.body)(cycle.body)   # bytes before uvicorn 0.40, a bytearray since
            real.more_body = False
            real.message_event.set()
            self.cycle = real  # type: ignore[assignment]
            self._quick = None
            self._run_cycle(real, self.app)

        def _run_cycle(self, cycle: Any, app_: Any) -> None:
            """Start an ASGI cycle's task, as this uvicorn version does."""
            if has_start_task:
                self._start_asgi_task(cycle, app_)
                return
            task = contextvars.Context().run(self.loop.create_task, cycle.run_asgi(app_))
            task.add_done_callback(self.tasks.discard)
            self.tasks.add(task)

        def _settled(self, cycle: QuickCycle, _status: str, code: int, blob: bytes) -> None:
            self._answer(cycle, code, blob, JSON, ())

        def _answer(self, cycle: QuickCycle, status: int, body: bytes, content_type: bytes,
                    extra: tuple[tuple[bytes, bytes], ...]) -> None:
            if self._quick is cycle:
                self._quick = None
            cycle.pending = None   # no cycle (pending -> its on_settled -> this cycle) outlives the answer
            cycle.response_complete = True
            transport = self.transport
            if cycle.disconnected or transport.is_closing():
                return
            head = [STATUS_LINE[status]]
            for name, value in self.server_state.default_headers:
                head += [name, b": ", value, b"\r\n"]
            head += [b"content-type: ", content_type, b"\r\ncontent-length: ", str(len(body)).encode(), b"\r\n"]
            has_close = False
            for name, value in extra:
                if name == b"connection" and b"close" in value.lower():
                    cycle.keep_alive = False
                    has_close = True
                head += [name, b": ", value, b"\r\n"]
            if not cycle.keep_alive and not has_close:
                head.append(b"connection: close\r\n")
            head.append(b"\r\n")
            if len(body) < _WRITE_APART:
                head.append(body)
                transport.write(b"".join(head))
            else:   # one gathered write (uvloop: writev), neither copied into the other
                transport.writelines((b"".join(head), body))
            if not cycle.keep_alive:
                transport.close()
            self.on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            cycle = self._quick
            if cycle is not None and not cycle.response_complete:
                cycle.disconnected = True
                pending = cycle.pending
                if pending is not None and not pending.done.done():
                    creator.runner.cancel(pending.id)   # nobody waits for this sync prediction any more
            if type(self.cycle) is QuickCycle:
                self.cycle = None  # type: ignore[assignment]  # uvicorn would signal the cycle's message event; there is none
            if self._idle_timer is not None:
                self._idle_timer.cancel()
                self._idle_timer = None
            super().connection_lost(exc)

    Quick.__name__ = f"Quick{base.__name__}"
    return Quick
