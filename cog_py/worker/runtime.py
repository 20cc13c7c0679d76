"""The worker process: boot (GPU check, import, setup), then serve the parent's requests.

A small explicit state machine (`Phase`, in `Worker.phase`): BOOTING -> READY (serving the
parent's requests) -> EXITING, or BOOTING -> FAILED (SETUP_FAILED sent, then exit).
Sync predictors run on the main thread, fed by a queue; a SIGUSR1 handler raises
CancelationException there, but only while the prediction to cancel is running. Async
predictors run as tasks on an event loop owned by the main thread. The reader thread only
dispatches; it never runs user code.
"""

from __future__ import annotations

import enum
import inspect
import json
import os
import queue
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from cog_py import protocol
from cog_py.worker.capture import Capture
from cog_py.worker.channel import Channel, start_reader
from cog_py.worker.execute import Executor, error_text

if TYPE_CHECKING:
    import asyncio   # imported where used: a sync predictor never needs it


class SetupFailed(Exception):
    pass


class Phase(str, enum.Enum):
    BOOTING = "BOOTING"      # GPU check, import, setup(); SETUP_LOG frames stream out
    READY = "READY"          # READY sent; predictions, cancels, snapshots and health checks served
    FAILED = "FAILED"        # SETUP_FAILED sent; the process exits
    EXITING = "EXITING"      # SHUTDOWN received (or the parent is gone); the process exits


class Worker:
    def __init__(self, config: dict[str, Any], channel: Channel, capture: Capture) -> None:
        self.config = config
        self.channel = channel
        self.send = channel.send
        self.capture = capture
        self.loaded: Any = None
        self.executor: Executor | None = None
        self.current: Any = None                    # the running sync prediction (Record) or batch (BatchRun)
        self.queue: queue.SimpleQueue[tuple[protocol.Predict, bytes] | None] = queue.SimpleQueue()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.main_ident = threading.get_ident()
        self.pending_cancels: set[str] = set()
        self.batcher: Any = None                    # a worker.batch.Batcher for a batched predictor
        self.phase = Phase.BOOTING

    # -- boot -------------------------------------------------------------------------------
    def log(self, line: str) -> None:
        text = line + "\n"
        self.send(protocol.SetupLog(text))
        self.capture.router.mirror(text)

    def boot(self) -> bool:
        self.capture.router.setup_sink = lambda source, text: self.send(protocol.SetupLog(text))
        try:
            self._boot()
        except SetupFailed as exc:
            self.capture.drain()
            self.capture.router.setup_sink = None
            self.send(protocol.SetupFailed(str(exc)))
            self.phase = Phase.FAILED
            return False
        self.capture.drain()
        self.capture.router.setup_sink = None
        self.send(self._ready)
        self.phase = Phase.READY
        return True

    def _boot(self) -> None:
        cfg = self.config
        self.log(f"Worker started (python {sys.version.split()[0]}, pid {os.getpid()})")
        gpu = None
        # gpu.py (dataclasses, subprocess, ctypes: ~5 ms) only when one of boot_check's variables is set.
        if any(name in os.environ for name in ("COG_GPU", "COG_REQUIRE_GPU", "COG_GPU_PROBE")):
            from cog_py.worker.gpu import boot_check

            gpu = boot_check()
        if gpu is not None:
            for line in gpu.log_lines:
                self.log(line)
            self.send(protocol.Gpu(gpu.report))
            if gpu.fatal:
                raise SetupFailed(gpu.fatal)
        from cog_py.errors import CogError
        from cog_py.predictor.loader import load_predictor
        # What predictions need, imported before the model's directory goes on sys.path, where a
        # file named like a stdlib module (concurrent.py, ...) would shadow it.
        from cog_py.worker import execute_deps  # noqa: F401

        project = Path(cfg.get("project_dir") or os.getcwd())
        batch = cfg.get("batch") if cfg.get("mode", "predict") == "predict" else None
        import gc

        gc.freeze()   # what is loaded so far lives as long as the process: never scanned again
        gc.enable()   # disabled by __main__ for the worker's own imports; the model's run with it
        try:
            self.loaded = load_predictor(cfg["ref"], project_dir=project, mode=cfg.get("mode", "predict"),
                                         batch=(batch[0], batch[1]) if batch else None)
        except CogError as exc:
            raise SetupFailed(f"Setup failed: {exc.message}") from exc
        except BaseException as exc:  # noqa: BLE001
            raise SetupFailed(f"Setup failed: {error_text(exc)}") from exc
        info = self.loaded.info
        slots = int(cfg.get("max_concurrency") or 1)
        if slots > 1 and not info.is_async:
            raise SetupFailed("COG_MAX_CONCURRENCY > 1 requires an async run() or predict() method")
        schema = self._schema(project) if cfg.get("render_schema") else None
        self.executor = Executor(self.loaded, self.send, upload_url=cfg.get("upload_url"), drain=self.capture.drain,
                                 active=self.capture.router.active, pending_cancels=self.pending_cancels)
        if info.batch_max_size:
            if info.streaming:
                raise SetupFailed("Setup failed: @batch cannot be combined with @streaming: a batched predict() "
                                  "returns one list of outputs")
            from cog_py.worker.batch import Batcher

            self.batcher = Batcher(self.executor, info.batch_max_size, info.batch_max_wait_ms or 0.0,
                                   slots=slots if info.is_async else 1)
        if info.is_async:
            import asyncio

            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
        self._run_setup()
        ready = {
            "is_async": info.is_async,
            "streaming": info.streaming,
            "has_healthcheck": self.loaded.healthcheck is not None,
            "concurrency_max": info.concurrency_max,
            "batch_max_size": info.batch_max_size,
            "method": info.method,
            "python": sys.version.split()[0],
        }
        self._ready = protocol.Ready(ready, schema)

    def _schema(self, project: Path) -> dict[str, Any] | None:
        from cog_py._version import __version__
        from cog_py.predictor.loader import load_predictor
        from cog_py.predictor.openapi import render_openapi

        cfg = self.config
        other_ref = cfg.get("train_ref") if cfg.get("mode", "predict") == "predict" else cfg.get("predict_ref")
        other = None
        if other_ref:
            try:
                other = load_predictor(other_ref, project_dir=project,
                                       mode="train" if cfg.get("mode", "predict") == "predict" else "predict").info
            except Exception as exc:  # noqa: BLE001 - the other entry point only adds to the schema
                self.log(f"Could not describe {other_ref}: {exc}")
        info = self.loaded.info
        if info.mode == "train":
            return render_openapi(other, info, version=__version__)
        return render_openapi(info, other, version=__version__)

    def _run_setup(self) -> None:
        setup = self.loaded.setup
        if setup is None:
            return
        kwargs = {}
        if self.loaded.info.setup_weights:
            kwargs["weights"] = os.environ.get("COG_WEIGHTS") or None
        self.log("Running setup()")
        t0 = time.perf_counter()
        try:
            result = setup(**kwargs)
            if inspect.isawaitable(result):
                import asyncio

                loop = self.loop or asyncio.new_event_loop()
                loop.run_until_complete(result)
        except BaseException as exc:  # noqa: BLE001 - SystemExit in setup is a setup failure too
            sys.stderr.write(traceback.format_exc())
            raise SetupFailed(f"Setup failed: {error_text(exc)}") from exc
        self.log(f"setup() completed in {time.perf_counter() - t0:.3f} s")

    # -- serve ------------------------------------------------------------------------------
    def serve(self) -> None:
        assert self.executor is not None
        if self.loop is not None:
            # Async: the loop reads the socket itself (no reader thread, no hand-over between threads).
            self.executor.send = self._loop_sender(self.loop)
            self.channel.read_on_loop(self.loop, self.dispatch, self._parent_gone)
            self.loop.run_forever()
            self.phase = Phase.EXITING
            return
        start_reader(self.channel, self.dispatch, self._parent_gone)
        signal.signal(signal.SIGUSR1, self._on_sigusr1)
        executor = self.executor
        batcher = self.batcher
        while True:
            busy = not self.queue.empty()   # for a batch: requests overlap, worth waiting for mates
            item = self.queue.get()
            if item is None:
                self.phase = Phase.EXITING
                return
            if batcher is not None:
                items, stop = batcher.gather_sync(self.queue, item, busy)
                batcher.run_sync(items, self._set_current)
                if stop:
                    self.phase = Phase.EXITING
                    return
                continue
            msg, blob = item
            executor.run_sync(msg, blob, self._set_current)

    def _loop_sender(self, loop: asyncio.AbstractEventLoop) -> Callable[..., None]:
        """The async worker's sender: the DONE frames of one loop turn go out together at its end
        (one write and one wake-up of the parent for every prediction that ended in the turn).
        Any other frame goes out at once, after the DONE frames already waiting (order kept);
        other threads send at once."""
        channel = self.channel
        loop_thread = threading.get_ident()
        pending: list[tuple[protocol.ToParent, protocol.Blob]] = []

        def flush() -> None:
            if pending:
                items = pending[:]
                del pending[:]
                channel.send_many(items)

        def send(msg: protocol.ToParent, blob: protocol.Blob = b"") -> None:
            if threading.get_ident() != loop_thread:
                channel.send(msg, blob)
            elif type(msg) is protocol.Done:
                pending.append((msg, blob))
                if len(pending) == 1:
                    loop.call_soon(flush)
            else:
                flush()
                channel.send(msg, blob)

        return send

    def _set_current(self, rec: Any) -> None:
        """The running sync prediction (a Record), or batch (a worker.batch.BatchRun), or None."""
        self.current = rec
        if rec is not None and rec.cancel_requested:   # canceled before the signal could be armed
            self.current = None
            from cog_py.sdk.predictor import CancelationException

            raise CancelationException()

    def _on_sigusr1(self, signum: int, frame: Any) -> None:
        rec = self.current
        if rec is not None and rec.cancel_requested:
            self.current = None   # raise once
            from cog_py.sdk.predictor import CancelationException

            raise CancelationException()

    def _parent_gone(self) -> None:
        self.remove_inputs()
        os._exit(0)

    def remove_inputs(self) -> None:
        """Remove this worker's input directory (files of predictions still running included)."""
        if self.executor is not None:
            import shutil

            shutil.rmtree(self.executor.tmpdir, ignore_errors=True)

    def dispatch(self, header: dict[str, Any], blob: bytes) -> None:
        """Runs on the reader thread (sync predictors) or on the loop (async ones)."""
        msg = protocol.decode_to_worker(header)
        assert self.executor is not None
        if type(msg) is protocol.Predict:   # a cancel may overtake it: see Executor.pending_cancels
            if self.loop is not None:
                self._spawn(msg, blob)
            else:
                self.queue.put((msg, blob))
        elif isinstance(msg, protocol.Cancel):
            if self.loop is not None:
                self._cancel_async(msg.id)
            else:
                self._cancel_sync(msg.id)
        elif isinstance(msg, protocol.SnapshotRequest):
            self.send(*self.executor.snapshot(msg.id))
        elif isinstance(msg, protocol.HealthRequest):
            threading.Thread(target=self._healthcheck, args=(msg.seq,), daemon=True).start()
        elif isinstance(msg, protocol.Shutdown):
            if self.loop is not None:
                self.loop.stop()
            else:
                self.queue.put(None)

    def _spawn(self, msg: protocol.Predict, blob: bytes) -> None:
        assert self.executor is not None
        if self.batcher is not None:
            self.batcher.submit(msg, blob)
            return
        self.loop.create_task(self.executor.run_async(msg, blob))  # type: ignore[union-attr]

    def _cancel_async(self, pred_id: str) -> None:
        rec = self.executor.records.get(pred_id) if self.executor else None
        if rec is None:
            self.pending_cancels.add(pred_id)
            return
        rec.cancel_requested = True
        if rec.task is not None:
            rec.task.cancel()
        elif self.batcher is not None:
            run = self.batcher.on_cancel(rec)   # the whole call, once all of its requests are canceled
            if run is not None and run.task is not None:
                run.task.cancel()

    def _cancel_sync(self, pred_id: str) -> None:
        records = self.executor.records if self.executor else {}
        rec = records.get(pred_id)
        if rec is None:
            # The main thread may be registering the prediction right now: leave the cancel
            # where it looks after registering, then look again (one of the two sees it).
            self.pending_cancels.add(pred_id)
            rec = records.get(pred_id)
            if rec is None:
                return
            self.pending_cancels.discard(pred_id)
        rec.cancel_requested = True
        current = self.current
        if current is rec or (current is not None and self.batcher is not None
                              and self.batcher.on_cancel(rec) is current):
            signal.pthread_kill(self.main_ident, signal.SIGUSR1)

    def _healthcheck(self, seq: int) -> None:
        timeout = float(os.environ.get("COG_HEALTHCHECK_TIMEOUT", "5.0"))
        fn = self.loaded.healthcheck
        result: list[Any] = []

        def call() -> None:
            try:
                value = fn()
                if inspect.isawaitable(value):
                    import asyncio

                    if self.loop is not None:
                        value = asyncio.run_coroutine_threadsafe(value, self.loop).result()  # type: ignore[arg-type]
                    else:
                        value = asyncio.run(value)  # type: ignore[arg-type]
                result.append(bool(value))
            except BaseException as exc:  # noqa: BLE001
                result.append(exc)

        error = None
        if fn is not None:
            thread = threading.Thread(target=call, daemon=True)
            thread.start()
            thread.join(timeout)
            if not result:
                error = f"Healthcheck failed: user-defined healthcheck timed out after {timeout:.1f} seconds"
            elif isinstance(result[0], BaseException):
                error = f"Healthcheck failed: {result[0]}"
            elif result[0] is False:
                error = "Healthcheck failed: user-defined healthcheck returned False"
        self.send(protocol.HealthReply(seq, error))


def main() -> None:
    """Entry point of `python -m cog_py.worker` (started by the server parent)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # the parent decides when we stop
    raw = os.environ.pop(protocol.ENV_CONFIG, None)
    fd = int(os.environ.pop(protocol.ENV_FD))
    channel = Channel(fd)
    if raw is not None:
        config = json.loads(raw)
    else:   # started early (spawn.spawn_early): the imports above overlapped the parent's
        config = channel.read_config()
        if config is None:   # the parent decided not to serve (bad settings, --help)
            os._exit(0)
    capture = Capture()
    capture.install()
    worker = Worker(config, channel, capture)
    if not worker.boot():
        capture.drain()
        os._exit(0)
    worker.serve()
    capture.drain()
    worker.remove_inputs()
    os._exit(0)
