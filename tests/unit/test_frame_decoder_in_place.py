"""FrameDecoder read in place (get_buffer / buffer_updated, as asyncio.BufferedProtocol is driven).

`Socket` plays the event loop and the kernel: bytes arrive in pieces; each read fills at most the
buffer the decoder offers and keeps that buffer exported while `buffer_updated` runs (the stdlib
loop does), so a resize of a buffer still being filled would raise BufferError here.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from cog_py import protocol

Frame = tuple[dict[str, Any], bytes]


class Socket:
    """Reads into the decoder's buffers, the way a loop drains a readable socket."""

    def __init__(self, decoder: protocol.FrameDecoder) -> None:
        self.decoder = decoder
        self.frames: list[Frame] = []
        self.filled: list[bytearray] = []   # the large blobs' bytearrays the kernel wrote into

    def arrive(self, data: bytes) -> None:
        """`data` is readable: read until it is all taken (several reads when buffers are short)."""
        pos = 0
        while pos < len(data):
            view = self.decoder.get_buffer(-1)
            assert len(view) > 0
            if type(view.obj) is bytearray and view.obj is not self.decoder._small:
                self.filled.append(view.obj)
            n = min(len(view), len(data) - pos)
            view[:n] = data[pos:pos + n]
            pos += n
            self.frames += self.decoder.buffer_updated(n)   # `view` still exported, as in asyncio
            del view


FRAMES: list[Frame] = [
    ({"t": "a"}, b"1"),
    ({"t": "done", "id": "big1"}, bytes(range(256)) * 300),     # 76 800 bytes: large
    ({"t": "empty"}, b""),
    ({"t": "done", "id": "big2"}, b"\xff" * (protocol.LARGE_BLOB + 1)),
    ({"t": "done", "id": "big3"}, b"\x01" * 100_003),
    ({"t": "small", "x": "y" * 300}, b"z" * 5000),
    ({"t": "edge"}, b"e" * protocol.LARGE_BLOB),                 # the largest small blob
    ({"t": "c"}, b"3"),
]


def encoded(frames: list[Frame]) -> bytes:
    return b"".join(protocol.encode_frame(h, b) for h, b in frames)


def read_in(pieces: list[bytes], **kw: Any) -> Socket:
    sock = Socket(protocol.FrameDecoder(**kw))
    for piece in pieces:
        sock.arrive(piece)
    return sock


def test_frames_split_at_every_byte_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every split of a stream of small, large and empty frames, a receive buffer of 24 bytes
    (headers larger than it, frames moved to its start) and large blobs above 40 bytes."""
    monkeypatch.setattr(protocol, "LARGE_BLOB", 40)
    frames: list[Frame] = [({"t": "a"}, b"1"), ({"t": "big", "i": 1}, bytes(range(90))), ({"t": "e"}, b""),
                           ({"t": "header-larger-than-the-buffer", "pad": "p" * 40}, b"sm"),
                           ({"t": "b"}, b"x" * 40), ({"t": "b"}, b"y" * 41), ({"t": "c"}, b"")]
    data = encoded(frames)
    for size in (24, 64, 4096):
        for i in range(len(data) + 1):
            got = read_in([data[:i], data[i:]], size=size).frames
            assert got == frames, (size, i)
        for i in range(0, len(data), 7):   # and three pieces
            for j in range(i, len(data), 13):
                assert read_in([data[:i], data[i:j], data[j:]], size=size).frames == frames, (size, i, j)


def test_frames_in_random_pieces_with_the_real_sizes() -> None:
    data = encoded(FRAMES * 3)
    rng = random.Random(5)
    for _ in range(60):
        pieces, pos = [], 0
        while pos < len(data):
            n = rng.choice((1, 2, 7, rng.randrange(1, 300), rng.randrange(1, 70_000), 200_000))
            pieces.append(data[pos:pos + n])
            pos += n
        sock = read_in(pieces)
        assert sock.frames == FRAMES * 3
        assert [type(b) for _, b in sock.frames] == [
            bytearray if len(b) > protocol.LARGE_BLOB else bytes for _, b in FRAMES * 3]


def test_the_large_blob_is_the_bytearray_the_kernel_filled() -> None:
    """Handed on as it is, no copy: the object get_buffer offered is the one in the frame."""
    frame = ({"t": "done", "id": "p"}, b"\x07" * 137_000)
    sock = read_in([protocol.encode_frame(*frame)])
    [(header, blob)] = sock.frames
    assert header == frame[0] and blob == frame[1]
    assert any(blob is filled for filled in sock.filled)
    assert len(sock.filled) == 1 and type(blob) is bytearray


def test_many_frames_in_one_read_and_the_buffer_starts_over() -> None:
    frames = [({"t": "done", "id": f"p{i}", "code": 200}, json.dumps({"output": i}).encode()) for i in range(1000)]
    data = encoded(frames)
    decoder = protocol.FrameDecoder()
    sock = Socket(decoder)
    sock.arrive(data[:60_000])
    sock.arrive(data[60_000:])
    assert sock.frames == frames
    assert decoder._pos == decoder._end == 0 and decoder._buf is decoder._small
    assert len(decoder._small) == protocol.RECEIVE_BUFFER   # never resized


def test_a_header_larger_than_the_receive_buffer() -> None:
    """A READY header with a large schema, before and after a large blob: a buffer of the
    frame's own size, then back to the receive buffer."""
    schema = {"components": {f"k{i}": "v" * 50 for i in range(3000)}}   # ~170 KB of header
    frames: list[Frame] = [({"t": "x"}, b"1"), ({"t": "ready", "schema": schema}, b""),
                           ({"t": "done", "schema": schema}, b"b" * 200_000), ({"t": "y"}, b"2")]
    data = encoded(frames)
    for step in (1000, 65_536, 100_000, len(data)):
        sock = read_in([data[i:i + step] for i in range(0, len(data), step)])
        assert sock.frames == frames, step
        assert sock.decoder._buf is sock.decoder._small and len(sock.decoder._small) == protocol.RECEIVE_BUFFER


def test_feed_is_the_same_decoder() -> None:
    """`feed` (bytes read elsewhere: the worker's channel) copies into the same buffers."""
    data = encoded(FRAMES)
    for step in (1, 333, 65_536, len(data)):
        decoder = protocol.FrameDecoder()
        got: list[Frame] = []
        for i in range(0, len(data), step):
            got += decoder.feed(data[i:i + step])
        assert got == FRAMES, step


def test_a_receive_buffer_larger_than_a_large_blob() -> None:
    """A large blob complete in the receive buffer is copied out once and handed on."""
    big = ({"t": "done"}, b"q" * 70_000)
    data = encoded([({"t": "a"}, b""), big, ({"t": "b"}, b"b")])
    assert read_in([data], size=1 << 20).frames == [({"t": "a"}, b""), big, ({"t": "b"}, b"b")]
