#!/usr/bin/env python3
"""Framing cost per request: one PREDICT out and one DONE back, as raw dict headers (how the two
sides talked before the typed messages) and as cog_py.protocol's typed messages.

    PYTHONPATH=. python bench/framing_probe.py

Minimum of 15 repeats (the machine is shared; the minimum is the stable figure). The full
server figure is bench/cpu_probe.py, whose run-to-run noise here is larger than this difference.
"""

from __future__ import annotations

import timeit

from cog_py import protocol as p
from cog_py.server import jsonc


def dicts() -> None:
    frame = p.encode_frame({"t": "predict", "id": "pred_abc", "created_at": 1.5, "kind": "predictions", "wh": None,
                            "sse": False, "ack": False}, b"{}", jsonc.dumps_frame_header)
    [(header, _)] = p.FrameDecoder().feed(frame)
    back = p.encode_frame({"t": "done", "id": header["id"], "status": "succeeded", "code": 200}, b"{}")
    [(done, _)] = p.FrameDecoder(jsonc.loads).feed(back)
    done["id"], done["status"], done.get("code", 200)


def typed() -> None:
    frame = p.encode(p.Predict("pred_abc", 1.5, "predictions", None, False, False), b"{}", jsonc.dumps_frame_header)
    [(header, _)] = p.FrameDecoder().feed(frame)
    msg = p.decode_to_worker(header)
    back = p.encode(p.Done(msg.id, "succeeded", 200), b"{}")
    [(header, _)] = p.FrameDecoder(jsonc.loads).feed(back)
    done = p.decode_to_parent(header)
    assert isinstance(done, p.Done)
    done.id, done.status, done.code


def main() -> None:
    n = 20000
    a = min(timeit.repeat(dicts, number=n, repeat=15)) / n * 1e6
    b = min(timeit.repeat(typed, number=n, repeat=15)) / n * 1e6
    print(f"framing per request: dict headers {a:.2f} us, typed messages {b:.2f} us (+{b - a:.2f} us)")


if __name__ == "__main__":
    main()
