#!/usr/bin/env python3
"""Where the server's CPU per request goes: per process and user/sys, for the `hello` model.

Starts our server (pinned to CPU 0) and, in the same run, the bare FastAPI+uvicorn hello app
of ../shared/bench, sends N sequential keep-alive requests to each from CPU 1, and prints
server CPU per request split by process (parent, worker) and user/sys, with the ratio to the
FastAPI app. Quick (seconds), for profiling; the acceptance figures come from server_bench.py.

Attach a profiler while it runs: `--hold` keeps our server up after the measurement.

    python bench/cpu_probe.py [--n 10000] [--python /tmp/bench-venvs/ours/bin/python]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED_BENCH = Path(os.environ.get("COG_SHARED_BENCH", "/work/shared/bench"))
HZ = os.sysconf("SC_CLK_TCK")
BODY = json.dumps({"input": {"text": "world"}})


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ticks(pid: int) -> list[tuple[str, int, int]]:
    """(name, user, sys) clock ticks of the process and its children."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    out = []
    for i, p in enumerate([pid, *map(int, children)]):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        out.append(("parent" if i == 0 else f"child{i}", int(fields[11]), int(fields[12])))
    return out


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health-check")
            if json.loads(conn.getresponse().read()).get("status") == "READY":
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise SystemExit("server not READY in time")


def measure(argv: list[str], cwd: Path, env: dict[str, str], n: int, hold: bool = False) -> dict:
    port = free_port()
    env = {**env, "PORT": str(port)}
    argv = [a.replace("{port}", str(port)) for a in argv]
    proc = subprocess.Popen(["taskset", "-c", "0", *argv], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/json"}
        for _ in range(500):
            conn.request("POST", "/predictions", BODY, headers)
            conn.getresponse().read()
        before = ticks(proc.pid)
        start = time.perf_counter()
        latencies = []
        for _ in range(n):
            t = time.perf_counter()
            conn.request("POST", "/predictions", BODY, headers)
            resp = conn.getresponse()
            resp.read()
            latencies.append(time.perf_counter() - t)
        wall = time.perf_counter() - start
        after = ticks(proc.pid)
        if hold:
            print(f"server pid {proc.pid} holding; press Enter to stop", flush=True)
            sys.stdin.readline()
    finally:
        proc.terminate()
        proc.wait(10)
    split = {name: ((u1 - u0) / HZ / n * 1e6, (s1 - s0) / HZ / n * 1e6)
             for (name, u0, s0), (_, u1, s1) in zip(before, after)}
    latencies.sort()
    return {"cpu_us": sum(u + s for u, s in split.values()), "split": split,
            "p50_ms": latencies[n // 2] * 1000, "rps": n / wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--python", default="/tmp/bench-venvs/ours/bin/python", help="our server's interpreter")
    ap.add_argument("--fastapi-python", default="/tmp/bench-venvs/bench/bin/python")
    ap.add_argument("--hold", action="store_true", help="keep our server up after measuring (to attach a profiler)")
    args = ap.parse_args()
    os.sched_setaffinity(0, {1})
    tmp = tempfile.mkdtemp(prefix="cog-probe-")
    ours_env = {**os.environ, "COG_PREDICT_TYPE_STUB": "predict.py:Predictor", "COG_MAX_CONCURRENCY": "1", "TMPDIR": tmp}
    ref = measure([args.fastapi_python, str(SHARED_BENCH / "refservers" / "fastapi_hello.py"), "--port", "{port}"],
                  SHARED_BENCH, dict(os.environ), args.n)
    ours = measure([args.python, "-m", "cog_py.server", "--host", "127.0.0.1"], SHARED_BENCH / "models" / "hello",
                   ours_env, args.n, hold=args.hold)
    for name, r in (("fastapi-floor", ref), ("cog_py", ours)):
        parts = ", ".join(f"{k} user {u:.0f} sys {s:.0f}" for k, (u, s) in r["split"].items())
        print(f"{name:14s} CPU {r['cpu_us']:6.1f} us/req  p50 {r['p50_ms']:.3f} ms  {r['rps']:.0f} req/s  ({parts})")
    print(f"cog_py / fastapi-floor: CPU {ours['cpu_us'] / ref['cpu_us']:.2f}x, p50 {ours['p50_ms'] / ref['p50_ms']:.2f}x")


if __name__ == "__main__":
    main()
