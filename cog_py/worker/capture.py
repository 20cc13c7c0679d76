"""Log capture in the worker: route everything the model writes to the prediction that wrote it.

Two layers, because models write in two ways:
- Python code (`print`, `logging`) goes through `sys.stdout`/`sys.stderr`, which we replace with
  streams that look up the running prediction in a ContextVar (correct even for concurrent async
  predictions).
- C code and child processes write to fd 1/2 directly. Those fds are redirected to pipes, and a
  pump thread per pipe hands the text to the only running prediction, or to the setup log.
Everything captured is mirrored to the worker's original stderr so container logs still show it.
"""

from __future__ import annotations

import codecs
import contextvars
import io
import os
import select
import sys
import threading
import time
from typing import Any, Callable, Protocol

try:  # Linux/macOS: bytes waiting in a pipe, to know when a pump has caught up.
    import fcntl
    import termios

    _FIONREAD = termios.FIONREAD
except ImportError:  # pragma: no cover - non-POSIX
    fcntl = None  # type: ignore[assignment]
    _FIONREAD = 0


class LogTarget(Protocol):
    def add_log(self, source: str, text: str) -> None: ...


current_target: contextvars.ContextVar[LogTarget | None] = contextvars.ContextVar(
    "cog_py_log_target", default=None
)


class Router:
    """Decides where a piece of captured text goes."""

    def __init__(self, mirror_fd: int | None) -> None:
        self.mirror_fd = mirror_fd
        self.active: dict[str, LogTarget] = {}
        self.setup_sink: Callable[[str, str], None] | None = None

    def route(self, source: str, text: str, *, from_fd: bool = False) -> None:
        if not text:
            return
        target = None if from_fd else current_target.get()
        if target is None and len(self.active) == 1:
            # Threads the model starts do not inherit the ContextVar; with one prediction
            # running there is no doubt whose output it is.
            for target in self.active.values():
                break
        if target is not None:
            target.add_log(source, text)
        elif self.setup_sink is not None:
            self.setup_sink(source, text)
        self.mirror(text)

    def mirror(self, text: str) -> None:
        if self.mirror_fd is None:
            return
        try:
            os.write(self.mirror_fd, text.encode("utf-8", "replace"))
        except OSError:
            pass


class RoutedStream(io.TextIOBase):
    """A text stream standing in for sys.stdout/sys.stderr."""

    def __init__(self, router: Router, source: str, fd: int, original: Any) -> None:
        self._router = router
        self._source = source
        self._fd = fd
        self._original = original

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        self._router.route(self._source, s)
        return len(s)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    @property
    def buffer(self) -> Any:
        # Bytes written here reach fd 1/2, that is the pipe, and are captured there.
        return self._original.buffer


class _Pump(threading.Thread):
    def __init__(self, router: Router, source: str, read_fd: int) -> None:
        super().__init__(name=f"cog-pump-{source}", daemon=True)
        self.router = router
        self.source = source
        self.read_fd = read_fd
        self.waiting = False
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def run(self) -> None:
        # `waiting` is True only while nothing has been taken out of the pipe and not routed:
        # the pump first waits for the pipe to be readable (waiting), then clears the flag, and
        # only then reads. So `waiting` + an empty pipe means everything written was routed.
        # (Clearing the flag after a blocking read left a window in which the bytes were out of
        # the pipe but the flag still said "waiting", and drain() returned too early.)
        poller = select.poll()
        poller.register(self.read_fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            self.waiting = True
            try:
                poller.poll()
            except OSError:
                return
            self.waiting = False
            try:
                data = os.read(self.read_fd, 65536)
            except OSError:
                return
            if not data:
                return
            self.router.route(self.source, self._decoder.decode(data), from_fd=True)

    def caught_up(self) -> bool:
        """True when everything written to the pipe so far has been routed."""
        if not self.waiting:
            return False   # reading or routing right now
        if fcntl is None:
            return True
        buf = bytearray(4)
        try:
            fcntl.ioctl(self.read_fd, _FIONREAD, buf)
        except OSError:
            return True
        return int.from_bytes(buf, sys.byteorder) == 0


class Capture:
    """Redirects fd 1/2 into pipes and replaces sys.stdout/sys.stderr. Install once."""

    def __init__(self) -> None:
        self.mirror_fd = os.dup(2)
        self.router = Router(self.mirror_fd)
        self._pumps: list[_Pump] = []
        self._fflush: Callable[[Any], int] | None = None

    def install(self) -> None:
        for fd, source, original in ((1, "stdout", sys.stdout), (2, "stderr", sys.stderr)):
            if original is not None:
                try:
                    original.flush()
                except (OSError, ValueError):
                    pass
            read_fd, write_fd = os.pipe()
            os.dup2(write_fd, fd)
            os.close(write_fd)
            pump = _Pump(self.router, source, read_fd)
            pump.start()
            self._pumps.append(pump)
            stream = RoutedStream(self.router, source, fd, original)
            if fd == 1:
                sys.stdout = stream
            else:
                sys.stderr = stream
        try:
            import ctypes

            self._fflush = ctypes.CDLL(None).fflush
        except (ImportError, OSError, AttributeError):  # pragma: no cover
            self._fflush = None

    def drain(self, timeout: float = 1.0) -> None:
        """Wait until what C code and children wrote to fd 1/2 so far has been routed.

        Returns at once in the usual case (the pumps are idle and the pipes empty); the timeout
        only bounds the wait when a pump cannot keep up, say on a loaded machine, or a child
        process keeps writing after predict() returned."""
        if self._fflush is not None:
            self._fflush(None)
        deadline = time.monotonic() + timeout
        while not all(p.caught_up() for p in self._pumps):
            if time.monotonic() > deadline:
                return
            time.sleep(0.0005)
