"""From cog.yaml and command-line flags to Ray Serve deployment options (pure; no Ray import).

No new cog.yaml keys: `concurrency.max` is each replica's `max_ongoing_requests`, the queue
setting (when the config has one) its `max_queued_requests`, `build.gpu` one GPU per replica.
Replica counts and autoscaling bounds come from flags (`cog deploy ray`, `cog serve --ray`).
The same dictionary goes into the generated Serve config file and into `.options()` in code,
so both paths deploy the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cog_py.errors import RayError

DEPLOYMENT_NAME = "CogModel"
IMPORT_PATH = "cog_py.ray.app:build_app"


@dataclass(frozen=True)
class Scaling:
    """How many replicas: a fixed count, or autoscaling between two bounds."""

    replicas: int = 1                       # fixed count (when max_replicas is None)
    min_replicas: int | None = None         # autoscaling when max_replicas is set
    max_replicas: int | None = None
    target_ongoing: float | None = None     # per replica; default: its max ongoing requests
    upscale_delay_s: float = 5.0
    downscale_delay_s: float = 60.0         # Serve's own default is 600 s

    @property
    def autoscaling(self) -> bool:
        return self.max_replicas is not None

    def check(self) -> None:
        if self.replicas < 1:
            raise RayError("--replicas must be at least 1")
        if self.autoscaling:
            low = self.min_replicas if self.min_replicas is not None else 1
            if low < 0 or self.max_replicas is None or self.max_replicas < max(low, 1):
                raise RayError(f"autoscaling bounds must satisfy 0 <= --min-replicas <= --max-replicas and "
                                 f"--max-replicas >= 1 (got {low} and {self.max_replicas})")
        elif self.min_replicas is not None:
            raise RayError("--min-replicas needs --max-replicas (autoscaling)")


@dataclass(frozen=True)
class ModelLimits:
    """What the model's config says about one replica."""

    max_concurrency: int = 1
    max_queued: int | None = None           # the config's queue setting, when it has one
    gpu: bool = False


def limits_from_config(config: Any) -> ModelLimits:
    """Read the resolved cog.yaml (cog_py.config.models.Config) without naming its classes."""
    max_concurrency = getattr(config, "concurrency_max", None) or 1
    queue = getattr(config, "concurrency_queue", None)
    concurrency = getattr(config, "concurrency", None)   # a nested form, if the config grows one
    if queue is None and concurrency is not None:
        queue = getattr(concurrency, "queue", None)
    build = getattr(config, "build", None)
    return ModelLimits(max_concurrency=int(max_concurrency),
                       max_queued=int(queue) if isinstance(queue, int) else None,
                       gpu=bool(getattr(build, "gpu", False)))


def deployment_options(limits: ModelLimits, scaling: Scaling, *, shutdown_grace_s: float = 300.0,
                       num_cpus: float = 1.0) -> dict[str, Any]:
    """Serve's deployment options, in the shape of a Serve config file's `deployments` entry."""
    scaling.check()
    options: dict[str, Any] = {"name": DEPLOYMENT_NAME}
    if scaling.autoscaling:
        auto: dict[str, Any] = {
            "min_replicas": scaling.min_replicas if scaling.min_replicas is not None else 1,
            "max_replicas": scaling.max_replicas,
            "target_ongoing_requests": scaling.target_ongoing or float(limits.max_concurrency),
            "upscale_delay_s": scaling.upscale_delay_s,
            "downscale_delay_s": scaling.downscale_delay_s,
        }
        options["autoscaling_config"] = auto
    else:
        options["num_replicas"] = scaling.replicas
    options["max_ongoing_requests"] = limits.max_concurrency
    if limits.max_queued is not None:
        options["max_queued_requests"] = limits.max_queued
    # In-flight predictions may finish (the container's COG_SHUTDOWN_GRACE_S); the worker is
    # checked by the replica's health check, which fails only when it is DEFUNCT.
    options["graceful_shutdown_timeout_s"] = shutdown_grace_s
    actor: dict[str, Any] = {"num_cpus": num_cpus}
    if limits.gpu:
        actor["num_gpus"] = 1
    options["ray_actor_options"] = actor
    return options
