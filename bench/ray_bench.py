#!/usr/bin/env python3
"""Per-request overhead of Ray Serve: the same model, the same requests, through Serve's HTTP
proxy and straight to the container server (`python -m cog_py.server`), in the same run.

    python bench/ray_bench.py                    # hello-world, 3 rounds x 300 sequential requests each way
    python bench/ray_bench.py --requests 100 --rounds 1   # smoke test

One replica on a local Ray instance (ray.init, 2 CPUs, no dashboard) against one server
process; rounds alternate between the two so that a noisy neighbour hurts both alike. Each
round is sequential requests on one keep-alive connection: the per-request cost, not
throughput (with more clients than `concurrency.max` the container answers 409 where Serve
queues, so their throughputs are not comparable). Figures are medians over the rounds; the
ratio is Ray / direct. Never asserted by tests: this is a report. Needs `ray[serve]`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))   # this checkout's cog_py, not an installed one
BODY = {"input": {"text": "bench"}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health-check", timeout=5).json().get("status") == "READY":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} never became READY")


def sequential(url: str, n: int) -> list[float]:
    times = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(n):
            start = time.perf_counter()
            response = client.post("/predictions", json=BODY)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="hello-world")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    project = REPO / "examples" / args.example
    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"})   # loopback only
    env = {k: v for k, v in os.environ.items() if not k.startswith("COG_")}
    env["PYTHONPATH"] = str(REPO)
    os.environ["PYTHONPATH"] = str(REPO)   # the Ray workers this process starts import this checkout

    import ray
    from ray import serve

    from cog_py.ray.app import CogModel
    from cog_py.ray.options import ModelLimits, Scaling, deployment_options

    direct_port, ray_port = free_port(), free_port()
    server = subprocess.Popen([sys.executable, "-m", "cog_py.server", "--host", "127.0.0.1"], cwd=project,
                              env={**env, "PORT": str(direct_port)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": ray_port})
        options = deployment_options(ModelLimits(), Scaling(replicas=1))
        options.pop("name")
        deployment: Any = CogModel
        serve.run(deployment.options(**options).bind({"project_dir": str(project)}), name="bench", route_prefix="/")
        urls = {"direct": f"http://127.0.0.1:{direct_port}", "ray": f"http://127.0.0.1:{ray_port}"}
        for url in urls.values():
            wait_ready(url)
            sequential(url, 50)      # warm-up
        medians: dict[str, list[float]] = {"direct": [], "ray": []}
        p90s: dict[str, list[float]] = {"direct": [], "ray": []}
        for round_no in range(args.rounds):
            for name in (("direct", "ray") if round_no % 2 == 0 else ("ray", "direct")):
                times = sorted(sequential(urls[name], args.requests))
                medians[name].append(statistics.median(times) * 1000)
                p90s[name].append(times[int(len(times) * 0.9)] * 1000)
        result = {name: {"median_ms": statistics.median(medians[name]), "p90_ms": statistics.median(p90s[name]),
                         "per_round_median_ms": medians[name]}
                  for name in medians}
        result["ratio"] = {"median": result["ray"]["median_ms"] / result["direct"]["median_ms"],
                           "p90": result["ray"]["p90_ms"] / result["direct"]["p90_ms"]}
        print(f"{'':24}{'direct':>10}{'Ray Serve':>12}{'ratio':>8}")
        for label, key, ratio in (("sequential median (ms)", "median_ms", "median"), ("sequential p90 (ms)", "p90_ms", "p90")):
            print(f"{label:24}{result['direct'][key]:>10.2f}{result['ray'][key]:>12.2f}{result['ratio'][ratio]:>8.2f}")
        print(f"per-request overhead of Serve: {result['ray']['median_ms'] - result['direct']['median_ms']:.2f} ms "
              f"(median, {args.rounds} rounds x {args.requests} sequential requests, {args.example})")
        out = REPO / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / f"ray-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(result, indent=2))
    finally:
        serve.shutdown()
        ray.shutdown()
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
