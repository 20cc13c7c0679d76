#!/usr/bin/env python3
"""Where the server's CPU per request goes: per process and user/sys, for one model.

Starts our server (pinned to CPU 0) and, in the same run, a reference server: for `hello` the
bare FastAPI+uvicorn hello app of ../shared/bench, for `file-out` (a 100 KB file output as a
data URI) Cog's coglet runtime on the same model. Sends N sequential keep-alive requests to
each from CPU 1, and prints server CPU per request split by process (parent, worker) and
user/sys, with the ratio to the reference. Quick (seconds), for profiling; the acceptance
figures come from server_bench.py.

Attach a profiler while it runs: `--hold` keeps our server up after the measurement.

    python bench/cpu_probe.py [--model hello|file-out] [--n 10000] [--python /tmp/bench-venvs/ours/bin/python]
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

from localserver import free_port, wait_ready

SHARED_BENCH = Path(os.environ.get("COG_SHARED_BENCH", "/work/shared/bench"))
HZ = os.sysconf("SC_CLK_TCK")
BODIES = {"hello": json.dumps({"input": {"text": "world"}}), "file-out": json.dumps({"input": {"size_kb": 100}})}


def ticks(pid: int) -> list[tuple[str, int, int]]:
    """(name, user, sys) clock ticks of the server and every process of its session.

    The session, not /proc/PID/task/PID/children: a server may start its worker from another
    thread (coglet does), and the main thread's children list misses it.
    """
    sid = os.getsid(pid)
    pids = [pid]
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != pid:
            try:
                if os.getsid(int(name)) == sid:
                    pids.append(int(name))
            except OSError:
                pass
    out = []
    for i, p in enumerate(pids):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out.append(("parent" if i == 0 else f"child{i}", int(fields[11]), int(fields[12])))
    return out


def measure(argv: list[str], cwd: Path, env: dict[str, str], n: int, body: str, hold: bool = False) -> dict:
    port = free_port()
    # the venv's bin first on PATH, as an activated venv has it (coglet starts its worker as `python`)
    env = {**env, "PORT": str(port), "PATH": f"{os.path.dirname(argv[0])}:{env.get('PATH', '')}"}
    argv = [a.replace("{port}", str(port)) for a in argv]
    proc = subprocess.Popen(["taskset", "-c", "0", *argv], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_ready(port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Content-Type": "application/json"}
        for _ in range(500):
            conn.request("POST", "/predictions", body, headers)
            answer = conn.getresponse().read()
            # coglet answers an occasional 409 "At capacity" between sequential keep-alive requests
            if answer.find(b'"succeeded"') < 0 and answer.find(b"At capacity") < 0:
                raise SystemExit(f"{argv[0]}: a prediction did not succeed")
        before = ticks(proc.pid)
        start = time.perf_counter()
        latencies = []
        for _ in range(n):
            t = time.perf_counter()
            conn.request("POST", "/predictions", body, headers)
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
    start_ticks = {name: (u, s) for name, u, s in before}
    split = {name: ((u1 - start_ticks.get(name, (0, 0))[0]) / HZ / n * 1e6, (s1 - start_ticks.get(name, (0, 0))[1]) / HZ / n * 1e6)
             for name, u1, s1 in after}
    latencies.sort()
    return {"cpu_us": sum(u + s for u, s in split.values()), "split": split,
            "p50_ms": latencies[n // 2] * 1000, "rps": n / wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=sorted(BODIES), default="hello")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--python", default="/tmp/bench-venvs/ours/bin/python", help="our server's interpreter")
    ap.add_argument("--fastapi-python", default="/tmp/bench-venvs/bench/bin/python")
    ap.add_argument("--coglet-python", default="/tmp/bench-venvs/cog-coglet/bin/python")
    ap.add_argument("--hold", action="store_true", help="keep our server up after measuring (to attach a profiler)")
    args = ap.parse_args()
    os.sched_setaffinity(0, {1})
    tmp = tempfile.mkdtemp(prefix="cog-probe-")
    ours_env = {**os.environ, "COG_PREDICT_TYPE_STUB": "predict.py:Predictor", "COG_MAX_CONCURRENCY": "1", "TMPDIR": tmp}
    model_dir = SHARED_BENCH / "models" / args.model
    body = BODIES[args.model]
    if args.model == "hello":
        ref_name = "fastapi-floor"
        ref = measure([args.fastapi_python, str(SHARED_BENCH / "refservers" / "fastapi_hello.py"), "--port", "{port}"],
                      SHARED_BENCH, dict(os.environ), args.n, body)
    else:
        ref_name = "coglet"
        ref = measure([args.coglet_python, "-m", "cog.server.http", "--host", "127.0.0.1"], model_dir,
                      {**ours_env, "TMPDIR": tempfile.mkdtemp(prefix="cog-probe-ref-")}, args.n, body)
    ours = measure([args.python, "-m", "cog_py.server", "--host", "127.0.0.1"], model_dir,
                   ours_env, args.n, body, hold=args.hold)
    for name, r in ((ref_name, ref), ("cog_py", ours)):
        parts = ", ".join(f"{k} user {u:.0f} sys {s:.0f}" for k, (u, s) in r["split"].items())
        print(f"{name:14s} CPU {r['cpu_us']:6.1f} us/req  p50 {r['p50_ms']:.3f} ms  {r['rps']:.0f} req/s  ({parts})")
    print(f"cog_py / {ref_name}: CPU {ours['cpu_us'] / ref['cpu_us']:.2f}x, p50 {ours['p50_ms'] / ref['p50_ms']:.2f}x")


if __name__ == "__main__":
    main()
