"""Starting the worker subprocess: plain blocking code with few imports (no asyncio, no FastAPI),
so that `__main__` starts the worker first and the model's import and setup() overlap the
parent's own start-up. `supervisor.WorkerHandle` adopts the result once the loop runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
TYPE_CHECKING = False   # not typing's: imported before the worker is spawned; mypy reads it as True
if TYPE_CHECKING:
    from typing import Any

from cog_py import protocol

if TYPE_CHECKING:
    from cog_py.server.settings import Settings

# glibc's malloc hands a freed block of 128 KB+ back to the kernel and maps a fresh one for the
# next: every 100 KB body (a file output, a data URI input) then costs its page faults again
# (~50 µs per such allocation on our VM; base64 of 100 KB 167 -> 103 µs, a 137 KB frame's
# receive 92 -> 12 µs). Up to 1 MiB comes from the heap, and 4 MiB of free heap is kept.
# Operators can set these variables themselves; the server only fills them in.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(1 << 20), "MALLOC_TRIM_THRESHOLD_": str(4 << 20)}


def tune_malloc() -> None:
    """The same settings for this process (already running: through mallopt), glibc only."""
    if any(name in os.environ for name in MALLOC_ENV):
        return   # glibc read them at start
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):   # not glibc (musl has no mallopt)
        return
    mallopt(-3, 1 << 20)   # M_MMAP_THRESHOLD
    mallopt(-1, 4 << 20)   # M_TRIM_THRESHOLD

# Environment variables the worker (user code) never sees.
PARENT_ONLY_ENV = ("WEBHOOK_AUTH_TOKEN",)


def worker_config(settings: Settings, *, render_schema: bool) -> dict[str, Any]:
    return {
        "ref": settings.ref,
        "mode": settings.mode,
        "predict_ref": settings.predict_ref,
        "train_ref": settings.train_ref,
        "project_dir": str(settings.project_dir),
        "upload_url": settings.upload_url,
        "max_concurrency": settings.max_concurrency,
        "batch": ([settings.batch_max_size, settings.batch_max_wait_ms]
                  if settings.batch_max_size or settings.batch_max_wait_ms is not None else None),
        "render_schema": render_schema,
    }


class Spawned:
    """A started worker process and the parent's end of its socket."""

    def __init__(self, proc: subprocess.Popen[bytes], sock: socket.socket, *, python: str = "", cwd: str = "") -> None:
        self.proc = proc
        self.sock = sock
        self.started_at = time.time()
        self.python = python   # what it was started with (an early worker is checked against the settings)
        self.cwd = cwd
        self.configured = False   # an early worker: CONFIG sent

    def configure(self, settings: Settings, *, render_schema: bool) -> None:
        """Send an early worker its configuration (the CONFIG frame it waits for)."""
        config = worker_config(settings, render_schema=render_schema)
        self.sock.sendall(protocol.encode_frame({"t": protocol.CONFIG, "config": config}))
        self.configured = True

    def discard(self) -> None:
        """Stop an early worker that will not be used: without its CONFIG it exits when the socket closes."""
        self.sock.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _start(python: str, cwd: str, config: dict[str, Any] | None) -> Spawned:
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    env = dict(os.environ)
    # The parent's own credentials are not the model's business: user code runs in the worker.
    for name in PARENT_ONLY_ENV:
        env.pop(name, None)
    for name, value in MALLOC_ENV.items():
        env.setdefault(name, value)
    env[protocol.ENV_FD] = str(child.fileno())
    if config is not None:
        env[protocol.ENV_CONFIG] = json.dumps(config)
    else:
        env.pop(protocol.ENV_CONFIG, None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Nothing of the parent's environment is added to the worker's sys.path: it must see the
    # user's packages (and the stdlib-only SDK installed beside them), never fastapi/pydantic 2.
    try:
        proc = subprocess.Popen(
            [python, "-m", "cog_py.worker"],
            pass_fds=(child.fileno(),),
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
        )
    except BaseException:
        parent.close()
        raise
    finally:
        child.close()
    return Spawned(proc, parent, python=python, cwd=cwd)


def spawn(settings: Settings, *, render_schema: bool) -> Spawned:
    """Start `<worker python> -m cog_py.worker` with one end of a socketpair."""
    return _start(settings.worker_python, str(settings.project_dir),
                  worker_config(settings, render_schema=render_schema))


def spawn_early() -> Spawned | None:
    """Start the worker before the parent has read its settings: the worker's own imports (~30 ms
    in an image) then overlap the parent's (settings, protocol: ~20 ms), and `configure()` sends
    the configuration once it is known. The interpreter and directory are the ones the settings
    will name (`COG_WORKER_PYTHON` or this python; the working directory); `__main__` checks that
    and discards the worker otherwise. None when it cannot start (the normal spawn reports why)."""
    try:
        return _start(os.environ.get("COG_WORKER_PYTHON") or sys.executable, os.getcwd(), None)
    except OSError:
        return None
