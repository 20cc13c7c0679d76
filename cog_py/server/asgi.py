"""The hot path, as plain ASGI: create a prediction (sync, async, SSE, idempotent PUT) and health.

No framework and no request models here: the raw body goes to the worker untouched (it
validates and renders the response), and the worker's bytes come back as the response.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

from cog_py import protocol
from cog_py._record import replace
from cog_py.server import jsonc, jsonscan, limits
from cog_py.server.admission import Refusal
from cog_py.server.runner import READY, Pending, Runner
from cog_py.server.state import Health
from cog_py.server.sse import EventStream, stream_response
from cog_py.server.webhooks import ALL_EVENTS, WebhookSender

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_PARENT_KEYS = ("id", "webhook", "webhook_events_filter")
_SCAN_ABOVE = 1 << 20   # bytes: larger bodies are scanned (jsonscan), smaller ones parsed

NO_STREAMING = jsonc.dumps({"error": "This model does not support streaming responses. "
                                     "Add @cog.streaming to predict() to enable SSE."})
NO_TRAINING_STREAMING = jsonc.dumps({"error": "Training endpoints do not support streaming responses."})
INPUT_NOT_OBJECT = jsonc.dumps({"detail": [{"loc": ["body"], "msg": "Input should be an object", "type": "value_error"}]})

# An answer decided without awaiting: status, body, content type, extra headers.
Answer = tuple[int, bytes, bytes, tuple[tuple[bytes, bytes], ...]]


def request_headers(headers: list[tuple[bytes, bytes]]) -> tuple[bool, bool, dict[str, str]]:
    """(Prefer: respond-async, Accept: text/event-stream, the trace headers to pass on to webhooks)."""
    prefer_async = False
    sse = False
    trace: dict[str, str] = {}
    for name, value in headers:
        if name == b"prefer":
            prefer_async = value.strip() == b"respond-async"
        elif name == b"accept":
            sse = b"text/event-stream" in value
        elif name in (b"traceparent", b"tracestate"):
            trace[name.decode()] = value.decode("latin-1")
    return prefer_async, sse, trace


async def respond(send: Send, status: int, body: bytes, content_type: bytes = b"application/json",
                  extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *extra]})
    await send({"type": "http.response.body", "body": body})


class Creator:
    """POST /predictions, PUT /predictions/{id}, and the /trainings twins."""

    def __init__(self, runner: Runner, kind: str) -> None:
        self.runner = runner
        self.kind = kind
        self.id_word = "prediction" if kind == "predictions" else "training"

    async def create(self, scope: Scope, receive: Receive, send: Send, path_id: str | None = None) -> None:
        runner = self.runner
        if not limits.is_json_type(scope):
            await respond(send, 415, limits.UNSUPPORTED_TYPE)
            return
        try:
            raw = await limits.read_limited(scope, receive, runner.settings.max_request_bytes)
        except limits.BodyTooLarge:
            await limits.answer_too_large(send, runner.settings.max_request_bytes)
            return
        except limits.ClientGone:
            return
        body = self._parse(raw)
        if isinstance(body, tuple):
            await respond(send, *body)
            return
        prefer_async, sse, trace = request_headers(scope["headers"])
        pred_id = body.get("id")
        if path_id is not None:
            if pred_id is not None and pred_id != path_id:
                await respond(send, 422, jsonc.dumps({"detail": [{"loc": ["body", "id"], "type": "value_error",
                    "msg": f"{self.id_word} ID must match the ID supplied in the URL"}]}))
                return
            pred_id = path_id
            existing = runner.find(pred_id)
            if existing is not None:
                await self._existing(existing, sse, receive, send)
                return
        if sse:
            if self.kind == "trainings":
                await respond(send, 406, NO_TRAINING_STREAMING)
                return
            if runner.state == READY and not runner.info.get("streaming"):
                await respond(send, 406, NO_STREAMING)
                return
        if pred_id is None:
            pred_id = runner.new_id()
        else:
            if not isinstance(pred_id, str):
                pred_id = str(pred_id)
            existing = runner.find(pred_id)
            if existing is not None:
                await self._existing(existing, sse, receive, send)
                return
        ack = prefer_async and not sse
        started = self._start(pred_id, body, sse=sse, ack=ack, trace=trace)
        if isinstance(started, Refusal):
            await respond(send, started.status, started.body, extra=started.headers)
            return
        pending, predict = started
        if ack:
            if pending.queued:   # answered at once; its webhook says when it starts
                pending.answered = True
                runner.dispatch(pending, predict, raw)
                await respond(send, 202, jsonc.dumps({"id": pred_id, "status": "starting",
                                                       "created_at": protocol.iso(predict.created_at)}))
                return
            pending.accepted = asyncio.get_running_loop().create_future()
            predict = replace(predict, ack=True)
        runner.dispatch(pending, predict, raw)
        if sse:
            await stream_response(pending.stream, send, receive, replay=True,  # type: ignore[arg-type]
                                  on_last_gone=lambda: None if runner.cancel(pred_id) else None)
        elif ack:
            await pending.accepted  # type: ignore[misc]
            if pending.done.done():
                status, code, blob = pending.done.result()
                if code == 422:
                    await respond(send, 422, blob)
                    return
            await respond(send, 202, jsonc.dumps({"id": pred_id, "status": "starting",
                                                   "created_at": protocol.iso(predict.created_at)}))
        else:
            await self._wait_sync(pending, receive, send)

    def quick(self, headers: list[tuple[bytes, bytes]], raw: bytes | bytearray) -> Answer | Pending | None:
        """A plain synchronous POST, started without awaiting anything (server/quick.py answers it).

        None: not that case (Prefer: respond-async, SSE, a non-JSON type, an id already known):
        the request takes the ASGI path with its body.
        """
        prefer_async, sse, _trace = request_headers(headers)
        if prefer_async or sse:
            return None
        for name, value in headers:
            if name == b"content-type" and not limits.json_media(value):
                return None
        body = self._parse(raw)
        if isinstance(body, tuple):
            return body
        runner = self.runner
        pred_id = body.get("id")
        if pred_id is None:
            pred_id = runner.new_id()
        else:
            if not isinstance(pred_id, str):
                pred_id = str(pred_id)
            if runner.find(pred_id) is not None:
                return None
        started = self._start(pred_id, body, sse=False, ack=False, trace=_trace)
        if isinstance(started, Refusal):
            return started.status, started.body, b"application/json", started.headers
        pending, predict = started
        runner.dispatch(pending, predict, raw)
        return pending

    @staticmethod
    def _parse(raw: bytes | bytearray) -> dict[str, Any] | Answer:
        """The body's few keys the parent needs (the inputs stay raw for the worker), or an error answer."""
        try:
            # A large body is scanned for the few keys needed here, not parsed in full.
            body = (jsonscan.top_level(raw, _PARENT_KEYS, jsonc.loads) if len(raw) > _SCAN_ABOVE else None)
            if body is None:
                body = jsonc.loads(raw) if raw else {}
        except jsonc.DecodeError:
            return 400, b"Invalid JSON body", b"text/plain; charset=utf-8", ()
        if body is None:
            body = {}
        if not isinstance(body, dict):
            return 422, INPUT_NOT_OBJECT, b"application/json", ()
        return {key: body[key] for key in _PARENT_KEYS if key in body}

    def _start(self, pred_id: str, body: dict[str, Any], *, sse: bool, ack: bool,
               trace: dict[str, str]) -> tuple[Pending, protocol.Predict] | Refusal:
        """Admission, webhook and event stream of a new prediction: the pending entry and its message."""
        runner = self.runner
        refusal = runner.refuse()   # slots, queue, readiness: decided in one place (server/admission.py)
        if refusal is not None:
            return refusal
        now = time.time()
        pending = runner.admit(pred_id, now)
        # A @streaming model keeps every prediction's events, so a client can subscribe late.
        keep_events = sse or (self.kind == "predictions" and bool(runner.info.get("streaming")))
        wh: list[str] | None = None
        webhook = body.get("webhook")
        if isinstance(webhook, str) and webhook.startswith(("http://", "https://")):
            wanted = body.get("webhook_events_filter")
            if not isinstance(wanted, list) or not wanted:
                wanted = ALL_EVENTS
            webhook_events = frozenset(e for e in wanted if e in ALL_EVENTS)
            s = runner.settings
            pending.webhook = WebhookSender(webhook, webhook_events, throttle=s.throttle_interval, retries=s.webhook_retries,
                                            backoff=s.webhook_backoff, timeout=s.webhook_timeout,
                                            token=s.webhook_auth_token, trace_headers=trace)
            wh = sorted(webhook_events - {"completed"})
        if keep_events:
            pending.stream = EventStream(runner.settings.stream_history)
            pending.via_sse = sse
        return pending, protocol.Predict(pred_id, now, self.kind, wh, keep_events, False)

    async def _wait_sync(self, pending: Pending, receive: Receive, send: Send) -> None:
        runner = self.runner

        def client_gone(task: asyncio.Future[dict[str, Any]]) -> None:
            # A sync prediction nobody waits for any more is canceled.
            if not task.cancelled() and task.result().get("type") == "http.disconnect" and not pending.done.done():
                runner.cancel(pending.id)

        gone = asyncio.ensure_future(receive())
        gone.add_done_callback(client_gone)
        _status, code, blob = await pending.done
        gone.cancel()
        await respond(send, code, blob)

    async def _existing(self, pending: Pending, sse: bool, receive: Receive, send: Send) -> None:
        if sse and pending.stream is not None:
            runner = self.runner
            await stream_response(pending.stream, send, receive, replay=True,
                                  on_last_gone=(lambda: None if runner.cancel(pending.id) else None)
                                  if pending.via_sse else None)
            return
        # A waiting prediction is not known to the worker yet: it is "starting".
        snap = None if pending.queued else await self.runner.snapshot(pending.id)
        if snap is None:
            snap = jsonc.dumps({"id": pending.id, "status": "starting"})
        await respond(send, 202, snap)


class FastPath:
    """Routes the two hot endpoints itself and hands everything else to FastAPI."""

    def __init__(self, runner: Runner, fallback: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.runner = runner
        self.fallback = fallback
        self.predictions = Creator(runner, "predictions")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            declared = limits.declared_length(scope)
            if declared is not None and declared > self.runner.settings.max_request_bytes:
                await limits.answer_too_large(send, self.runner.settings.max_request_bytes)
                return
            path = scope["path"]
            if path == "/predictions" and scope["method"] == "POST":
                await self.predictions.create(scope, receive, send)
                return
            if path == "/health-check" and scope["method"] == "GET":
                await self.health(send)
                return
        await self.fallback(scope, receive, send)

    def quick_health(self) -> bytes | None:
        """The health answer when it needs no await (no user healthcheck to ask), else None."""
        runner = self.runner
        if runner.state == READY and runner.info.get("has_healthcheck"):
            return None
        return runner.health_body(runner.status())

    async def health(self, send: Send) -> None:
        runner = self.runner
        status = runner.status()
        error = None
        if runner.state == READY and runner.info.get("has_healthcheck"):
            error = await runner.user_health()
            status = Health.UNHEALTHY if error else runner.status()
        await respond(send, 200, runner.health_body(status, error))
