"""The worker's end of the socket to the parent: framed, blocking, thread-safe sends."""

from __future__ import annotations

import json
import os
import socket
import threading
from typing import Any, Callable, Iterator, cast

from cog_py import protocol


_LARGE = 1 << 20   # blobs above this are received into their own buffer


def _recv_exactly(sock: socket.socket, view: memoryview) -> bool:
    """Fill `view` from `sock`; False when the parent closed the socket first."""
    with view:
        while view.nbytes:
            try:
                n = sock.recv_into(view, min(view.nbytes, 1 << 20))
            except OSError:
                return False
            if n == 0:
                return False
            view = view[n:]
    return True


_IOV = 512   # buffers per sendmsg (the kernel takes up to IOV_MAX, 1024 on Linux)


def _send_all(sock: socket.socket, buffers: list[bytes | bytearray]) -> None:
    """Write `buffers` in order with as few system calls as the socket allows (sendmsg gathers
    them; no joined copy). A send cut short (a signal: SIGUSR1 cancels) goes on where it stopped."""
    views: list[Any] = list(buffers)
    while views:
        sent = sock.sendmsg(views[:_IOV])
        while sent:
            size = len(views[0])
            if sent >= size:
                sent -= size
                views.pop(0)
            else:
                views[0] = memoryview(views[0])[sent:]
                sent = 0


class Channel:
    """Sends frames from any thread; reads frames on the one thread that calls `frames()`."""

    def __init__(self, fd: int) -> None:
        self._sock = socket.socket(fileno=fd)
        self._sock.setblocking(True)
        self._lock = threading.Lock()
        self._closed = False

    def send(self, msg: protocol.ToParent, blob: protocol.Blob = b"") -> None:
        # A large blob (a file output's body, its raw file bytes) is written as it is, not
        # copied into the frame.
        self._write(protocol.frame_parts(msg, blob))

    def send_many(self, items: list[tuple[protocol.ToParent, protocol.Blob]]) -> None:
        """Send several frames with as few writes as their sizes allow (one, when all are small)."""
        parts: list[bytes | bytearray] = []
        for msg, blob in items:
            parts += protocol.frame_parts(msg, blob)
        self._write(protocol.coalesce(parts))

    def _write(self, buffers: list[bytes | bytearray]) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                if len(buffers) == 1:
                    self._sock.sendall(buffers[0])
                else:
                    _send_all(self._sock, buffers)
            except OSError:
                # The parent is gone: nothing is left to do for this process.
                self._closed = True
                os._exit(0)

    def read_config(self) -> dict[str, Any] | None:
        """The CONFIG frame the parent sends first when it started this worker before reading its
        settings (`spawn.spawn_early`); None when the parent closed the socket instead."""
        prefix = bytearray(protocol.PREFIX_SIZE)
        if not _recv_exactly(self._sock, memoryview(prefix)):
            return None
        hlen, blen = protocol.PREFIX.unpack(prefix)
        rest = bytearray(hlen + blen)
        if not _recv_exactly(self._sock, memoryview(rest)):
            return None
        header = json.loads(bytes(rest[:hlen]))
        if header.get("t") != protocol.CONFIG:
            raise RuntimeError(f"the first frame from the parent is {header.get('t')!r}, not {protocol.CONFIG!r}")
        return cast("dict[str, Any]", header["config"])

    def read_on_loop(self, loop: Any, dispatch: Callable[[dict[str, Any], bytes], None],
                     on_eof: Callable[[], None]) -> None:
        """Read frames on `loop` (an asyncio loop, this thread's) as they arrive: `dispatch` each.

        The socket stays blocking (other threads send on it with sendall); a read is only made
        when the loop's selector says there is something to read, so it never waits.
        """
        sock = self._sock
        decoder = protocol.FrameDecoder(json.loads)

        def readable() -> None:
            try:
                data = sock.recv(1 << 16)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(sock.fileno())
                on_eof()
                return
            for header, blob in decoder.feed(data):
                dispatch(header, blob)

        loop.add_reader(sock.fileno(), readable)

    def frames(self) -> Iterator[tuple[dict[str, Any], bytes]]:
        """Yield frames until the parent closes its end.

        A frame with a large blob (a big request body) is read straight into one bytearray
        of its final size, so the worker holds the body once; the consumer may free it early.
        """
        sock = self._sock
        loads = json.loads
        prefix, prefix_size = protocol.PREFIX, protocol.PREFIX_SIZE
        buf = bytearray()
        while True:
            try:
                # 64 KiB, not more: recv(n) allocates n bytes first, and a 1 MiB buffer is
                # mmap-ed and unmapped on every call (+12 µs per frame on this machine).
                data = sock.recv(1 << 16)
            except OSError:
                return
            if not data:
                return
            buf += data
            pos = 0
            end = len(buf)
            while end - pos >= prefix_size:
                hlen, blen = prefix.unpack_from(buf, pos)
                hstart = pos + prefix_size
                bstart = hstart + hlen
                stop = bstart + blen
                if stop > end and blen > _LARGE and end >= bstart:
                    header = loads(buf[hstart:bstart].decode())
                    blob = bytearray(blen)
                    have = end - bstart
                    blob[:have] = buf[bstart:end]
                    del buf[:]
                    if not _recv_exactly(sock, memoryview(blob)[have:]):
                        return
                    yield header, cast(bytes, blob)   # a bytearray: the executor frees it once parsed
                    pos = end = 0
                    break
                if stop > end:
                    break
                yield loads(buf[hstart:bstart].decode()), bytes(buf[bstart:stop])
                pos = stop
            if pos:
                del buf[:pos]

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
