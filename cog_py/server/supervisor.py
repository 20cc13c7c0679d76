"""Starting the worker subprocess and talking to it from the event loop.

`spawn()` is plain blocking code so that `__main__` can start the worker before it imports
FastAPI (the worker's setup then overlaps the parent's own start-up). `WorkerHandle.attach()`
adopts the socket into the running loop. Death is noticed through a pidfd (no polling), or
the socket closing, whichever comes first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from typing import Any, Callable

from cog_py import protocol
from cog_py.server import jsonc
from cog_py.server.spawn import PARENT_ONLY_ENV, Spawned, spawn, worker_config

OnMessage = Callable[[protocol.ToParent, bytes], None]

# Starting the worker lives in spawn.py (no asyncio there, so __main__ starts it sooner).
__all__ = ["PARENT_ONLY_ENV", "Spawned", "WorkerHandle", "spawn", "worker_config"]


_encoder: Callable[[Any], bytes] | None = None


def _b64encode(data: Any) -> bytes:
    """Base64 of a file output's raw bytes (a `~b64` run): pybase64's SIMD encoder when it is
    installed (~3 µs per 100 KB against the stdlib's ~100-160), imported on the first file."""
    global _encoder
    if _encoder is None:
        try:
            import pybase64

            _encoder = pybase64.b64encode
        except ImportError:   # pybase64 is in the server's requirements; an image without it still works
            _encoder = protocol.std_b64encode
    return _encoder(data)


class _Protocol(asyncio.BufferedProtocol):
    """Frames from the worker, read in place: the loop reads into the decoder's buffers (small
    frames into its receive buffer, a large blob straight into a bytearray of its own)."""

    def __init__(self, handle: WorkerHandle) -> None:
        self.handle = handle
        self.decoder = protocol.FrameDecoder(jsonc.loads)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.decoder.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        on_message = self.handle.on_message
        decode = protocol.decode_to_parent
        for header, blob in self.decoder.buffer_updated(nbytes):
            if protocol.B64 in header:   # a file output's raw bytes: encoded here, into the body
                blob = protocol.expand(blob, header.pop(protocol.B64), _b64encode)
            on_message(decode(header), blob)

    def connection_lost(self, exc: Exception | None) -> None:
        self.handle._died()


class WorkerHandle:
    """The parent's view of one worker process."""

    def __init__(self, spawned: Spawned, on_message: OnMessage, on_exit: Callable[[WorkerHandle, int | None], None]) -> None:
        self.proc = spawned.proc
        self._sock = spawned.sock
        self.on_message = on_message
        self._on_exit = on_exit
        self._transport: asyncio.Transport | None = None
        self._pidfd: int | None = None
        self.dead = False
        self.expected_exit = False      # we asked it to stop (setup failure, shutdown, kill)
        self.killed_for_cancel = False
        self.reached_ready = False
        self._out: list[bytes | bytearray] = []   # frames of this event-loop turn, written by _flush
        self._flush_armed = False

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def attach(self) -> None:
        loop = asyncio.get_running_loop()
        self._sock.setblocking(False)
        transport, _ = await loop.create_unix_connection(lambda: _Protocol(self), sock=self._sock)
        self._transport = transport
        try:
            self._pidfd = os.pidfd_open(self.proc.pid)
        except (AttributeError, OSError):
            self._pidfd = None
        if self._pidfd is not None:
            loop.add_reader(self._pidfd, self._died)
        if self.proc.poll() is not None:
            self._died()

    def send(self, msg: protocol.ToWorker, blob: bytes | bytearray = b"") -> None:
        """Queue a frame for the worker; the frames of one event-loop turn go out in one write.

        Under load many requests are parsed in one turn: one write (and one wake-up of the
        worker, which on a shared core preempts this process) instead of one per request.
        """
        if self._transport is None or self.dead:
            return
        # A large request body is written as it is, not copied into a frame.
        self._out += protocol.frame_parts(msg, blob, jsonc.dumps_frame_header)
        if not self._flush_armed:
            self._flush_armed = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_armed = False
        out, self._out = self._out, []
        transport = self._transport
        if transport is None or self.dead or not out:
            return
        for buf in protocol.coalesce(out):
            transport.write(buf)

    def kill(self) -> None:
        self.expected_exit = True
        try:
            self.proc.send_signal(signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _died(self) -> None:
        if self.dead:
            return
        self.dead = True
        loop = asyncio.get_running_loop()
        if self._pidfd is not None:
            loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if self._transport is not None:
            self._transport.close()
        loop.create_task(self._reap())

    async def _reap(self) -> None:
        try:
            code = await asyncio.to_thread(self.proc.wait, 10)
        except subprocess.TimeoutExpired:
            self.kill()
            code = await asyncio.to_thread(self.proc.wait)
        protocol.remove_input_dirs(self.proc.pid)   # what a killed worker could not remove itself
        self._on_exit(self, code)

    async def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to exit; kill it if it does not."""
        self.expected_exit = True
        if self.proc.poll() is None:
            self.send(protocol.Shutdown())
            try:
                await asyncio.wait_for(asyncio.to_thread(self.proc.wait, timeout + 1), timeout)
            except (asyncio.TimeoutError, subprocess.TimeoutExpired):
                self.kill()
                await asyncio.to_thread(self.proc.wait)
