"""No reference cycle per request: a prediction's objects are freed when it is answered.

A cycle left per request (a pending prediction and the callback that answers its connection;
a worker record and its metrics' listener) is freed only by the cyclic GC, much later: the
request's large buffers land on fresh heap pages every time (brk growth, page faults, trims).

Both processes run with `gc.DEBUG_SAVEALL` (a `sitecustomize` on PYTHONPATH, which the worker
inherits), so whatever the cyclic GC would have freed is kept in `gc.garbage` and counted.
After a warm-up the garbage is forgotten, a few predictions of each kind run, and no type may
show up in the garbage once per request or more.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.server.conftest import REPO
from tests.server.test_events import Receiver

pytestmark = pytest.mark.timeout(120)

N = 4   # predictions of each kind between the two looks at the garbage

HOOK = '''
import os

_dir = os.environ.get("CYCLE_PROBE_DIR")
if _dir:
    import collections, gc, json, sys, threading, time

    gc.set_debug(gc.DEBUG_SAVEALL)

    def _forget():
        gc.set_debug(0)
        gc.garbage.clear()
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)

    def _name(o):
        t = type(o)
        if t.__name__ in ("function", "method"):
            return f"{t.__name__} {getattr(o, '__qualname__', '?')}"
        return f"{t.__module__}.{t.__qualname__}"

    def _poll():
        cmd = os.path.join(_dir, "cmd")
        seen = None
        while True:
            time.sleep(0.05)
            try:
                with open(cmd) as f:
                    text = f.read()
            except OSError:
                continue
            if text == seen or not text.endswith("\\n"):
                continue
            seen = text
            action, seq = text.split()
            gc.collect()
            counts = collections.Counter(_name(o) for o in gc.garbage)
            ids = {id(o) for o in gc.garbage}
            edges = sorted({f"{_name(o)} -> {_name(r)}" for o in gc.garbage[:500]
                            for r in gc.get_referents(o) if id(r) in ids})
            _forget()
            role = "worker" if "worker" in sys.argv[0] else "server"
            path = os.path.join(_dir, f"{role}-{seq}.json")
            with open(path + ".tmp", "w") as f:
                # json.dumps, not json.dump: the latter's pure-Python encoder leaves a cycle behind
                f.write(json.dumps({"counts": counts, "edges": edges} if action == "dump" else {}))
            os.replace(path + ".tmp", path)

    threading.Thread(target=_poll, daemon=True).start()
'''


def _garbage(probe: Path, action: str, seq: int) -> dict[str, dict[str, int]]:
    """Ask both processes to count (and forget) their cyclic garbage; {role: {type: count}}."""
    (probe / "cmd").write_text(f"{action} {seq}\n")
    files = {role: probe / f"{role}-{seq}.json" for role in ("server", "worker")}
    deadline = time.monotonic() + 30
    while not all(f.exists() for f in files.values()):
        assert time.monotonic() < deadline, f"no garbage count from {[r for r, f in files.items() if not f.exists()]}"
        time.sleep(0.05)
    return {role: json.loads(f.read_text()) for role, f in files.items()}


def _start(make_server, tmp_path: Path, ref: str):  # type: ignore[no-untyped-def]
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(HOOK)
    probe = tmp_path / "probe"
    probe.mkdir()
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), str(hook_dir)]), "CYCLE_PROBE_DIR": str(probe)}
    return make_server(ref, env=env), probe


def _round(server, receiver: Receiver, inputs: dict[str, object]) -> None:  # type: ignore[no-untyped-def]
    """One prediction of each kind, on one keep-alive connection."""
    client = server.client
    # The quick path (server/quick.py) and the ASGI path (a query string takes it).
    for path in ("/predictions", "/predictions?via=asgi"):
        r = client.post(path, json={"input": inputs})
        assert r.status_code == 200 and r.json()["status"] == "succeeded", r.text
    # A synchronous prediction with a webhook, then an asynchronous one.
    r = client.post("/predictions", json={"input": inputs, "webhook": receiver.url})
    assert r.status_code == 200, r.text
    receiver.wait_terminal()
    receiver.requests.clear()
    r = client.post("/predictions", json={"input": inputs, "webhook": receiver.url},
                    headers={"Prefer": "respond-async"})
    assert r.status_code == 202, r.text
    receiver.wait_terminal()
    receiver.requests.clear()
    assert client.get("/health-check").status_code == 200


@pytest.mark.parametrize(("ref", "inputs"), [("hello.py:Predictor", {"text": "gc"}),
                                             ("async_sleeper.py:Predictor", {"seconds": 0}),
                                             ("batched_async.py:Predictor", {"text": "gc"})],
                         ids=["sync-predictor", "async-predictor", "async-batched-predictor"])
def test_no_cycle_left_per_prediction(make_server, tmp_path, ref, inputs):
    server, probe = _start(make_server, tmp_path, ref)
    receiver = Receiver()
    try:
        _round(server, receiver, inputs)          # warm-up: one-time imports and caches
        _garbage(probe, "forget", 1)
        for _ in range(N):
            _round(server, receiver, inputs)
        garbage = _garbage(probe, "dump", 2)
    finally:
        receiver.close()
    for role, found in garbage.items():
        counts = found["counts"]
        per_request = {name: n for name, n in counts.items() if n >= N or name.startswith("cog_py.")}
        assert not per_request, (f"{role}: objects freed only by the cyclic GC after {N} rounds: {counts}; "
                                 f"references among them: {found['edges'][:40]}")


def test_the_probe_sees_a_cycle(make_server, tmp_path):
    """The check above can fail: a predictor that makes a cycle per call is caught."""
    server, probe = _start(make_server, tmp_path, "cyclic.py:Predictor")
    _garbage(probe, "forget", 1)
    for _ in range(N):
        assert server.predict({"text": "gc"}).status_code == 200
    garbage = _garbage(probe, "dump", 2)
    assert garbage["worker"]["counts"].get("builtins.list", 0) >= N, garbage
