"""The Serve deployment: each replica runs the container server's ASGI app and owns one worker.

A Serve config names `cog_py.ray.app:build_app` as its `import_path`; its `args` are:

    project_dir     the model's directory (holds cog.yaml and the code; /src in an image)
    worker_python   the model's interpreter (default: $COG_WORKER_PYTHON, else this Python)
    mode            "predict" (default) or "train"
    upload_url      as the container's --upload-url
    env             extra environment variables for the replica's worker (strings)

Deployment options (replicas, autoscaling, max ongoing requests, GPUs) come from the config's
`deployments` entry (see options.py and deploy.py), or from `.options()` in code (local.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ray import serve

from cog_py._record import replace
from cog_py.errors import RayError
from cog_py.ray.ingress import ReplicaApp
from cog_py.ray.options import DEPLOYMENT_NAME
from cog_py.server.app import create_app
from cog_py.server.runner import DEFUNCT
from cog_py.server.settings import Settings, load_settings, parse_args


def replica_settings(args: dict[str, Any], env: dict[str, str] | None = None) -> Settings:
    """The container's Settings for a replica, from the application's `args` and the environment."""
    env = dict(os.environ if env is None else env)
    extra = args.get("env") or {}
    if not isinstance(extra, dict):
        raise RayError("args.env must be a mapping of environment variable names to strings")
    env.update({str(k): str(v) for k, v in extra.items()})
    project = Path(str(args.get("project_dir") or os.getcwd())).resolve()
    if not project.is_dir():
        raise RayError(f"project_dir {project} is not a directory on this node",
                       hint="Run the replicas where the model lives: the model's image (KubeRay), or this machine.")
    argv: list[str] = ["--x-mode", str(args.get("mode") or "predict")]
    if args.get("upload_url"):
        argv += ["--upload-url", str(args["upload_url"])]
    if args.get("worker_python"):
        env["COG_WORKER_PYTHON"] = str(args["worker_python"])
    settings = load_settings(parse_args(argv), env, cwd=project)
    if not settings.ref:
        raise RayError(f"no predictor to serve in {project}: cog.yaml names none and COG_PREDICT_TYPE_STUB is unset")
    # Several replicas may share a pod: readiness is Serve's business, not a file's.
    return replace(settings, ready_file=None)


@serve.deployment(name=DEPLOYMENT_NAME)
@serve.ingress()
class CogModel:
    """One replica: the container server's app, in-process, with its own worker subprocess."""

    def __init__(self, args: dict[str, Any]) -> None:
        self.settings = replica_settings(args)
        extra = args.get("env") or {}
        os.environ.update({str(k): str(v) for k, v in extra.items()})   # seen by the worker it spawns
        self.runner: Any = None

    def __serve_build_asgi_app__(self) -> ReplicaApp:
        app, _lifecycle = create_app(self.settings)
        self.runner = app.runner
        replica_id = serve.get_replica_context().replica_id.unique_id
        return ReplicaApp(app, self.runner, replica_id)

    def check_health(self) -> None:
        """Serve replaces a replica whose worker crashed too often (the container's DEFUNCT)."""
        if self.runner is not None and self.runner.state == DEFUNCT:
            raise RuntimeError("the model's worker crashed repeatedly (DEFUNCT)")


def build_app(args: dict[str, Any]) -> Any:
    """The application builder a Serve config's `import_path` names."""
    deployment: Any = CogModel   # a Serve Deployment (the decorators are untyped)
    return deployment.bind(dict(args))
