"""Frame encoding and incremental decoding."""

from __future__ import annotations

from cog_py import protocol


def test_frames_round_trip_in_any_split():
    frames = [({"t": "predict", "id": "a"}, b'{"input":{}}'), ({"t": "cancel", "id": "a"}, b""),
              ({"t": "done", "id": "a", "code": 200}, b"x" * 100_000)]
    data = b"".join(protocol.encode_frame(h, b) for h, b in frames)
    for step in (1, 7, 4096, len(data)):
        decoder = protocol.FrameDecoder()
        got = []
        for i in range(0, len(data), step):
            got.extend(decoder.feed(data[i:i + step]))
        assert got == frames


def test_partial_frame_waits_for_the_rest():
    frame = protocol.encode_frame({"t": "x"}, b"blob")
    decoder = protocol.FrameDecoder()
    assert decoder.feed(frame[:-1]) == []
    assert decoder.feed(frame[-1:]) == [({"t": "x"}, b"blob")]
