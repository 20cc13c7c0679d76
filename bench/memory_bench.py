"""Peak memory per request size: the server parent and the worker, from /proc (Linux).

    python bench/memory_bench.py                 # 1 KB .. 100 MB string inputs, a 50 MiB data URI, 413 cases

For each request the peaks (VmHWM) of both processes are reset first (`/proc/PID/clear_refs`),
the request is sent over real HTTP, and the growth of the peak over the resident size before
is printed. Not a test: it asserts nothing (tests/server/test_limits.py holds the bounds).
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from localserver import free_port

import httpx

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
PREDICTOR = '''
import os
from typing import Optional
from cog import BasePredictor, Path

class Predictor(BasePredictor):
    def predict(self, text: str = "", f: Optional[Path] = None) -> int:
        return os.path.getsize(f) if f is not None else len(text)
'''


def kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset(pid: int) -> int:
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return kib(pid, "VmRSS")


def growth(pid: int, before: int) -> float:
    return (kib(pid, "VmHWM") - before) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e3,1e4,1e5,1e6,1e7,5e7,1e8")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cog-membench-"))
    (work / "predict.py").write_text(PREDICTOR)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COG_")}
    env.update(PORT=str(port), PYTHONPATH=str(REPO), COG_PREDICT_TYPE_STUB="predict.py:Predictor")
    proc = subprocess.Popen([sys.executable, "-m", "cog_py.server", "--host", "127.0.0.1"], cwd=work, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if client.get("/health-check").json()["status"] == "READY":
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        worker = int(subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()[0])
        print(f"{'request':<34} {'body MiB':>9} {'status':>6} {'parent +MiB':>12} {'worker +MiB':>12}")
        cases: list[tuple[str, bytes]] = []
        for raw in args.sizes.split(","):
            n = int(float(raw))
            label = f"str input {n / 1e6:g} MB" if n >= 1e6 else f"str input {n / 1e3:g} KB"
            cases.append((label, b'{"input": {"text": "' + b"x" * n + b'"}}'))
        cases.append(("Path input, data URI of 50 MiB",
                      b'{"input": {"f": "data:application/octet-stream;base64,'
                      + base64.b64encode(os.urandom(50 * MIB)) + b'"}}'))
        cases.append(("over the limit: 200 MiB", b" " * (200 * MIB)))
        for label, body in cases:
            p0, w0 = reset(proc.pid), reset(worker)
            resp = client.post("/predictions", content=body, headers={"Content-Type": "application/json"})
            print(f"{label:<34} {len(body) / MIB:>9.2f} {resp.status_code:>6} {growth(proc.pid, p0):>12.1f} "
                  f"{growth(worker, w0):>12.1f}")
            del body
        cases.clear()
    finally:
        client.close()
        proc.terminate()
        proc.wait(30)


if __name__ == "__main__":
    main()
