"""Running one prediction in the worker: inputs in, output and status out.

Sync predictors run on the main thread (so SIGUSR1 can interrupt them); async ones as tasks on
the worker's event loop. Both end in a DONE frame whose blob is the response body.
"""

from __future__ import annotations

import contextvars
import inspect
import json
import traceback
from typing import Any, Callable

from cog_py import protocol
from cog_py.errors import InputPreparationError, InputValidationError
from cog_py.sdk.predictor import CancelationException
from cog_py.worker.capture import current_target
from cog_py.worker.record import Record, dumps, redact, validation_body


def error_text(exc: BaseException) -> str:
    """Exception type and message, as Cog reports a failed prediction."""
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _is_iterator(value: Any) -> bool:
    if isinstance(value, (str, bytes, bytearray, dict, list, tuple)):
        return False
    return inspect.isgenerator(value) or (hasattr(value, "__next__") and hasattr(value, "__iter__"))


class Executor:
    """Everything a prediction needs from the loaded predictor, shared by sync and async runs."""

    def __init__(self, loaded: Any, send: Callable[[protocol.ToParent, protocol.Blob], None], *,
                 upload_url: str | None, drain: Callable[[], None], active: dict[str, Any],
                 pending_cancels: set[str] | None = None) -> None:
        from cog_py.predictor.coerce import InputsCanceled, prepare_inputs
        from cog_py.predictor.encode import encode_output
        from cog_py.predictor.adt import Kind
        from cog_py.worker.download import Fetcher
        from cog_py.worker.files import FileEncoder

        self.loaded = loaded
        self.info = loaded.info
        self.send: Callable[..., None] = send
        self.drain = drain
        self.active = active          # the capture router's running predictions
        self._prepare = prepare_inputs
        self._canceled: type[Exception] = InputsCanceled
        self._encode = encode_output
        self.file_encoder = FileEncoder(upload_url)
        # Made only when an input is first downloaded (prepare_inputs creates it), so a model
        # without file inputs leaves nothing on disk.
        # (removed when the worker exits; the parent removes what a killed worker left)
        self.tmpdir = protocol.input_dir()
        self.fetch = Fetcher()
        self.secret_names = frozenset(
            f.name for f in self.info.inputs
            if f.type.kind is Kind.SECRET or (f.type.item is not None and f.type.item.kind is Kind.SECRET)
        )
        self.records: dict[str, Record] = {}
        # Cancels that arrived before their prediction was registered (the reader thread adds them).
        self.pending_cancels: set[str] = set() if pending_cancels is None else pending_cancels

    # -- shared steps -------------------------------------------------------------------------
    def open(self, msg: protocol.Predict, blob: bytes) -> tuple[Record, dict[str, Any] | None, Any]:
        """Parse and validate; on bad input the DONE frame is already sent and kwargs is None."""
        pending = self.pending_cancels
        rec = Record(msg, self.send, pending)
        self.records[rec.id] = rec
        if pending and rec.id in pending:   # canceled while the record was being made
            pending.discard(rec.id)
            rec.cancel_requested = True
        try:
            if isinstance(blob, bytearray):   # a large body, read straight off the socket
                text = blob.decode()
                del blob[:]                   # freed now, not when the callers let go of it
                body = json.loads(text)
                del text
            else:
                body = json.loads(blob) if blob else {}
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise InputValidationError([("__root__", "request body must be a JSON object")])
            payload = body.get("input") or {}
            if not isinstance(payload, dict):
                raise InputValidationError([("__root__", "input must be an object")])
            context = body.get("context") or {}
            rec.input = redact(payload, self.secret_names)
            prepared = self._prepare(self.info, payload, tmpdir=self.tmpdir, fetch=self.fetch,
                                     cancelled=lambda: rec.cancel_requested)
        except self._canceled:
            rec.finish("canceled")
            header_, blob_ = rec.done_frame()
            self.close(rec, header_, blob_)
            return rec, None, None
        except InputValidationError as exc:
            if not isinstance(exc, InputPreparationError):
                body = validation_body(exc.errors, getattr(exc, "details", None))
                self.close(rec, protocol.Done(rec.id, "failed", 422), body)
                return rec, None, None
            rec.finish("failed", str(exc))
            header_, blob_ = rec.done_frame(422)
            self.close(rec, header_, blob_)
            return rec, None, None
        except Exception as exc:  # a download that failed, a data URI that does not decode
            rec.finish("failed", error_text(exc))
            header_, blob_ = rec.done_frame(422)
            self.close(rec, header_, blob_)
            return rec, None, None
        return rec, {"kwargs": prepared.kwargs, "context": context}, prepared

    def close(self, rec: Record, done: protocol.Done, blob: protocol.Blob) -> None:
        self.records.pop(rec.id, None)
        self.send(done, blob)
        # Answered: the record's two reference cycles (its metrics -> their listener
        # rec.on_metric -> rec; an async prediction's task -> the task's context -> rec) are
        # cut, so the record and its output (a file output's bytes) are freed by
        # reference counting now, not by a later cyclic collection that leaves the heap fragmented.
        rec.metrics = None
        rec.task = None

    def encode(self, value: Any) -> Any:
        return self._encode(value, file_encoder=self.file_encoder)

    def fail(self, rec: Record, exc: BaseException) -> None:
        rec.add_log("stderr", "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        rec.finish("failed", error_text(exc))

    def finish(self, rec: Record, prepared: Any) -> None:
        try:
            prepared.cleanup()
        except Exception:  # noqa: BLE001 - a temp file that is already gone
            pass
        header, blob = rec.done_frame()
        self.close(rec, header, blob)

    def snapshot(self, pred_id: str) -> tuple[protocol.SnapshotReply, protocol.Blob]:
        rec = self.records.get(pred_id)
        if rec is None:
            return protocol.SnapshotReply(pred_id, False), b""
        return protocol.SnapshotReply(pred_id, True), dumps(rec.snapshot(with_input=True))

    # -- sync ---------------------------------------------------------------------------------
    def run_sync(self, msg: protocol.Predict, blob: bytes, set_current: Callable[[Record | None], None]) -> None:
        """Run on the main thread. `set_current` arms/disarms SIGUSR1 cancellation."""
        rec, call, prepared = self.open(msg, blob)
        if call is None:
            return
        if msg.ack:
            self.send(protocol.Accepted(rec.id), b"")
        from cog_py.scope import scope_for_prediction

        token = current_target.set(rec)
        self.active[rec.id] = rec
        try:
            if rec.cancel_requested:
                raise CancelationException()
            with scope_for_prediction(call["context"], listener=rec.on_metric) as scope:
                rec.metrics = scope.metrics
                rec.start()
                set_current(rec)
                try:
                    result = self.loaded.predict(**call["kwargs"])
                    if _is_iterator(result):
                        rec.is_iterator = True
                        for item in result:
                            rec.add_chunk(self.encode(item))
                    else:
                        rec.output = self.encode(result)
                finally:
                    set_current(None)
            self.drain()
            rec.finish("succeeded")
        except CancelationException:
            self.drain()
            rec.finish("canceled")
        except BaseException as exc:  # noqa: BLE001 - SystemExit in predict fails only this prediction
            self.drain()
            self.fail(rec, exc)
        finally:
            current_target.reset(token)
            self.active.pop(rec.id, None)
        self.finish(rec, prepared)

    # -- async --------------------------------------------------------------------------------
    async def run_async(self, msg: protocol.Predict, blob: bytes) -> None:
        import asyncio   # here, not at the top: a sync predictor's worker never loads it

        if b"://" in blob:  # URL inputs are downloaded: keep the loop free meanwhile
            # asyncio.to_thread is Python 3.9+: the same, for the model's Python 3.8
            context = contextvars.copy_context()
            rec, call, prepared = await asyncio.get_running_loop().run_in_executor(
                None, lambda: context.run(self.open, msg, blob))
        else:
            rec, call, prepared = self.open(msg, blob)
        if call is None:
            return
        if msg.ack:
            self.send(protocol.Accepted(rec.id), b"")
        from cog_py.scope import scope_for_prediction

        rec.task = asyncio.current_task()
        current_target.set(rec)   # the task runs in its own context copy
        self.active[rec.id] = rec
        try:
            if rec.cancel_requested:
                raise asyncio.CancelledError()
            with scope_for_prediction(call["context"], listener=rec.on_metric) as scope:
                rec.metrics = scope.metrics
                rec.start()
                result = self.loaded.predict(**call["kwargs"])
                if inspect.isawaitable(result):
                    result = await result
                if inspect.isasyncgen(result):
                    rec.is_iterator = True
                    async for item in result:
                        rec.add_chunk(self.encode(item))
                elif _is_iterator(result):
                    rec.is_iterator = True
                    for item in result:
                        rec.add_chunk(self.encode(item))
                else:
                    rec.output = self.encode(result)
            rec.finish("succeeded")
        except (asyncio.CancelledError, CancelationException):
            rec.finish("canceled")
        except BaseException as exc:  # noqa: BLE001
            self.fail(rec, exc)
        if len(self.active) == 1:
            self.drain()
        self.active.pop(rec.id, None)
        self.finish(rec, prepared)
