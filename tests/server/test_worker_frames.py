"""The parent reads a real worker's frames in place on both event loops it may run on: uvloop
(what the server uses when installed, as every other test here does) and the stdlib's loop."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from cog_py import protocol
from cog_py.server.settings import load_settings, parse_args
from cog_py.server.supervisor import WorkerHandle, spawn

from .conftest import FIXTURES, REPO

SIZES = [0, 10, 70_000, 300_000, 65_000, 1_000_000, 5]   # outputs: small and large DONE blobs mixed


async def _predict_all(settings: Any) -> tuple[list[Any], dict[str, Any]]:
    got: list[Any] = []
    done: dict[str, Any] = {}
    ready = asyncio.get_running_loop().create_future()
    finished = asyncio.get_running_loop().create_future()

    def on_message(msg: protocol.ToParent, blob: bytes) -> None:
        got.append(msg)
        if isinstance(msg, protocol.Ready) and not ready.done():
            ready.set_result(msg)
        elif isinstance(msg, protocol.Done):
            done[msg.id] = (type(blob), len(blob), json.loads(blob))
            if len(done) == len(SIZES) and not finished.done():
                finished.set_result(None)

    handle = WorkerHandle(spawn(settings, render_schema=True), on_message, lambda _h, _code: None)
    try:
        await handle.attach()
        await asyncio.wait_for(ready, 60)
        for i, size in enumerate(SIZES):   # one turn: the worker answers them back to back
            handle.send(protocol.Predict(f"p{i}", time.time()), json.dumps({"input": {"size": size}}).encode())
        await asyncio.wait_for(finished, 60)
    finally:
        await handle.stop()
    return got, done


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_frames_of_every_size_arrive_whole(loop: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if loop == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        policy: asyncio.AbstractEventLoopPolicy = uvloop.EventLoopPolicy()
    else:
        policy = asyncio.DefaultEventLoopPolicy()
    monkeypatch.chdir(FIXTURES)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.delenv("COG_WORKER_PYTHON", raising=False)
    settings = load_settings(parse_args([]), {"COG_PREDICT_TYPE_STUB": "big.py:Predictor"}, Path(FIXTURES))
    new_loop = policy.new_event_loop()
    try:
        assert (type(new_loop).__module__.split(".")[0]) == loop
        got, done = new_loop.run_until_complete(_predict_all(settings))
    finally:
        new_loop.close()
    ready = next(msg for msg in got if isinstance(msg, protocol.Ready))
    assert ready.schema is not None and "Input" in json.dumps(ready.schema)
    for i, size in enumerate(SIZES):
        kind, length, body = done[f"p{i}"]
        assert body["status"] == "succeeded" and body["output"] == ("x" * size if size else "got 0"), size
        assert kind is (bytearray if length > protocol.LARGE_BLOB else bytes)
