#!/usr/bin/env python3
"""Queue and batching under load, on this machine's CPU (issue 16's figures, one run).

1. examples/batch-embeddings at 16 clients: batched (@batch, max_size 16) vs unbatched
   (COG_BATCH_MAX_SIZE=1, COG_BATCH_MAX_WAIT_MS=0: the same code called one text at a time),
   both with `queue: 64`. Target: >= 3x predictions/s.
2. The same at 1 client: batched p50 <= unbatched p50 + max_wait_ms (10 ms).
3. bench/models/sleep50 (a 50 ms sleep, one slot) with COG_QUEUE_SIZE=64 under 64 clients:
   0 409s, every request answered, >= 19 predictions/s.

Each client is a thread with one keep-alive connection sending requests back to back.

    PYTHONPATH=$PWD python bench/batch_bench.py [--seconds 5] [--rounds 3] [--max-size N] [--python python3]
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
import threading
import time
from pathlib import Path

from localserver import free_port, wait_ready

REPO = Path(__file__).resolve().parents[1]


class Server:
    def __init__(self, python: str, project: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        full = {k: v for k, v in os.environ.items() if not k.startswith("COG_")}
        full.update({"PORT": str(self.port), "COG_PREDICT_TYPE_STUB": "predict.py:Predictor",
                     "PYTHONPATH": str(REPO), "TMPDIR": tempfile.mkdtemp(prefix="cog-bench-")}, **env)
        self.proc = subprocess.Popen([python, "-m", "cog_py.server", "--host", "127.0.0.1"], cwd=project, env=full,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.port, self.proc, timeout=120, interval=0.1)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def load(port: int, clients: int, seconds: float, body: dict, warmup: float = 1.0) -> dict:
    """`clients` threads sending back to back for `seconds` (after `warmup`)."""
    payload = json.dumps(body)
    start = time.monotonic() + warmup
    stop = start + seconds
    results: list[list[tuple[float, int]]] = [[] for _ in range(clients)]
    sizes: list[int] = []
    sent = [0] * clients
    answered = [0] * clients
    errors: list[str] = []

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            t0 = time.monotonic()
            if t0 >= stop:
                return
            try:
                sent[i] += 1
                conn.request("POST", "/predictions", payload, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                answered[i] += 1
            except OSError as exc:
                errors.append(repr(exc))
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            if resp.status == 200:
                doc = json.loads(data)
                if doc.get("status") != "succeeded":
                    errors.append(data[:200].decode(errors="replace"))
                sizes.append(int(doc.get("metrics", {}).get("batch_size", 0)))
            t1 = time.monotonic()
            if start <= t1 < stop:   # completions inside the window
                results[i].append((t1 - t0, resp.status))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    flat = [r for rs in results for r in rs]
    ok = sorted(lat for lat, status in flat if status == 200)
    return {"ok": len(ok), "rps": len(ok) / seconds, "p50_ms": statistics.median(ok) * 1000 if ok else float("nan"),
            "codes": {s: sum(1 for _, c in flat if c == s) for s in sorted({c for _, c in flat})},
            "errors": errors, "unanswered": sum(sent) - sum(answered),
            "batch": statistics.mean(sizes) if sizes else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0, help="per load phase")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--max-size", help="COG_BATCH_MAX_SIZE for the batched run (default: the example's, 16)")
    ap.add_argument("--max-wait-ms", help="COG_BATCH_MAX_WAIT_MS for the batched run (default: the example's, 10)")
    args = ap.parse_args()
    embeddings = REPO / "examples" / "batch-embeddings"
    body = {"input": {"text": "a cat sat on the mat while the dog slept"}}
    batched_env = {"COG_BATCH_MAX_SIZE": args.max_size} if args.max_size else {}
    if args.max_wait_ms:
        batched_env["COG_BATCH_MAX_WAIT_MS"] = args.max_wait_ms
    # Both servers stay up (idle, they use no CPU); the load phases alternate between them, and
    # the medians of the rounds are reported, so that a shared machine's noise hits both alike.
    servers = {"batched": Server(args.python, embeddings, {"COG_QUEUE_SIZE": "64", **batched_env}),
               "unbatched": Server(args.python, embeddings, {"COG_QUEUE_SIZE": "64", "COG_BATCH_MAX_SIZE": "1",
                                                             "COG_BATCH_MAX_WAIT_MS": "0"})}
    rounds: dict[tuple[str, int], list[dict]] = {}
    try:
        for _ in range(args.rounds):
            for clients in (16, 1):
                for name, server in servers.items():
                    rounds.setdefault((name, clients), []).append(load(server.port, clients, args.seconds, body))
    finally:
        for server in servers.values():
            server.stop()
    figures = {}
    for key, runs in rounds.items():
        figures[key] = {"rps": statistics.median(r["rps"] for r in runs),
                        "p50_ms": statistics.median(r["p50_ms"] for r in runs),
                        "codes": {c: sum(r["codes"].get(c, 0) for r in runs) for c in {c for r in runs for c in r["codes"]}},
                        "errors": [e for r in runs for e in r["errors"]],
                        "all_rps": [round(r["rps"], 1) for r in runs],
                        "batch": statistics.mean(r["batch"] for r in runs)}
    for (name, clients), r in sorted(figures.items(), key=lambda kv: (-kv[0][1], kv[0][0])):
        print(f"batch-embeddings {name:9s} {clients:2d} clients: {r['rps']:7.1f} predictions/s  p50 {r['p50_ms']:7.1f} ms"
              f"  (rounds {r['all_rps']})  mean batch_size {r['batch']:.1f}  codes {r['codes']}" + (f"  errors {len(r['errors'])}" if r["errors"] else ""))
    ratio = figures["batched", 16]["rps"] / figures["unbatched", 16]["rps"]
    # Adjacent phases see about the same machine: the ratio per round is the steadier figure.
    per_round = [b["rps"] / u["rps"] for b, u in zip(rounds["batched", 16], rounds["unbatched", 16])]
    extra = figures["batched", 1]["p50_ms"] - figures["unbatched", 1]["p50_ms"]
    extras = [b["p50_ms"] - u["p50_ms"] for b, u in zip(rounds["batched", 1], rounds["unbatched", 1])]
    print(f"16 clients: batched / unbatched predictions/s = {ratio:.2f}x of the medians, "
          f"{statistics.median(per_round):.2f}x median per round {[round(x, 2) for x in per_round]} (target >= 3x)")
    print(f"1 client: batched p50 - unbatched p50 = {extra:+.1f} ms of the medians, "
          f"{statistics.median(extras):+.1f} ms median per round (target <= +10 ms, max_wait_ms)")

    server = Server(args.python, REPO / "bench" / "models" / "sleep50", {"COG_QUEUE_SIZE": "64",
                                                                        "COG_MAX_CONCURRENCY": "1"})
    try:
        r = load(server.port, 64, 3 * args.seconds, {"input": {"text": "x"}}, warmup=3.5)
    finally:
        server.stop()
    n409 = r["codes"].get(409, 0)
    unanswered = r["unanswered"] + len(r["errors"])
    print(f"sleep50, 1 slot, queue 64, 64 clients: {r['rps']:.1f} predictions/s, codes {r['codes']}, "
          f"{n409} x 409, {unanswered} unanswered (target: 0 x 409, all answered, >= 19/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
