#!/usr/bin/env python3
"""GPU check: our server on a host with an NVIDIA GPU and torch (no Docker, no network).

Starts `python -m cog_py.server` directly on the host with a GPT-style model held on the GPU
(bench/models/gpu-transformer), and reports:
  - the GPU boot report (`gpu` in /health-check) and setup logs,
  - time from process spawn to READY,
  - tokens/s served through HTTP against the same model called in a bare loop in its own
    process (target: HTTP >= 0.97x bare), measured in the same run, alternating rounds.

Usage: python bench/gpu_check.py [--rounds 3] [--requests 20] [--out results.json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "bench" / "models" / "gpu-transformer"
INPUT = {"batch": 8, "prompt_len": 32, "new_tokens": 32, "seed": 0}
TOKENS_PER_PREDICTION = INPUT["batch"] * INPUT["new_tokens"]

BARE_LOOP = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, ".")
    from predict import Predictor
    p = Predictor(); p.setup()
    inp = json.loads(sys.argv[1]); n = int(sys.argv[2])
    for _ in range(3):
        p.predict(**inp)
    stats = []
    t = time.perf_counter()
    for _ in range(n):
        out = p.predict(**inp)
        stats.append(p.last_stats)
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "n": n, "output": out, "stats": stats}))
    """
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_with_repo() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(ROOT), env.get("PYTHONPATH", "")] if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def bare_round(n: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", BARE_LOOP, json.dumps(INPUT), str(n)],
        cwd=MODEL_DIR, env=env_with_repo(), capture_output=True, text=True, timeout=600,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bare loop failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def get_json(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read() or b"{}")


class Server:
    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        env = env_with_repo()
        env.update({"PORT": str(self.port), "COG_PREDICT_TYPE_STUB": "predict.py:Predictor", "COG_GPU": "1"})
        env.update(extra_env or {})
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cog_py.server", "--host", "127.0.0.1"],
            cwd=MODEL_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout: float = 300) -> tuple[float, dict]:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited {self.proc.returncode}:\n{self.proc.stdout.read().decode()[-3000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                status, health = get_json(conn, "GET", "/health-check")
                conn.close()
                if health.get("status") in ("READY", "SETUP_FAILED", "DEFUNCT"):
                    return time.perf_counter() - self.started, health
            except OSError:
                pass
            time.sleep(0.01)
        raise SystemExit("server did not become READY in time")

    def http_round(self, n: int) -> dict:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        body = {"input": INPUT}
        for _ in range(3):
            get_json(conn, "POST", "/predictions", body)
        stats = []
        t = time.perf_counter()
        for _ in range(n):
            status, resp = get_json(conn, "POST", "/predictions", body)
            if status != 200 or resp.get("status") != "succeeded":
                raise SystemExit(f"prediction failed: {status} {json.dumps(resp)[:2000]}")
            stats.append(resp.get("metrics", {}))
        dt = time.perf_counter() - t
        conn.close()
        return {"seconds": dt, "n": n, "output": resp["output"], "stats": stats}

    def stop(self) -> None:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("POST", "/shutdown")
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--boot-variants", action="store_true",
                    help="also boot with the GPU hidden (CUDA_VISIBLE_DEVICES=''), with and without COG_REQUIRE_GPU=1")
    args = ap.parse_args()

    try:
        import torch
        print(f"torch {torch.__version__}, cuda available: {torch.cuda.is_available()}")
        if torch.cuda.is_available():
            print(f"device: {torch.cuda.get_device_name(0)}")
    except ImportError:
        raise SystemExit("torch is not installed: the GPU check needs torch (and a GPU)")

    server = Server()
    ready_s, health = server.wait_ready()
    print(f"spawn -> READY: {ready_s:.2f} s (status {health.get('status')})")
    print("boot report (health-check gpu):")
    print(json.dumps(health.get("gpu"), indent=2))
    print("setup logs:\n" + textwrap.indent(str(health.get("setup", {}).get("logs", "")), "  "))
    if health.get("status") != "READY":
        server.stop()
        raise SystemExit("server not READY")

    bare, served = [], []
    try:
        for r in range(args.rounds):
            # Alternate which goes first, so drift (clocks, caches) does not favour one side.
            # The bare loop runs in its own process while the server idles (same GPU, one at a time).
            if r % 2 == 0:
                h = server.http_round(args.requests)
                b = bare_round(args.requests)
            else:
                b = bare_round(args.requests)
                h = server.http_round(args.requests)
            served.append(TOKENS_PER_PREDICTION * h["n"] / h["seconds"])
            bare.append(TOKENS_PER_PREDICTION * b["n"] / b["seconds"])
            same = "same output" if b["output"] == h["output"] else "OUTPUT DIFFERS"
            print(f"round {r + 1}: http {served[-1]:.0f} tok/s, bare {bare[-1]:.0f} tok/s, ratio {served[-1] / bare[-1]:.3f} ({same})")
            for side, got in (("http", h), ("bare", b)):
                med = {k: statistics.median(float(s.get(k, 0)) for s in got["stats"])
                       for k in ("gen_ms", "thread_cpu_ms", "vol_csw", "invol_csw", "predict_time")}
                print(f"    {side}: per call median " + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))
    finally:
        server.stop()

    ratio = statistics.median(served) / statistics.median(bare)
    result = {
        "ready_s": ready_s, "gpu": health.get("gpu"), "http_tok_s": served, "bare_tok_s": bare,
        "ratio_median": ratio, "target": 0.97, "input": INPUT,
    }
    print(f"\nmedian: http {statistics.median(served):.0f} tok/s, bare {statistics.median(bare):.0f} tok/s, "
          f"ratio {ratio:.3f} (target >= 0.97: {'PASS' if ratio >= 0.97 else 'MISS'})")
    if args.boot_variants:
        result["boot_variants"] = boot_variants()
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


def boot_variants() -> list[dict]:
    """Boot the server with the GPU hidden: it must fall back to the CPU, or fail when required."""
    found = []
    for extra in ({"CUDA_VISIBLE_DEVICES": ""}, {"CUDA_VISIBLE_DEVICES": "", "COG_REQUIRE_GPU": "1"}):
        server = Server(extra)
        try:
            ready_s, health = server.wait_ready()
        finally:
            server.stop()
        gpu = health.get("gpu") or {}
        logs = str(health.get("setup", {}).get("logs", ""))
        print(f"\nboot with {extra}: status {health.get('status')} after {ready_s:.2f} s")
        print(f"  gpu.available={gpu.get('available')} warnings={gpu.get('warnings')}")
        print(textwrap.indent(logs.strip()[-800:], "  | "))
        found.append({"env": extra, "status": health.get("status"), "gpu": gpu, "logs_tail": logs[-800:]})
    return found


if __name__ == "__main__":
    main()
