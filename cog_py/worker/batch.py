"""Adaptive batching in the worker (`@batch` / cog.yaml `batch:`): gather, call once, split.

The parent admits up to `max_size` predictions per slot and sends them as usual; here they
are gathered: the first one waits at most `max_wait_ms` for batch-mates (whatever is already
queued joins at once), up to `max_size`. The wait adapts to the traffic: once a wait found no
batch-mate, the next lone request runs at once (a single sequential client pays no wait); it
waits again as soon as requests overlap (one was already queued, or a batch had mates). Each request is validated on its own (a bad one is
answered 422 and never joins), then predict() is called once with one list per parameter, and
its list of outputs is split back, one response per request, each with its own logs, metrics
(`batch_size` among them) and output files.

    an exception in predict()       -> every request of the batch fails with it
    not a list, or the wrong length -> every request fails, with an error that says so
    one output that cannot be encoded -> that request alone fails
    cancel of one request           -> it is answered `canceled` when the call returns; the
                                       call itself is interrupted once every request in it is
                                       canceled

Sync predictors batch on the main thread; async ones in a collector task on the worker's loop
(at most `slots` batches run at once). Standard library only.
"""

from __future__ import annotations

import asyncio
import inspect
import queue
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from cog_py import protocol
from cog_py.sdk.predictor import CancelationException
from cog_py.worker.capture import current_target
from cog_py.worker.execute import Executor, error_text
from cog_py.worker.record import Record

Item = Tuple[protocol.Predict, bytes]


class BatchRun:
    """The requests of one batched call (what cancellation looks at)."""

    __slots__ = ("records", "task")

    def __init__(self, records: List[Record]) -> None:
        self.records = records
        self.task: Any = None

    @property
    def cancel_requested(self) -> bool:
        """Interrupt the call only when nobody in it still wants an answer."""
        return all(rec.cancel_requested for rec in self.records)

    def add_log(self, source: str, text: str) -> None:
        # Output printed during the batched call belongs to every request in it.
        for rec in self.records:
            rec.add_log(source, text)


class Batcher:
    def __init__(self, executor: Executor, max_size: int, max_wait_ms: float, slots: int = 1) -> None:
        self.executor = executor
        self.max_size = max(1, int(max_size))
        self.max_wait = max(0.0, float(max_wait_ms)) / 1000.0
        self.slots = max(1, int(slots))
        self.running: Dict[str, BatchRun] = {}     # prediction id -> its batch, while the call runs
        self._mates_came = True     # did the last gathering find batch-mates? (wait until it did not)
        self._inbox: Optional["asyncio.Queue[Item]"] = None

    # -- gathering ----------------------------------------------------------------------------
    def wait_for_mates(self, busy: bool) -> float:
        """How long the first request of a batch may wait for more: max_wait, or 0 when requests
        do not overlap (`busy`: the first one was already queued when the worker came for it)."""
        return self.max_wait if busy or self._mates_came else 0.0

    def gather_sync(self, inbox: "queue.SimpleQueue[Optional[Item]]", first: Item,
                    busy: bool = True) -> Tuple[List[Item], bool]:
        """`first` and what joins it in time; True when a shutdown (None) was read."""
        items = [first]
        deadline = time.monotonic() + self.wait_for_mates(busy)
        while len(items) < self.max_size:
            remaining = deadline - time.monotonic()
            try:
                item = inbox.get(timeout=remaining) if remaining > 0 else inbox.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._mates_came = len(items) > 1
                return items, True
            items.append(item)
        self._mates_came = len(items) > 1
        return items, False

    def submit(self, msg: protocol.Predict, blob: bytes) -> None:
        """Async predictors: called on the loop for each PREDICT message."""
        if self._inbox is None:
            self._inbox = asyncio.Queue()
            asyncio.get_running_loop().create_task(self._collect())
        self._inbox.put_nowait((msg, blob))

    async def _collect(self) -> None:
        assert self._inbox is not None
        inbox = self._inbox
        free = asyncio.Semaphore(self.slots)
        loop = asyncio.get_running_loop()
        while True:
            busy = not inbox.empty()
            first = await inbox.get()
            deadline = loop.time() + self.wait_for_mates(busy)
            await free.acquire()   # while every slot runs a batch, the next one keeps filling
            items = [first]
            while len(items) < self.max_size:
                if not inbox.empty():
                    items.append(inbox.get_nowait())
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    items.append(await asyncio.wait_for(inbox.get(), remaining))
                except asyncio.TimeoutError:
                    break
            self._mates_came = len(items) > 1
            task = loop.create_task(self.run_async(items))
            task.add_done_callback(lambda _t: free.release())

    # -- running ------------------------------------------------------------------------------
    def _open(self, items: List[Item]) -> List[Tuple[Record, Any, Any]]:
        """Validate each request on its own; the bad and the canceled are answered here."""
        ex = self.executor
        ready = []
        for msg, blob in items:
            rec, call, prepared = ex.open(msg, blob)
            if call is None:
                continue
            if msg.ack:
                ex.send(protocol.Accepted(rec.id), b"")
            if rec.cancel_requested:
                rec.finish("canceled")
                ex.finish(rec, prepared)
                continue
            ready.append((rec, call, prepared))
        return ready

    def _begin(self, ready: List[Tuple[Record, Any, Any]]) -> Tuple[BatchRun, Dict[str, List[Any]], List[Any]]:
        from cog_py.scope import Scope

        run = BatchRun([rec for rec, _, _ in ready])
        scopes = []
        n = len(ready)
        for rec, call, _ in ready:
            scope = Scope(call["context"], listener=rec.on_metric)
            scope.metrics.record("batch_size", n)
            rec.metrics = scope.metrics
            scopes.append(scope)
            self.running[rec.id] = run
            self.executor.active[rec.id] = rec
        from cog_py.predictor.adt import MISSING

        kwargs: Dict[str, List[Any]] = {}
        for field in self.executor.info.inputs:   # a left-out input gets its default, per request
            default = None if field.default is MISSING else field.default
            kwargs[field.name] = [call["kwargs"].get(field.name, default) for _, call, _ in ready]
        for rec in run.records:
            rec.start()
        return run, kwargs, scopes

    def _split(self, run: BatchRun, result: Any) -> None:
        records = run.records
        if not isinstance(result, (list, tuple)):
            error = (f"a batched {self.executor.info.method}() must return a list with one output per input; "
                     f"it returned {type(result).__name__}")
            for rec in records:
                rec.finish("failed", error)
            return
        if len(result) != len(records):
            error = (f"a batched {self.executor.info.method}() returned {len(result)} outputs for "
                     f"{len(records)} inputs; it must return one output per input, in order")
            for rec in records:
                rec.finish("failed", error)
            return
        for rec, value in zip(records, result):
            if rec.cancel_requested:
                rec.finish("canceled")
                continue
            try:
                rec.output = self.executor.encode(value)
            except BaseException as exc:  # noqa: BLE001 - one output that cannot be sent fails its request alone
                self.executor.fail(rec, exc)
                continue
            rec.finish("succeeded")

    def _end(self, run: BatchRun, ready: List[Tuple[Record, Any, Any]]) -> None:
        ex = self.executor
        for rec, _, prepared in ready:
            self.running.pop(rec.id, None)
            ex.active.pop(rec.id, None)
            ex.finish(rec, prepared)

    def run_sync(self, items: List[Item], set_current: Callable[[Any], None]) -> None:
        from cog_py.scope import scope_for_batch

        ready = self._open(items)
        if not ready:
            return
        ex = self.executor
        run, kwargs, scopes = self._begin(ready)
        token = current_target.set(run)
        try:
            with scope_for_batch(scopes):
                set_current(run)
                try:
                    result = ex.loaded.predict(**kwargs)
                finally:
                    set_current(None)
            ex.drain()
            self._split(run, result)
        except CancelationException:
            ex.drain()
            for rec in run.records:
                rec.finish("canceled")
        except BaseException as exc:  # noqa: BLE001 - an exception in the call fails the whole batch
            ex.drain()
            self._fail_all(run, exc)
        finally:
            current_target.reset(token)
        self._end(run, ready)

    async def run_async(self, items: List[Item]) -> None:
        from cog_py.scope import scope_for_batch

        ex = self.executor
        if any(b"://" in blob for _, blob in items):   # URL inputs are downloaded off the loop
            ready = await asyncio.get_running_loop().run_in_executor(None, self._open, items)
        else:
            ready = self._open(items)
        if not ready:
            return
        run, kwargs, scopes = self._begin(ready)
        run.task = asyncio.current_task()
        current_target.set(run)   # the task runs in its own context copy
        try:
            with scope_for_batch(scopes):
                result = ex.loaded.predict(**kwargs)
                if inspect.isawaitable(result):
                    result = await result
            self._split(run, result)
        except (asyncio.CancelledError, CancelationException):
            for rec in run.records:
                rec.finish("canceled")
        except BaseException as exc:  # noqa: BLE001
            self._fail_all(run, exc)
        ex.drain()
        self._end(run, ready)
        run.task = None   # the task's context refers to `run` (current_target): no cycle left behind

    def _fail_all(self, run: BatchRun, exc: BaseException) -> None:
        ex = self.executor
        if len(run.records) > 0:
            ex.fail(run.records[0], exc)   # the traceback once, in the first request's logs
        error = error_text(exc)
        for rec in run.records[1:]:
            rec.finish("failed", error)

    # -- cancellation --------------------------------------------------------------------------
    def on_cancel(self, rec: Record) -> Optional[BatchRun]:
        """The batch `rec` runs in, when that whole call should now be interrupted."""
        run = self.running.get(rec.id)
        if run is not None and run.cancel_requested:
            return run
        return None

    def is_batched(self, pred_id: str) -> bool:
        return pred_id in self.running
