#!/usr/bin/env python3
"""GPU check: our server on a host with an NVIDIA GPU and torch (no Docker, no network).

Starts `python -m cog_py.server` directly on the host with a GPT-style model held on the GPU
(bench/models/gpu-transformer), and reports:
  - the GPU boot report (`gpu` in /health-check) and setup logs,
  - time from process spawn to READY,
  - tokens/s served through HTTP against the same model called in a bare loop in its own
    process (target: HTTP >= 0.97x bare), measured in the same run.

Two ways to pair the sides:
  --mode interleaved (default): one long-lived bare process beside the server, both holding the
      model; calls alternate bare/http (the order flips every pair), so drift of the machine
      (clocks, neighbours) hits both sides alike. Ratio = median bare call / median http call.
  --mode rounds: a fresh bare process per round of N calls, alternating with N HTTP calls.
Per-call figures from the model: gen_ms (wall inside predict), launched_ms (CPU done queueing),
gpu_ms (CUDA events), thread_cpu_ms, context switches. gpu_ms close to gen_ms: the GPU is the
bottleneck and a difference between the sides is the GPU's, not the server's.

Usage: python bench/gpu_check.py [--mode interleaved|rounds] [--rounds 3] [--requests 20] [--out F]
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
import threading
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


BARE_SERVER = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, ".")
    from predict import Predictor
    p = Predictor(); p.setup()
    inp = json.loads(sys.argv[1])
    print("ready", flush=True)
    for line in sys.stdin:
        t = time.perf_counter()
        out = p.predict(**inp)
        dt = time.perf_counter() - t
        print(json.dumps({"seconds": dt, "output": out, "stats": p.last_stats}), flush=True)
    """
)
STAT_KEYS = ("gen_ms", "launched_ms", "gpu_ms", "thread_cpu_ms", "vol_csw", "invol_csw", "predict_time")


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


class BareProcess:
    """The model in a process of its own, one predict() per line written to it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", BARE_SERVER, json.dumps(INPUT)], cwd=MODEL_DIR, env=env_with_repo(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        while (line := self.proc.stdout.readline()) and line.strip() != "ready":
            print(f"  bare | {line.rstrip()}")        # what setup() prints
        if not line:
            raise SystemExit(f"bare process failed to start (exit {self.proc.wait()})")

    def call(self) -> dict:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        while (line := self.proc.stdout.readline()) and not line.startswith("{"):
            print(f"  bare | {line.rstrip()}")        # what predict() prints
        if not line:
            raise SystemExit(f"bare process died (exit {self.proc.wait()})")
        return json.loads(line)

    def stop(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


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
        # Read its output all along: a pipe nobody reads would block the server once full.
        self.output: list[bytes] = []
        threading.Thread(target=lambda: self.output.extend(iter(self.proc.stdout.readline, b"")), daemon=True).start()

    def wait_ready(self, timeout: float = 300) -> tuple[float, dict]:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                time.sleep(0.2)
                raise SystemExit(f"server exited {self.proc.returncode}:\n{b''.join(self.output).decode()[-3000:]}")
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

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def call(self, conn: http.client.HTTPConnection) -> dict:
        body = {"input": INPUT}
        t = time.perf_counter()
        status, resp = get_json(conn, "POST", "/predictions", body)
        dt = time.perf_counter() - t
        if status != 200 or resp.get("status") != "succeeded":
            raise SystemExit(f"prediction failed: {status} {json.dumps(resp)[:2000]}")
        return {"seconds": dt, "output": resp["output"], "stats": resp.get("metrics", {})}

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
    ap.add_argument("--mode", choices=("interleaved", "rounds"), default="interleaved")
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

    try:
        if args.mode == "interleaved":
            result = interleaved(server, args.rounds * args.requests)
        else:
            result = rounds(server, args.rounds, args.requests)
    finally:
        server.stop()
    result.update({"ready_s": ready_s, "gpu": health.get("gpu"), "target": 0.97, "input": INPUT, "mode": args.mode})
    ratio = result["ratio_median"]
    print(f"ratio http/bare {ratio:.3f} (target >= 0.97: {'PASS' if ratio >= 0.97 else 'MISS'})")
    if args.boot_variants:
        result["boot_variants"] = boot_variants()
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


def per_call(side: str, calls: list[dict]) -> None:
    med = {k: statistics.median(float(c["stats"].get(k, 0)) for c in calls) for k in STAT_KEYS}
    print(f"    {side}: per call median " + ", ".join(f"{k} {v:.2f}" for k, v in med.items()))


def interleaved(server: Server, n: int) -> dict:
    """Both sides alive and warm; calls alternate, the order flipping every pair."""
    bare_proc = BareProcess()
    conn = server.connect()
    bare: list[dict] = []
    served: list[dict] = []
    try:
        for _ in range(3):
            bare_proc.call()
            server.call(conn)
        for i in range(n):
            if i % 2 == 0:
                bare.append(bare_proc.call())
                served.append(server.call(conn))
            else:
                served.append(server.call(conn))
                bare.append(bare_proc.call())
    finally:
        conn.close()
        bare_proc.stop()
    same = all(b["output"] == h["output"] for b, h in zip(bare, served))
    b_med = statistics.median(c["seconds"] for c in bare)
    h_med = statistics.median(c["seconds"] for c in served)
    pairs = [b["seconds"] / h["seconds"] for b, h in zip(bare, served)]
    print(f"interleaved, {n} pairs ({'same output' if same else 'OUTPUT DIFFERS'}):")
    print(f"  http {TOKENS_PER_PREDICTION / h_med:.0f} tok/s (median call {h_med * 1000:.1f} ms), "
          f"bare {TOKENS_PER_PREDICTION / b_med:.0f} tok/s (median call {b_med * 1000:.1f} ms)")
    q = statistics.quantiles(pairs, n=4)
    print(f"  per-pair ratio: median {statistics.median(pairs):.3f}, quartiles {q[0]:.3f} / {q[2]:.3f}")
    per_call("http", served)
    per_call("bare", bare)
    return {"ratio_median": b_med / h_med, "pair_ratio_median": statistics.median(pairs),
            "http_call_s": [c["seconds"] for c in served], "bare_call_s": [c["seconds"] for c in bare],
            "http_stats": [c["stats"] for c in served], "bare_stats": [c["stats"] for c in bare]}


def rounds(server: Server, n_rounds: int, n: int) -> dict:
    """A fresh bare process per round, alternating with a round of HTTP calls."""
    bare, served = [], []
    for r in range(n_rounds):
        # Alternate which goes first, so drift (clocks, caches) does not favour one side.
        # The bare loop runs in its own process while the server idles (same GPU, one at a time).
        if r % 2 == 0:
            h = server.http_round(n)
            b = bare_round(n)
        else:
            b = bare_round(n)
            h = server.http_round(n)
        served.append(TOKENS_PER_PREDICTION * h["n"] / h["seconds"])
        bare.append(TOKENS_PER_PREDICTION * b["n"] / b["seconds"])
        same = "same output" if b["output"] == h["output"] else "OUTPUT DIFFERS"
        print(f"round {r + 1}: http {served[-1]:.0f} tok/s, bare {bare[-1]:.0f} tok/s, ratio {served[-1] / bare[-1]:.3f} ({same})")
        per_call("http", [{"stats": x} for x in h["stats"]])
        per_call("bare", [{"stats": x} for x in b["stats"]])
    ratio = statistics.median(served) / statistics.median(bare)
    print(f"\nmedian: http {statistics.median(served):.0f} tok/s, bare {statistics.median(bare):.0f} tok/s")
    return {"http_tok_s": served, "bare_tok_s": bare, "ratio_median": ratio}


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
