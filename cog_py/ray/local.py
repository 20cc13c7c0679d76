"""`python -m cog_py.ray.local`: the model on a Ray instance of its own, for trying Serve out.

`cog serve --ray` runs this in the development image (built with Ray in the server's
environment) instead of `python -m cog_py.server`: a one-node Ray, Serve's HTTP proxy on
`--host`:`$PORT` (5000), the model's replicas as `cog deploy ray` would configure them. Ctrl-C
or SIGTERM shuts Serve down gracefully (in-flight predictions finish), then Ray.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from cog_py.ray.options import ModelLimits, Scaling, deployment_options


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cog_py.ray.local", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--project-dir", default=".")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--min-replicas", type=int, default=None)
    parser.add_argument("--max-replicas", type=int, default=None)
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs Ray may use (default: all)")
    return parser.parse_args(argv)


def _limits(project: Path) -> ModelLimits:
    """concurrency.max and gpu from the image's environment, else cog.yaml (as the server reads them)."""
    from cog_py.server.settings import read_cog_yaml

    slots = os.environ.get("COG_MAX_CONCURRENCY") or read_cog_yaml(project).get("max") or 1
    gpu = os.environ.get("COG_GPU") == "1"
    return ModelLimits(max_concurrency=int(slots), gpu=gpu)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    from ray import serve

    from cog_py.ray.app import CogModel

    project = Path(args.project_dir).resolve()
    scaling = Scaling(replicas=args.replicas, min_replicas=args.min_replicas, max_replicas=args.max_replicas)
    options = deployment_options(_limits(project), scaling, num_cpus=0.5)
    options.pop("name")
    port = int(os.environ.get("PORT") or 5000)
    # "local": always a Ray of its own, never a cluster that happens to run on this machine.
    ray.init(address="local", num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        serve.start(http_options={"host": args.host, "port": port}, proxy_location="HeadOnly")
        deployment: Any = CogModel
        serve.run(deployment.options(**options).bind({"project_dir": str(project)}), name="model", route_prefix="/")
        print(f"Serving on Ray Serve at http://{args.host}:{port} ({scaling.replicas if not scaling.autoscaling else 'autoscaling'} "
              f"replica(s))", file=sys.stderr, flush=True)
        stop.wait()
    finally:
        serve.shutdown()
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
