"""The worker's framed socket: several frames in one write, big blobs apart, order kept."""

from __future__ import annotations

import asyncio
import socket
import threading

from cog_py import protocol
from cog_py.worker.channel import Channel


def _pair() -> tuple[Channel, socket.socket]:
    ours, theirs = socket.socketpair()
    return Channel(ours.detach()), theirs


def _read_frames(sock: socket.socket, n: int) -> list[tuple[protocol.ToParent, bytes]]:
    decoder = protocol.FrameDecoder()
    out: list[tuple[protocol.ToParent, bytes]] = []
    while len(out) < n:
        data = sock.recv(1 << 16)
        assert data, "closed early"
        out += [(protocol.decode_to_parent(h), bytes(b)) for h, b in decoder.feed(data)]
    return out


def test_send_many_keeps_order_and_sends_big_blobs_apart():
    channel, other = _pair()
    big = bytes(range(256)) * 1024   # 256 KiB: sent after its header, not copied into a frame
    items = [(protocol.Done("a", "succeeded", 200), b'{"id":"a"}'),
             (protocol.Done("b", "succeeded", 200), big),
             (protocol.Accepted("c"), b""),
             (protocol.Done("c", "failed", 422), b'{"id":"c"}')]
    got: list[tuple[protocol.ToParent, bytes]] = []
    reader = threading.Thread(target=lambda: got.extend(_read_frames(other, len(items))))
    reader.start()
    channel.send_many(items)
    reader.join(10)
    assert [(type(m).__name__, getattr(m, "id", None)) for m, _ in got] == \
        [("Done", "a"), ("Done", "b"), ("Accepted", "c"), ("Done", "c")]
    assert got[1][1] == big and got[0][1] == b'{"id":"a"}'
    other.close()
    channel._sock.close()


def test_async_sender_batches_done_frames_of_a_loop_turn(monkeypatch):
    from cog_py.worker.runtime import Worker

    channel, other = _pair()
    writes: list[int] = []
    real_send_many = channel.send_many
    monkeypatch.setattr(channel, "send_many", lambda items: (writes.append(len(items)), real_send_many(items)))
    worker = Worker.__new__(Worker)
    worker.channel = channel
    loop = asyncio.new_event_loop()
    try:
        send = worker._loop_sender(loop)

        async def turn() -> None:
            send(protocol.Done("x", "succeeded", 200), b"1")
            send(protocol.Done("y", "succeeded", 200), b"2")     # same turn: one write with x
            await asyncio.sleep(0)
            send(protocol.Done("z", "succeeded", 200), b"3")
            send(protocol.Accepted("w"), b"")                     # not a DONE: z goes first, then this

        loop.run_until_complete(turn())
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    got = _read_frames(other, 4)
    assert [m.id for m, _ in got] == ["x", "y", "z", "w"]   # type: ignore[attr-defined]
    assert writes[0] == 2   # x and y together
    other.close()
    channel._sock.close()
