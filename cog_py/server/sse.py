"""Server-Sent Events for @streaming predictions: a replay buffer and live subscribers."""

from __future__ import annotations

import asyncio
import collections
from typing import Any, Awaitable, Callable

from cog_py.server import jsonc

KEEPALIVE_S = 15.0
MAX_SUBSCRIBERS = 1024

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


def frame(event: str, data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"


class EventStream:
    """The events of one prediction. `None` in a subscriber queue means: the stream ended."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.history: collections.deque[bytes] = collections.deque(maxlen=capacity or None)
        self.dropped = 0
        self.subscribers: set[asyncio.Queue[bytes | None]] = set()
        self.closed = False

    def publish(self, event: str, data: bytes | str, *, final: bool = False) -> None:
        chunk = frame(event, data)
        if self.capacity:
            if len(self.history) == self.capacity:
                self.dropped += 1
            self.history.append(chunk)
        for queue in self.subscribers:
            queue.put_nowait(chunk)
        if final:
            self.closed = True
            for queue in self.subscribers:
                queue.put_nowait(None)

    def subscribe(self, *, replay: bool) -> tuple[asyncio.Queue[bytes | None], list[bytes], bool]:
        """A new queue, the frames to replay first, and whether replay was truncated."""
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        truncated = replay and self.dropped > 0
        backlog = list(self.history) if replay else []
        self.subscribers.add(queue)
        return queue, backlog, truncated


async def stream_response(stream: EventStream, send: Send, receive: Receive, *, replay: bool,
                          on_last_gone: Callable[[], None] | None) -> None:
    """Write an SSE response until the stream ends or the client goes away."""
    if len(stream.subscribers) >= MAX_SUBSCRIBERS:
        body = jsonc.dumps({"error": "Too many stream subscribers"})
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    queue, backlog, truncated = stream.subscribe(replay=replay)
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]})
    gone = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        if truncated:
            data = jsonc.dumps({"error": "SSE stream replay truncated; events were dropped", "skipped": stream.dropped})
            await send({"type": "http.response.body", "body": frame("error", data), "more_body": True})
            return
        if backlog:
            await send({"type": "http.response.body", "body": b"".join(backlog), "more_body": True})
            if stream.closed:
                return
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, gone}, timeout=KEEPALIVE_S, return_when=asyncio.FIRST_COMPLETED)
            if gone in done:
                getter.cancel()
                return
            if not done:
                getter.cancel()
                await send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})
                continue
            chunk = getter.result()
            if chunk is None:
                return
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        stream.subscribers.discard(queue)
        client_left = gone.done()
        gone.cancel()
        if not client_left:
            try:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except Exception:  # noqa: BLE001 - the client may be gone already
                pass
        if client_left and not stream.subscribers and not stream.closed and on_last_gone is not None:
            on_last_gone()


async def _wait_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
