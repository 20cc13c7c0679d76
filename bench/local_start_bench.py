#!/usr/bin/env python3
"""Cold start outside a container and idle RSS: this checkout's server against another checkout's.

    python bench/local_start_bench.py --other /work/main [--starts 5]

Each start: `python -m cog_py.server --host 127.0.0.1` in the hello model's directory
(/work/shared/bench/models/hello) with PYTHONPATH set to the checkout, polled every ms until
/health-check says READY; one prediction, then the resident memory of the parent and its worker
1 s later. The two checkouts alternate. Bytecode goes to a temporary PYTHONPYCACHEPREFIX (never
into either tree); one start of each comes first to fill it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from localserver import free_port, wait_ready

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COG_SHARED_DIR", REPO.parent / "shared"))


def _rss_mb(pid: int) -> float:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for p in [pid, *map(int, out)]:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def one_start(tree: Path, model: Path, pycache: str) -> tuple[float, float]:
    port = free_port()
    env = dict(os.environ, PORT=str(port), PYTHONPATH=str(tree), COG_PREDICT_TYPE_STUB="predict.py:Predictor",
               PYTHONPYCACHEPREFIX=pycache)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "cog_py.server", "--host", "127.0.0.1"], cwd=model, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc, interval=0.001, name=str(tree))
        ready = (time.monotonic() - started) * 1000
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/predictions", body=json.dumps({"input": {"text": "x"}}),
                     headers={"Content-Type": "application/json"})
        conn.getresponse().read()
        time.sleep(1.0)
        return ready, _rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--other", type=Path, required=True, help="the checkout to compare with (e.g. main's)")
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--model", type=Path, default=SHARED / "bench" / "models" / "hello")
    args = parser.parse_args()
    trees = {"this": REPO, "other": args.other.resolve()}
    results: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in trees}
    with tempfile.TemporaryDirectory(prefix="cog-local-start-") as pycache:
        for tree in trees.values():
            one_start(tree, args.model, pycache)
        for _ in range(args.starts):
            for name, tree in trees.items():
                ready, rss = one_start(tree, args.model, pycache)
                results[name][0].append(ready)
                results[name][1].append(rss)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"load average: {load}")
    for name, (readies, rsses) in results.items():
        print(f"{name:6} {trees[name]}: READY median {statistics.median(readies):.0f} ms (min {min(readies):.0f}), "
              f"idle RSS parent + worker median {statistics.median(rsses):.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
