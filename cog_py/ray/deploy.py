"""`cog deploy ray`: a Serve config file for an existing Ray cluster and a KubeRay RayService.

Both run the model where its image runs: the Ray nodes (KubeRay pods, or nodes started from the
image with `ray start`) are the model's cog-built image made with `cog build --with-ray`, whose
server environment holds Ray and cog_py, and whose /src holds the model. Pure rendering: no Ray
import, no engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from cog_py.ray import RAY_VERSION
from cog_py.ray.options import IMPORT_PATH, ModelLimits, Scaling, deployment_options

SERVE_CONFIG_FILE = "serve-config.yaml"
RAYSERVICE_FILE = "rayservice.yaml"
SERVE_PORT = 8000


@dataclass(frozen=True)
class RayTarget:
    name: str                        # application and RayService name (DNS-1123)
    image: str                       # the model's image, built with --with-ray
    limits: ModelLimits
    scaling: Scaling
    project_dir: str = "/src"        # where the model is on each node
    port: int = SERVE_PORT
    shutdown_grace_s: float = 300.0
    pod_cpu: str = "2"
    pod_memory: str = "4Gi"


def dns_name(text: str) -> str:
    """A Kubernetes object name from an image or directory name."""
    base = text.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0].lower()
    base = re.sub(r"[^a-z0-9-]+", "-", base).strip("-")
    return (base or "cog-model")[:52].rstrip("-")


def application(target: RayTarget) -> dict[str, Any]:
    return {
        "name": target.name,
        "route_prefix": "/",
        "import_path": IMPORT_PATH,
        "args": {"project_dir": target.project_dir},
        "deployments": [deployment_options(target.limits, target.scaling, shutdown_grace_s=target.shutdown_grace_s)],
    }


def serve_config(target: RayTarget) -> dict[str, Any]:
    """`serve deploy FILE` / `serve run FILE`: the model on an existing cluster of image-made nodes."""
    return {
        "proxy_location": "EveryNode",
        "http_options": {"host": "0.0.0.0", "port": target.port},
        "applications": [application(target)],
    }


def _container(name: str, target: RayTarget, ports: list[dict[str, Any]], *, gpu: bool) -> dict[str, Any]:
    limits: dict[str, Any] = {"cpu": target.pod_cpu, "memory": target.pod_memory}
    if gpu:
        limits["nvidia.com/gpu"] = 1
    container: dict[str, Any] = {
        "name": name,
        "image": target.image,
        "resources": {"requests": dict(limits), "limits": dict(limits)},
        # Ray's graceful drain first; SIGTERM reaches `ray start`, whose replicas drain the model.
        "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "ray stop"]}}},
    }
    if ports:
        container["ports"] = ports
    return container


def _worker_count(scaling: Scaling) -> tuple[int, int, int]:
    """Worker pods (one replica each): replicas, min, max."""
    if scaling.autoscaling:
        low = scaling.min_replicas if scaling.min_replicas is not None else 1
        high = scaling.max_replicas or low
        return low, low, high
    return scaling.replicas, scaling.replicas, scaling.replicas


def rayservice(target: RayTarget) -> dict[str, Any]:
    """A KubeRay `RayService` (ray.io/v1) whose head and workers run the model's image."""
    replicas, low, high = _worker_count(target.scaling)
    head_ports = [
        {"containerPort": 6379, "name": "gcs-server"},
        {"containerPort": 8265, "name": "dashboard"},
        {"containerPort": 10001, "name": "client"},
        {"containerPort": target.port, "name": "serve"},
    ]
    serve_v2 = yaml.safe_dump({"applications": [application(target)]}, sort_keys=False)
    cluster: dict[str, Any] = {
        "rayVersion": RAY_VERSION,
        "enableInTreeAutoscaling": target.scaling.autoscaling,
        "headGroupSpec": {
            # The head runs Serve's controller and proxy; the model's replicas run on the workers.
            "rayStartParams": {"dashboard-host": "0.0.0.0", "num-cpus": "0"},
            "template": {"spec": {"containers": [_container("ray-head", target, head_ports, gpu=False)]}},
        },
        "workerGroupSpecs": [{
            "groupName": "model",
            "replicas": replicas,
            "minReplicas": low,
            "maxReplicas": high,
            "rayStartParams": {},
            "template": {"spec": {"containers": [_container("ray-worker", target, [], gpu=target.limits.gpu)]}},
        }],
    }
    return {
        "apiVersion": "ray.io/v1",
        "kind": "RayService",
        "metadata": {"name": target.name, "labels": {"app.kubernetes.io/managed-by": "cog"}},
        "spec": {"serveConfigV2": serve_v2, "rayClusterConfig": cluster},
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the RayService's embedded Serve config) as literal blocks."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def _dump(header: str, doc: dict[str, Any]) -> str:
    return header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=120)


def render(target: RayTarget) -> dict[str, str]:
    """File name -> text, for `cog deploy ray -o DIR`."""
    serve_header = (f"# Ray Serve config for {target.image}, written by `cog deploy ray` (Ray {RAY_VERSION}).\n"
                    f"# On a Ray cluster whose nodes run that image (cog build --with-ray):\n"
                    f"#   serve deploy {SERVE_CONFIG_FILE}    (or: serve run {SERVE_CONFIG_FILE})\n")
    service_header = (f"# KubeRay RayService for {target.image}, written by `cog deploy ray` (Ray {RAY_VERSION}).\n"
                      f"# Needs the KubeRay operator; the image must be built with `cog build --with-ray`.\n"
                      f"#   kubectl apply -f {RAYSERVICE_FILE}\n")
    return {SERVE_CONFIG_FILE: _dump(serve_header, serve_config(target)),
            RAYSERVICE_FILE: _dump(service_header, rayservice(target))}
