"""One prediction as the worker sees it: its state, its events, its JSON snapshot.

The worker owns the whole life of a prediction (logs, output, metrics, timestamps), so it is
the worker that renders the response body; the parent writes those bytes as they are.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any, Callable

from cog_py import protocol
from cog_py.protocol import iso
from cog_py.worker.files import DataURI

REDACTED = "**********"

Send = Callable[[protocol.ToParent, protocol.Blob], None]


# File outputs (DataURI) are written into the JSON as a marker the encoder passes over cheaply,
# then the marker is replaced by the URI's head and the file's raw bytes, a run the parent
# base64-encodes (protocol.Spliced): no base64 here, no str, no escaping scan by the encoder, no
# encode() of the whole document, no copy of the file's bytes into a joined body.
_MARK = "\x00cogfile-" + os.urandom(6).hex() + ":"
_MARK_JSON = json.dumps(_MARK)[:-1]          # '"\u0000cogfile-<nonce>:' as the encoder writes it
_MARK_END = "\\u0000\""                     # the escaped NUL and the closing quote
_found = threading.local()


def _defer_file(obj: Any) -> Any:
    if isinstance(obj, DataURI):
        found = _found.__dict__.setdefault("uris", [])
        found.append(obj)
        return f"{_MARK}{len(found) - 1}\x00"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _as_str(obj: Any) -> Any:
    if isinstance(obj, DataURI):
        return str(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


_encode = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=_defer_file).encode
_encode_str = json.JSONEncoder(separators=(",", ":"), sort_keys=True, default=_as_str).encode


def dumps(obj: Any) -> protocol.Blob:
    """Compact JSON with sorted keys, as Cog's server answers; file outputs as raw runs that the
    parent encodes (a `protocol.Spliced`; `protocol.expand` of its joined parts and spans is the JSON)."""
    text = _encode(obj)
    uris: list[DataURI] | None = _found.__dict__.pop("uris", None)
    if not uris:
        return text.encode()
    parts = text.split(_MARK_JSON)
    out = [parts[0].encode()]
    for part in parts[1:]:
        index, _, rest = part.partition(_MARK_END)
        uri = uris[int(index)]
        out[-1] += b'"' + uri.head
        out += (uri.data, b'"' + rest.encode())
    return protocol.Spliced(out)


def validation_body(errors: list[tuple[str, str]], details: list[dict[str, Any]] | None = None) -> protocol.Blob:
    """Cog's 422 body for inputs that do not match the schema."""
    if details:
        return dumps({"detail": details})
    detail = [
        {
            "loc": ["body", "input", name or "__root__"],
            "msg": msg,
            "type": "value_error.missing" if msg == "Field required" else "value_error",
        }
        for name, msg in errors
    ]
    return dumps({"detail": detail})


class Record:
    """A prediction in the worker, from its PREDICT message to its DONE message."""

    __slots__ = (
        "id", "created_at", "started_at", "completed_at", "input", "logs", "output", "chunks",
        "status", "error", "metrics", "webhook_events", "sse", "send", "cancel_requested",
        "task", "_t0", "is_iterator", "_partial",
    )

    def __init__(self, msg: protocol.Predict, send: Send, pending_cancel: set[str] | None = None) -> None:
        self.id: str = msg.id
        self.created_at: float = msg.created_at or time.time()
        self.started_at: float | None = None
        self.completed_at: float | None = None
        self.input: dict[str, Any] = {}
        self.logs: list[str] = []
        self.output: Any = None
        self.chunks: list[Any] | None = None
        self.status = "starting"
        self.error: str | None = None
        self.metrics: Any = None              # cog_py.scope.Metrics while running
        wh = msg.wh
        self.webhook_events: frozenset[str] = frozenset(wh) if wh else frozenset()
        self.sse: bool = bool(msg.sse)
        self.send = send
        self.cancel_requested = False
        if pending_cancel and self.id in pending_cancel:
            pending_cancel.discard(self.id)
            self.cancel_requested = True
        self.task: Any = None
        self._t0 = 0.0
        self.is_iterator = False
        self._partial: dict[str, str] = {}

    # -- events -----------------------------------------------------------------------------
    def start(self) -> None:
        self.started_at = time.time()
        self._t0 = time.perf_counter()
        self.status = "processing"
        if "start" in self.webhook_events:
            self.send(protocol.Webhook(self.id, "start"), dumps(self.snapshot()))
        if self.sse:
            self._sse("start", {"id": self.id, "status": "processing"})

    def add_log(self, source: str, text: str) -> None:
        self.logs.append(text)
        if not self.sse and "logs" not in self.webhook_events:
            return
        # Events go out a line at a time: print() writes the text and its newline separately.
        buf = self._partial.get(source, "") + text
        cut = buf.rfind("\n") + 1
        self._partial[source] = buf[cut:]
        if cut:
            self._log_event(source, buf[:cut - 1])

    def _log_event(self, source: str, lines: str) -> None:
        if "logs" in self.webhook_events:
            self.send(protocol.Webhook(self.id, "logs"), dumps(self.snapshot()))
        if self.sse:
            self._sse("log", {"source": source, "data": lines})

    def add_chunk(self, value: Any) -> None:
        if self.chunks is None:
            self.chunks = []
        self.chunks.append(value)
        if "output" in self.webhook_events:
            self.send(protocol.Webhook(self.id, "output"), dumps(self.snapshot()))
        if self.sse:
            self._sse("output", {"chunk": value, "index": len(self.chunks) - 1})

    def on_metric(self, name: str, value: Any, mode: str) -> None:
        if self.sse:
            self._sse("metric", {"name": name, "value": value, "mode": mode})

    def _sse(self, event: str, data: dict[str, Any]) -> None:
        self.send(protocol.Sse(self.id, event, _encode_str(data)), b"")

    # -- endings ----------------------------------------------------------------------------
    def finish(self, status: str, error: str | None = None) -> None:
        for source, rest in list(self._partial.items()):
            if rest:
                self._log_event(source, rest)
        self._partial.clear()
        self.completed_at = time.time()
        self.status = status
        self.error = error

    def snapshot(self, *, with_input: bool = False) -> dict[str, Any]:
        terminal = self.completed_at is not None
        metrics = self.metrics.snapshot() if self.metrics is not None else {}
        if terminal and self.started_at is not None:
            metrics["predict_time"] = (self.completed_at - self.started_at)  # type: ignore[operator]
        snap: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "logs": "".join(self.logs),
            "metrics": metrics,
            "created_at": iso(self.created_at),
        }
        if self.started_at is not None:
            snap["started_at"] = iso(self.started_at)
        if terminal:
            snap["completed_at"] = iso(self.completed_at)
        output = self.chunks if self.chunks is not None else self.output
        if self.is_iterator and output is None and self.status == "succeeded":
            output = []
        if output is not None or self.status == "succeeded":
            snap["output"] = output
        if self.error is not None:
            snap["error"] = self.error
        if with_input:
            snap["input"] = self.input
        return snap

    def done_frame(self, code: int = 200) -> tuple[protocol.Done, protocol.Blob]:
        return protocol.Done(self.id, self.status, code), dumps(self.snapshot())


def redact(payload: dict[str, Any], secret_names: frozenset[str]) -> dict[str, Any]:
    """The request input with Secret values hidden (for snapshots that echo the input)."""
    if not secret_names:
        return payload
    out = dict(payload)
    for name in secret_names & out.keys():
        value = out[name]
        if isinstance(value, list):
            out[name] = [REDACTED for _ in value]
        elif value is not None:
            out[name] = REDACTED
    return out
