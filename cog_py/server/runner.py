"""The one owner of the server's state: health, slots, the queue, in-flight predictions, the worker.

Everything here runs on the event loop; nothing blocks. Worker messages arrive through
`on_message`; HTTP handlers call `refuse` (the admission decision, server/admission.py),
`admit`, `dispatch`, `cancel`, `snapshot`, `user_health`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from typing import Any, Callable

from cog_py import protocol
from cog_py.protocol import iso
from cog_py.server import jsonc
from cog_py.server.admission import DROPPED_UNAVAILABLE, Admission, Refusal
from cog_py.server.metrics import Metrics
from cog_py.server.settings import Settings
from cog_py.server.sse import EventStream
from cog_py.server.state import Health
from cog_py.server.supervisor import Spawned, WorkerHandle, spawn
from cog_py.server.webhooks import WebhookSender

log = logging.getLogger("cog_py.server")

STARTING, READY, SETUP_FAILED, DEFUNCT, UNKNOWN = (Health.STARTING, Health.READY, Health.SETUP_FAILED, Health.DEFUNCT,
                                                  Health.UNKNOWN)
# Cancel is idempotent (an extension of Cog, which answers 404 once a prediction has ended): a
# prediction that ended within FINISHED_TTL_S seconds is still "cancelable" (200, no effect);
# at most FINISHED_MAX ids are remembered.
FINISHED_TTL_S = 300.0
FINISHED_MAX = 1000


class Pending:
    """A prediction the parent is waiting on."""

    __slots__ = ("id", "created_at", "done", "accepted", "webhook", "stream", "cancel_requested",
                 "kill_timer", "via_sse", "queued", "job", "started", "answered", "on_settled")

    def __init__(self, pred_id: str, created_at: float) -> None:
        self.id = pred_id
        self.created_at = created_at
        self.done: asyncio.Future[tuple[str, int, bytes]] = asyncio.get_running_loop().create_future()
        self.accepted: asyncio.Future[None] | None = None
        self.webhook: WebhookSender | None = None
        self.stream: EventStream | None = None
        self.cancel_requested = False
        self.kill_timer: asyncio.TimerHandle | None = None
        self.via_sse = False
        self.queued = False              # waiting in the admission queue, not yet sent to the worker
        self.job: tuple[protocol.Predict, bytes | bytearray] | None = None   # what to send when it leaves
        self.started = 0.0               # time.monotonic() when it was sent to the worker
        self.answered = False            # 202 already given (async, queued): a 422 later is a failed webhook
        # Called with (status, code, body) as it settles, before `done` resolves: the HTTP
        # protocol's quick path answers from here, one event-loop turn sooner than a callback.
        self.on_settled: Callable[[str, int, bytes], None] | None = None


class Runner:
    def __init__(self, settings: Settings, schema: bytes | None, spawned: Spawned | None = None) -> None:
        self.settings = settings
        self.schema = schema                      # the OpenAPI document, as bytes
        self._spawned = spawned
        self.state: Health = STARTING if settings.ref else UNKNOWN
        self.info: dict[str, Any] = {}
        self.gpu: dict[str, Any] | None = None
        self.setup_started = time.time()
        self.setup_completed: float | None = None
        self.setup_status = "starting"
        self.setup_logs: list[str] = []
        self.slots = settings.max_concurrency or 1
        self.inflight: dict[str, Pending] = {}
        self.worker: WorkerHandle | None = None
        self.draining = False
        self.crashes: deque[float] = deque()
        self.restarts = 0
        self.metrics = Metrics()
        self.admission = Admission(settings.queue_size)
        self._health_seq = 0
        self._health_waiters: dict[int, asyncio.Future[str | None]] = {}
        self._health_inflight: asyncio.Future[str | None] | None = None
        self._setup_timer: asyncio.TimerHandle | None = None
        self._health_cache: dict[Health, bytes] = {}
        self._snap_waiters: dict[str, list[asyncio.Future[bytes | None]]] = {}
        self._last_id = 0
        self._finished: OrderedDict[str, float] = OrderedDict()   # id -> when it ended (monotonic)
        self.idle = asyncio.Event()
        self.idle.set()

    # -- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        if not self.settings.ref:
            return
        spawned = self._spawned or spawn(self.settings, render_schema=self.schema is None)
        self._spawned = None
        await self._adopt(spawned)

    async def _adopt(self, spawned: Spawned) -> None:
        self.state = STARTING
        self.setup_started = spawned.started_at
        self.setup_completed = None
        self.setup_status = "starting"
        self.setup_logs = []
        self._changed()
        handle = WorkerHandle(spawned, self.on_message, self._on_exit)
        self.worker = handle
        log.info("worker started (pid %d)", handle.pid)
        if self.settings.setup_timeout:
            loop = asyncio.get_running_loop()
            self._setup_timer = loop.call_later(self.settings.setup_timeout, self._setup_timed_out, handle)
        await handle.attach()

    async def stop(self) -> None:
        if self.worker is not None and not self.worker.dead:
            if self.state != READY:
                self.worker.kill()   # still in setup(): it cannot read a SHUTDOWN message
                return
            await self.worker.stop()

    def _changed(self) -> None:
        self._health_cache.clear()

    def _setup_timed_out(self, handle: WorkerHandle) -> None:
        if handle is self.worker and self.state == STARTING:
            self._setup_failed("worker setup timed out")
            handle.kill()

    def _setup_failed(self, error: str) -> None:
        if self._setup_timer is not None:
            self._setup_timer.cancel()
        self.state = SETUP_FAILED
        self.setup_status = "failed"
        self.setup_completed = time.time()
        self.metrics.setup_failures += 1
        self.setup_logs.append(error if error.endswith("\n") else error + "\n")
        self._changed()
        log.error("setup failed: %s", error)
        self.drop_waiting(DROPPED_UNAVAILABLE)

    # -- messages from the worker -----------------------------------------------------------
    def on_message(self, msg: protocol.ToParent, blob: bytes) -> None:
        kind = type(msg)
        if kind is protocol.Done:
            self._on_done(msg, blob)  # type: ignore[arg-type]
        elif isinstance(msg, protocol.Accepted):
            pending = self.inflight.get(msg.id)
            if pending is not None and pending.accepted is not None and not pending.accepted.done():
                pending.accepted.set_result(None)
        elif isinstance(msg, protocol.Webhook):
            pending = self.inflight.get(msg.id)
            if pending is not None and pending.webhook is not None:
                pending.webhook.event(msg.event, blob)
        elif isinstance(msg, protocol.Sse):
            pending = self.inflight.get(msg.id)
            if pending is not None and pending.stream is not None:
                pending.stream.publish(msg.event, msg.data)
        elif isinstance(msg, protocol.SnapshotReply):
            for waiter in self._snap_waiters.pop(msg.id, []):
                if not waiter.done():
                    waiter.set_result(blob if msg.found else None)
        elif isinstance(msg, protocol.HealthReply):
            fut = self._health_waiters.pop(msg.seq, None)
            if fut is not None and not fut.done():
                fut.set_result(msg.error)
        elif isinstance(msg, protocol.SetupLog):
            self.setup_logs.append(msg.data)
            self._changed()
        elif isinstance(msg, protocol.Gpu):
            self.gpu = msg.report
            self._changed()
        elif isinstance(msg, protocol.Ready):
            self._on_ready(msg)
        elif isinstance(msg, protocol.SetupFailed):
            if self.worker is not None:
                self.worker.expected_exit = True
            self._setup_failed(msg.error)

    def _on_ready(self, msg: protocol.Ready) -> None:
        if self._setup_timer is not None:
            self._setup_timer.cancel()
        self.info = msg.info or {}
        if msg.schema is not None and self.schema is None:
            self.schema = jsonc.dumps(msg.schema)
        # A batched predictor takes up to batch_max_size predictions per slot.
        self.slots = (self.settings.max_concurrency or self.info.get("concurrency_max") or 1) * \
            int(self.info.get("batch_max_size") or 1)
        if self.worker is not None:
            self.worker.reached_ready = True
        self.state = READY
        self.setup_status = "succeeded"
        self.setup_completed = time.time()
        self.metrics.setup.observe(self.setup_completed - self.setup_started)
        self._changed()
        log.info("setup succeeded in %.3f s; ready", self.setup_completed - self.setup_started)
        self._pump()
        ready_file = self.settings.ready_file
        if ready_file is not None:
            try:
                ready_file.parent.mkdir(parents=True, exist_ok=True)
                ready_file.touch()
            except OSError as exc:
                log.warning("cannot write %s: %s", ready_file, exc)

    def _on_done(self, msg: protocol.Done, blob: bytes) -> None:
        pending = self.inflight.pop(msg.id, None)
        if pending is None:
            return
        admission = self.admission
        if admission.queue_size:
            if msg.code != 422:
                admission.observe_service(time.monotonic() - pending.started)
            # The freed slot goes to the oldest waiting prediction before anyone is told.
            self._pump()
        # The slot is free before anyone is told, so a client that sends its next request as
        # soon as it has this answer never meets a full house.
        self._settle(pending, msg.status, msg.code, blob)

    def _settle(self, pending: Pending, status: str, code: int, blob: bytes) -> None:
        counted = code   # metrics count what the worker said (422: a rejection)
        if code == 422 and pending.answered:
            # Accepted (202) while it waited, refused by the worker's validation later: the
            # client learns it from the webhook, as a failed prediction.
            code, blob = 200, _failed_snapshot(pending, blob)
        on_settled = pending.on_settled
        if on_settled is not None:
            # Dropped first: the callback refers to the connection waiting on this pending
            # (server/quick.py), a reference cycle the cyclic GC would free much later.
            pending.on_settled = None
            # The answer goes out first (latency); the bookkeeping below still happens before
            # this loop reads the client's next request.
            try:
                on_settled(status, code, blob)
            except Exception:   # a broken connection must not stop the webhook and the stream below
                log.exception("writing the answer of %s failed", pending.id)
        self.metrics.finished(status, counted, time.time() - pending.created_at)
        self._remember_finished(pending.id)
        if not self.inflight and not self.admission.waiting:
            self.idle.set()
        self._changed()
        if pending.kill_timer is not None:
            pending.kill_timer.cancel()
        if not pending.done.done():
            pending.done.set_result((status, code, blob))
        if pending.accepted is not None and not pending.accepted.done():
            pending.accepted.set_result(None)
        if pending.webhook is not None:
            if code == 422:   # refused before it ran: nothing to report
                pending.webhook.close()
            else:
                pending.webhook.completed(blob)
        if pending.stream is not None:
            pending.stream.publish("completed", blob, final=True)

    def _on_exit(self, handle: WorkerHandle, code: int | None) -> None:
        if handle is not self.worker:
            return
        now = time.time()
        for pending in list(self.inflight.values()):
            self.inflight.pop(pending.id, None)
            if handle.killed_for_cancel and pending.cancel_requested:
                status, error = "canceled", None
            else:
                status = "failed"
                error = f"Worker crashed: the worker process exited unexpectedly (exit code {code})"
            snap: dict[str, Any] = {"id": pending.id, "status": status, "logs": "", "metrics": {},
                                    "created_at": iso(pending.created_at), "completed_at": iso(now)}
            if error:
                snap["error"] = error
            self._settle(pending, status, 200, jsonc.dumps(snap))
        self.worker = None
        if handle.expected_exit and not handle.killed_for_cancel:
            return
        if self.draining:
            self.drop_waiting(DROPPED_UNAVAILABLE)
            return
        if self.state == STARTING:
            self._setup_failed(f"worker exited during setup (exit code {code})")
            return
        if handle.reached_ready and not handle.killed_for_cancel:
            self.crashes.append(now)
            while self.crashes and now - self.crashes[0] > self.settings.crash_window:
                self.crashes.popleft()
            log.error("worker died (exit code %s)", code)
            if len(self.crashes) >= self.settings.crash_limit:
                self.state = DEFUNCT
                self._changed()
                log.error("worker died %d times in %.0f s: DEFUNCT", len(self.crashes), self.settings.crash_window)
                self.drop_waiting(DROPPED_UNAVAILABLE)
                return
        self.restarts += 1
        try:
            spawned = spawn(self.settings, render_schema=False)
        except OSError as exc:
            self._setup_failed(f"cannot restart the worker: {exc}")
            return
        self.state = STARTING   # now, not when the task runs: no request may reach a worker-less runner
        asyncio.get_running_loop().create_task(self._adopt(spawned))

    # -- requests ---------------------------------------------------------------------------
    def new_id(self) -> str:
        value = time.time_ns()
        if value <= self._last_id:
            value = self._last_id + 1
        self._last_id = value
        return f"pred_{value:x}"

    @property
    def free_slots(self) -> int:
        return self.slots - len(self.inflight) if self.state == READY else 0

    def refuse(self) -> Refusal | None:
        """The admission decision for a new request: None to admit it, else how to answer."""
        refusal = self.admission.decide(self)
        if refusal is not None:
            self.metrics.rejected[refusal.reason] += 1
        return refusal

    def find(self, pred_id: str) -> Pending | None:
        """A prediction running or waiting, by id."""
        pending = self.inflight.get(pred_id)
        if pending is None and self.admission.waiting:
            pending = self.admission.waiting.get(pred_id)
        return pending

    def admit(self, pred_id: str, created_at: float) -> Pending:
        """Take a request `refuse` let in: it runs as soon as `dispatch` is called, or waits."""
        pending = Pending(pred_id, created_at)
        self.idle.clear()
        admission = self.admission
        if admission.queue_size and admission.must_wait(self):
            pending.queued = True
            admission.waiting[pred_id] = pending
            self._changed()
            return pending
        self.inflight[pred_id] = pending
        if len(self.inflight) >= self.slots:
            self._changed()
        return pending

    def dispatch(self, pending: Pending, msg: protocol.Predict, body: bytes | bytearray) -> None:
        """Send an admitted prediction to the worker, or keep it until it leaves the queue."""
        if pending.queued:
            pending.job = (msg, body)
            return
        assert self.worker is not None
        if self.admission.queue_size:
            self.metrics.queue_wait.observe(0.0)
            pending.started = time.monotonic()
        self.worker.send(msg, body)

    def _remember_finished(self, pred_id: str) -> None:
        self._finished.pop(pred_id, None)
        self._finished[pred_id] = time.monotonic()
        while len(self._finished) > FINISHED_MAX:
            self._finished.popitem(last=False)

    def recently_finished(self, pred_id: str) -> bool:
        """Whether `pred_id` ended (any status) within the last FINISHED_TTL_S seconds."""
        ended = self._finished.get(pred_id)
        return ended is not None and time.monotonic() - ended <= FINISHED_TTL_S

    def _pump(self) -> None:
        """Move waiting predictions into free slots, oldest first."""
        waiting = self.admission.waiting
        worker = self.worker
        if not waiting or self.state is not READY or worker is None:
            return
        inflight = self.inflight
        while waiting and len(inflight) < self.slots:
            pending = next(iter(waiting.values()))
            job = pending.job
            if job is None:   # admitted but not handed its request yet (cannot happen between awaits)
                break
            del waiting[pending.id]
            pending.queued = False
            pending.job = None
            inflight[pending.id] = pending
            self.metrics.queue_wait.observe(max(0.0, time.time() - pending.created_at))
            pending.started = time.monotonic()
            worker.send(*job)
        self._changed()

    def drop_waiting(self, error: str) -> None:
        """Answer every waiting prediction 503 (a failed webhook when it was accepted async)."""
        waiting = self.admission.waiting
        while waiting:
            _, pending = waiting.popitem(last=False)
            self._drop(pending, "failed", 503, error)

    def _drop(self, pending: Pending, status: str, code: int, error: str | None) -> None:
        pending.queued = False
        pending.job = None
        now = time.time()
        snap: dict[str, Any] = {"id": pending.id, "status": status, "logs": "", "metrics": {},
                                "created_at": iso(pending.created_at), "completed_at": iso(now)}
        if error:
            snap["error"] = error
        self._changed()
        self._settle(pending, status, code, jsonc.dumps(snap))

    def cancel(self, pred_id: str) -> bool:
        """Ask the worker to cancel; True (HTTP 200) also for a prediction that recently ended."""
        pending = self.inflight.get(pred_id)
        if pending is None:
            waiting = self.admission.waiting
            queued = waiting.pop(pred_id, None) if waiting else None
            if queued is None:
                return self.recently_finished(pred_id)
            self._drop(queued, "canceled", 200, None)   # it never reaches the worker
            return True
        worker = self.worker
        if worker is None:
            return True
        worker.send(protocol.Cancel(pred_id))
        if not pending.cancel_requested:
            pending.cancel_requested = True
            loop = asyncio.get_running_loop()
            pending.kill_timer = loop.call_later(self.settings.cancel_grace, self._cancel_overdue, pred_id, worker)
        return True

    def _cancel_overdue(self, pred_id: str, worker: WorkerHandle) -> None:
        if pred_id in self.inflight and worker is self.worker and not worker.dead:
            log.warning("prediction %s ignored cancellation for %.1f s: restarting the worker",
                        pred_id, self.settings.cancel_grace)
            worker.killed_for_cancel = True
            worker.kill()

    async def snapshot(self, pred_id: str) -> bytes | None:
        if self.worker is None:
            return None
        fut: asyncio.Future[bytes | None] = asyncio.get_running_loop().create_future()
        self._snap_waiters.setdefault(pred_id, []).append(fut)
        self.worker.send(protocol.SnapshotRequest(pred_id))
        try:
            return await asyncio.wait_for(fut, 5.0)
        except asyncio.TimeoutError:
            self._snap_waiters.pop(pred_id, None)
            return None

    async def user_health(self) -> str | None:
        """Run the user's healthcheck (coalesced); the error text, or None when healthy."""
        if self._health_inflight is not None and not self._health_inflight.done():
            return await asyncio.shield(self._health_inflight)
        worker = self.worker
        if worker is None:
            return None
        self._health_seq += 1
        seq = self._health_seq
        fut: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._health_waiters[seq] = fut
        self._health_inflight = fut
        worker.send(protocol.HealthRequest(seq))
        try:
            return await asyncio.wait_for(asyncio.shield(fut), self.settings.health_backstop)
        except asyncio.TimeoutError:
            self._health_waiters.pop(seq, None)
            return "Healthcheck failed: user-defined healthcheck timed out after 5.0 seconds"

    # -- health -----------------------------------------------------------------------------
    def status(self) -> Health:
        if self.state == READY and len(self.inflight) >= self.slots:
            return Health.BUSY
        return self.state

    def health_body(self, status: Health, user_error: str | None = None) -> bytes:
        if user_error is None:
            cached = self._health_cache.get(status)
            if cached is not None:
                return cached
        setup: dict[str, Any] = {"started_at": iso(self.setup_started), "status": self.setup_status}
        if self.setup_completed is not None:
            setup["completed_at"] = iso(self.setup_completed)
        logs = "".join(self.setup_logs)
        if logs:
            setup["logs"] = logs
        from cog_py._version import __version__
        import platform

        body: dict[str, Any] = {
            "status": status,
            "setup": setup,
            "version": {"cog_py": __version__, "python_sdk": __version__,
                        "python": self.info.get("python") or platform.python_version()},
        }
        if self.gpu is not None:
            body["gpu"] = self.gpu
        if self.admission.queue_size:
            body["queue"] = {"depth": self.admission.depth, "size": self.admission.queue_size}
        if user_error is not None:
            body["user_healthcheck_error"] = user_error
            return jsonc.dumps(body)
        data = jsonc.dumps(body)
        self._health_cache[status] = data
        return data


def _failed_snapshot(pending: Pending, blob: bytes) -> bytes:
    """A failed prediction for a 422 answer (`{"detail": [...]}` or a snapshot already)."""
    try:
        body = jsonc.loads(blob)
    except jsonc.DecodeError:
        body = None
    if isinstance(body, dict) and body.get("status") == "failed":
        return blob
    error = "Invalid input"
    if isinstance(body, dict) and isinstance(body.get("detail"), list):
        parts = []
        for item in body["detail"]:
            if isinstance(item, dict):
                loc = ".".join(str(x) for x in item.get("loc", ())[1:]) or "input"
                parts.append(f"{loc}: {item.get('msg', 'invalid')}")
        error = "Invalid input: " + "; ".join(parts) if parts else error
    now = time.time()
    return jsonc.dumps({"id": pending.id, "status": "failed", "error": error, "logs": "", "metrics": {},
                        "created_at": iso(pending.created_at), "completed_at": iso(now)})
