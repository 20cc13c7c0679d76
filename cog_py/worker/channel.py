"""The worker's end of the socket to the parent: framed, blocking, thread-safe sends."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, Callable, Iterator

from cog_py import protocol


class Channel:
    """Sends frames from any thread; reads frames on the one thread that calls `frames()`."""

    def __init__(self, fd: int) -> None:
        self._sock = socket.socket(fileno=fd)
        self._sock.setblocking(True)
        self._lock = threading.Lock()
        self._closed = False

    def send(self, msg: protocol.ToParent, blob: bytes = b"") -> None:
        frame = protocol.encode(msg, blob)
        with self._lock:
            if self._closed:
                return
            try:
                self._sock.sendall(frame)
            except OSError:
                # The parent is gone: nothing is left to do for this process.
                self._closed = True
                os._exit(0)

    def frames(self) -> Iterator[tuple[dict[str, Any], bytes]]:
        """Yield frames until the parent closes its end."""
        decoder = protocol.FrameDecoder()
        recv = self._sock.recv
        while True:
            try:
                # 64 KiB, not more: recv(n) allocates n bytes first, and a 1 MiB buffer is
                # mmap-ed and unmapped on every call (+12 µs per frame on this machine).
                data = recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            yield from decoder.feed(data)


def start_reader(channel: Channel, dispatch: Callable[[dict[str, Any], bytes], None],
                 on_eof: Callable[[], None]) -> threading.Thread:
    """Read frames on a daemon thread, hand each to `dispatch`, call `on_eof` at the end."""

    def loop() -> None:
        try:
            for header, blob in channel.frames():
                dispatch(header, blob)
        finally:
            on_eof()

    thread = threading.Thread(target=loop, name="cog-worker-reader", daemon=True)
    thread.start()
    return thread
