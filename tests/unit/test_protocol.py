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


def test_each_message_kind_keeps_the_wire_header():
    """A typed message encodes to the same bytes as the dict header the two sides used before."""
    cases = [
        (protocol.Predict("p1", 1.5, "predictions", ["start"], True, False),
         {"t": "predict", "id": "p1", "created_at": 1.5, "kind": "predictions", "wh": ["start"], "sse": True,
          "ack": False}),
        (protocol.Cancel("p1"), {"t": "cancel", "id": "p1"}),
        (protocol.SnapshotRequest("p1"), {"t": "snapshot", "id": "p1"}),
        (protocol.HealthRequest(3), {"t": "health", "seq": 3}),
        (protocol.Shutdown(), {"t": "shutdown"}),
        (protocol.SetupLog("hi\n"), {"t": "setup_log", "data": "hi\n"}),
        (protocol.Gpu({"requested": True}), {"t": "gpu", "report": {"requested": True}}),
        (protocol.Ready({"streaming": False}, None), {"t": "ready", "info": {"streaming": False}, "schema": None}),
        (protocol.SetupFailed("boom"), {"t": "setup_failed", "error": "boom"}),
        (protocol.Accepted("p1"), {"t": "accepted", "id": "p1"}),
        (protocol.Webhook("p1", "logs"), {"t": "webhook", "id": "p1", "event": "logs"}),
        (protocol.Sse("p1", "output", "{}"), {"t": "sse", "id": "p1", "event": "output", "data": "{}"}),
        (protocol.Done("p1", "succeeded", 200), {"t": "done", "id": "p1", "status": "succeeded", "code": 200}),
        (protocol.SnapshotReply("p1", True), {"t": "snapshot", "id": "p1", "found": True}),
        (protocol.HealthReply(3, None), {"t": "health", "seq": 3, "error": None}),
    ]
    to_worker = (protocol.Predict, protocol.Cancel, protocol.SnapshotRequest, protocol.HealthRequest,
                 protocol.Shutdown)
    for msg, header in cases:
        assert protocol.encode(msg, b"b") == protocol.encode_frame(header, b"b")
        [(got, blob)] = protocol.FrameDecoder().feed(protocol.encode(msg, b"b"))
        decode = protocol.decode_to_worker if isinstance(msg, to_worker) else protocol.decode_to_parent
        assert decode(got) == msg and blob == b"b"


def test_messages_are_frozen():
    import pytest

    with pytest.raises(AttributeError, match="cannot assign to field 'status'"):
        protocol.Done("p1", "succeeded").status = "failed"  # type: ignore[misc]


def test_what_the_parent_imports_before_the_spawn_is_small():
    """The parent imports these before it spawns the worker (every ms there delays the model's
    start): no dataclasses/inspect, typing, argparse (forgotten first: site may have imported them)."""
    import subprocess
    import sys

    heavy = ("dataclasses", "inspect", "typing", "argparse", "tempfile", "shutil")
    code = (f"import sys\nfor name in {heavy!r}: sys.modules.pop(name, None)\n"
            "from cog_py.server.settings import load_settings, parse_args\n"
            "load_settings(parse_args([]), {'COG_PREDICT_TYPE_STUB': 'predict.py:Predictor'})\n"
            "import cog_py.server.spawn, cog_py.protocol\n"
            f"print(sorted(set({heavy!r}) & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_unions_are_there_on_first_use():
    import typing

    assert typing.get_args(protocol.ToParent)[0] is protocol.SetupLog
    assert protocol.Predict in typing.get_args(protocol.ToWorker)
    with __import__("pytest").raises(AttributeError):
        protocol.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_a_left_out_field_decodes_as_its_default():
    done = protocol.decode_to_parent({"t": "done", "id": "p1", "status": "failed"})
    assert done == protocol.Done("p1", "failed", 200) and done.code == 200


def test_large_blobs_between_small_frames_in_reads_of_any_size():
    """Large blobs go to a buffer of their own; the frames around them are unaffected."""
    big1, big2 = bytes(range(256)) * 600, b"\xff" * 70_001
    frames = [({"t": "a"}, b"1"), ({"t": "done", "id": "x"}, big1), ({"t": "b"}, b""),
              ({"t": "done", "id": "y"}, big2), ({"t": "done", "id": "z"}, big1), ({"t": "c"}, b"3")]
    data = b"".join(protocol.encode_frame(h, b) for h, b in frames)
    for step in (3, 1000, 65_536, 100_000, 153_611, len(data)):
        decoder = protocol.FrameDecoder()
        got = []
        for i in range(0, len(data), step):
            got.extend(decoder.feed(data[i:i + step]))
        assert got == frames, step
        assert all(isinstance(blob, (bytes, bytearray)) for _, blob in got)


def test_iso_is_datetimes_own_text_for_every_rounding_edge():
    import random
    from datetime import datetime, timezone

    from cog_py.protocol import iso

    rng = random.Random(17)
    edges = [0.0, 1.5, 0.0000005, 0.0000015, 0.9999995, 0.9999999, 1e-7, 0.5]
    samples = [rng.uniform(0, 4e9) for _ in range(20000)]
    samples += [float(int(t)) + e for t in samples[:2000] for e in edges]
    for ts in samples:
        assert iso(ts) == datetime.fromtimestamp(ts, timezone.utc).isoformat(), ts
    assert iso(None) is None


def test_done_frames_written_directly_decode_like_the_generic_encoder():
    import json

    from cog_py import protocol

    for done in (protocol.Done("pred_1", "succeeded", 200), protocol.Done('we"ird\u00e9\n\\', "failed", 422),
                 protocol.Done("x", "canceled")):
        frame = protocol.encode(done, b"body")
        hlen, blen = protocol.PREFIX.unpack_from(frame)
        head = frame[protocol.PREFIX_SIZE:protocol.PREFIX_SIZE + hlen]
        assert json.loads(head) == protocol.header_of(done)
        assert frame[protocol.PREFIX_SIZE + hlen:] == b"body" and blen == 4
        decoded = protocol.decode_to_parent(json.loads(head))
        assert (decoded.id, decoded.status, decoded.code) == (done.id, done.status, done.code)  # type: ignore[union-attr]


def test_frame_parts_and_coalesce_keep_large_blobs_apart_and_join_the_rest():
    from cog_py import protocol

    small = protocol.frame_parts(protocol.Done("a", "succeeded"), b"x" * 10)
    assert len(small) == 1
    big_blob = b"y" * (protocol.WRITE_APART + 1)
    big = protocol.frame_parts(protocol.Done("b", "succeeded"), big_blob)
    assert len(big) == 2 and big[1] is big_blob
    assert b"".join(big) == protocol.encode(protocol.Done("b", "succeeded"), big_blob)
    writes = protocol.coalesce(small + big + small)
    assert [len(w) for w in writes] == [len(small[0]) + len(big[0]), len(big_blob), len(small[0])]
    assert b"".join(writes) == b"".join(small + big + small)


def test_a_spliced_blob_crosses_as_raw_bytes_and_the_receiver_encodes_each_run():
    import base64
    import json

    from cog_py import protocol

    raw1, raw2 = bytes(range(256)) * 400, b"\x00\xff" * 3
    body = protocol.Spliced([b'{"output":["data:a;base64,', raw1, b'","data:b;base64,', raw2, b'"]}'])
    assert body.spans == [[26, len(raw1)], [26 + len(raw1) + 17, 6]] and len(body) == sum(map(len, body.parts))
    parts = protocol.frame_parts(protocol.Done("p", "succeeded"), body)
    assert parts[2] is raw1   # the file's bytes are written as they are, never copied into the frame
    wire = b"".join(parts)
    for step in (7, 65_536, len(wire)):
        decoder = protocol.FrameDecoder()
        got = []
        for i in range(0, len(wire), step):
            got += decoder.feed(wire[i:i + step])
        [(header, blob)] = got
        assert len(blob) == len(body)   # raw: a quarter smaller than the base64 would be
        expanded = protocol.expand(blob, header.pop(protocol.B64))
        assert protocol.decode_to_parent(header) == protocol.Done("p", "succeeded")
        want = {"output": ["data:a;base64," + base64.b64encode(raw1).decode(), "data:b;base64," + base64.b64encode(raw2).decode()]}
        assert json.loads(expanded) == want
        assert expanded == (b'{"output":["data:a;base64,' + base64.b64encode(raw1) + b'","data:b;base64,'
                            + base64.b64encode(raw2) + b'"]}')
    # the receiver's own encoder is used for every run
    assert protocol.expand(b"ab12cd", [[2, 2]], lambda v: b"<" + bytes(v) + b">") == b"ab<12>cd"
    assert protocol.expand(b"plain", []) == b"plain"


def test_expand_refuses_spans_outside_the_blob_or_out_of_order():
    import pytest

    from cog_py import protocol

    for spans in ([[4, 10]], [[3, 1], [1, 1]], [[0, -1]]):
        with pytest.raises(ValueError, match="bad ~b64 span"):
            protocol.expand(b"123456", spans)
