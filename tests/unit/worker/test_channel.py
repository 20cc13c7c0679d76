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


def test_a_spliced_body_goes_out_in_one_gathered_write_with_its_runs_in_the_header():
    channel, other = _pair()
    raw = bytes(range(256)) * 400
    body = protocol.Spliced([b'{"output":"data:x;base64,', raw, b'"}'])
    got: list[tuple[dict[str, object], bytes]] = []

    def read() -> None:
        decoder = protocol.FrameDecoder()
        while not got:
            got.extend(decoder.feed(other.recv(1 << 17)))

    reader = threading.Thread(target=read)
    reader.start()
    channel.send(protocol.Done("p", "succeeded"), body)
    reader.join(10)
    [(header, blob)] = got
    assert header[protocol.B64] == body.spans and bytes(blob) == b"".join(body.parts)
    other.close()
    channel._sock.close()


def test_send_all_goes_on_where_a_short_send_stopped():
    from cog_py.worker.channel import _send_all

    class Short:   # a socket whose sendmsg takes at most 5 bytes a call (as after a signal)
        def __init__(self) -> None:
            self.out = bytearray()

        def sendmsg(self, buffers: list[bytes]) -> int:
            data = b"".join(bytes(b) for b in buffers)[:5]
            self.out += data
            return len(data)

    sock = Short()
    parts = [b"abc", b"", b"defghijkl", b"m", bytes(range(40))]
    _send_all(sock, parts)  # type: ignore[arg-type]
    assert bytes(sock.out) == b"".join(parts)
