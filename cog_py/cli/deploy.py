"""`cog deploy`: a command group, one command per target (`cog deploy kubernetes`, ...).

A target module adds its command with `register(group)`; list it in TARGET_MODULES (this
module defines `kubernetes` itself). Targets share `cog_py/deploy/` (facts, validation).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import DEFAULT_CONFIG_FILE, ConfigFileOption

if TYPE_CHECKING:
    from cog_py.config.models import Config

TARGET_MODULES: list[str] = ["deploy_ray"]   # further `cog_py.cli.<module>` files that register a target on the group

GROUP_HELP = "Render manifests to run the model on a cluster."

KUBERNETES_HELP = """Write Kubernetes manifests for the model (plain Kubernetes with KEDA, or KServe).

Reads cog.yaml; with IMAGE, also the image's labels and, once it was pushed, its digest (the
pods then pull exactly that build). --format yaml writes a Deployment, Service,
PodDisruptionBudget, an autoscaler (HorizontalPodAutoscaler on CPU, or a KEDA ScaledObject on
the server's in-flight gauge for GPU models) and a Prometheus ServiceMonitor; --format kserve
writes one InferenceService in RawDeployment mode. Without -o the manifests go to stdout.
"""

group = typer.Typer(name="deploy", help=GROUP_HELP, no_args_is_help=True, rich_markup_mode=None,
                    context_settings={"help_option_names": ["-h", "--help"]})


def kubernetes(
    image: Annotated[Optional[str], typer.Argument(metavar="IMAGE", show_default=False,
                     help="The image to deploy (default: `image:` in cog.yaml, else cog build's name).")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", metavar="DIR",
                      help="Write one file per object into DIR instead of printing them.")] = None,
    format: Annotated[str, typer.Option("--format", metavar="yaml|kserve",
                      help="yaml: plain Kubernetes objects; kserve: a KServe InferenceService.")] = "yaml",
    name: Annotated[Optional[str], typer.Option("--name", metavar="NAME", help="Name of the objects (default: from the image).",
                    show_default=False)] = None,
    namespace: Annotated[str, typer.Option("--namespace", "-n", metavar="NS", help="Namespace of the objects.")] = "default",
    replicas: Annotated[Optional[int], typer.Option("--replicas", metavar="N",
                        help="A fixed number of replicas (no autoscaler).", show_default=False)] = None,
    min_replicas: Annotated[Optional[int], typer.Option("--min-replicas", metavar="N",
                            help="Fewest replicas the autoscaler keeps (default 1).", show_default=False)] = None,
    max_replicas: Annotated[Optional[int], typer.Option("--max-replicas", metavar="N",
                            help="Most replicas the autoscaler starts (default 3).", show_default=False)] = None,
    gpu_type: Annotated[str, typer.Option("--gpu-type", metavar="RESOURCE",
                        help="The GPU resource GPU models request.")] = "nvidia.com/gpu",
    gpus: Annotated[int, typer.Option("--gpus", metavar="N", help="GPUs per replica (GPU models).")] = 1,
    cpu: Annotated[Optional[str], typer.Option("--cpu", metavar="CPU", help="CPU per replica (default: 1, or 4 with a GPU).",
                   show_default=False)] = None,
    memory: Annotated[Optional[str], typer.Option("--memory", metavar="BYTES", help="Memory per replica (default: 2Gi, or 16Gi with a GPU).",
                      show_default=False)] = None,
    read_only_root: Annotated[bool, typer.Option("--read-only-root",
                              help="Read-only root filesystem (writable /tmp and cache directories).")] = False,
    upload_url: Annotated[Optional[str], typer.Option("--upload-url", metavar="URL",
                          help="Where the server uploads file outputs.", show_default=False)] = None,
    secret: Annotated[Optional[str], typer.Option("--secret", metavar="NAME",
                      help="Secret with WEBHOOK_AUTH_TOKEN and COG_* settings (default: NAME-env).",
                      show_default=False)] = None,
    grace_period: Annotated[int, typer.Option("--grace-period", metavar="SECONDS",
                            help="How long running predictions may take to finish when a pod stops.")] = 300,
    setup_timeout: Annotated[Optional[int], typer.Option("--setup-timeout", metavar="SECONDS",
                             help="How long setup() may take before the pod is restarted (default: 600, or 1800 "
                                  "with a GPU).", show_default=False)] = None,
    run_as_user: Annotated[int, typer.Option("--run-as-user", metavar="UID",
                           help="User id of the server (0: as the image says, root).")] = 1000,
    prometheus_url: Annotated[str, typer.Option("--prometheus-url", metavar="URL",
                              help="The Prometheus KEDA queries (GPU models).")] = "http://prometheus-operated.monitoring.svc:9090",
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
) -> None:
    from cog_py.deploy.facts import model_facts
    from cog_py.labels import COG_OPENAPI_SCHEMA as OPENAPI_LABEL
    from cog_py.deploy.manifest import render, to_yaml, write_directory
    from cog_py.deploy.plan import DeployOptions, make_plan

    options = DeployOptions(
        name=name, namespace=namespace, format=format, replicas=replicas, min_replicas=min_replicas,
        max_replicas=max_replicas, gpu_type=gpu_type, gpus=gpus, cpu=cpu, memory=memory,
        read_only_root=read_only_root, upload_url=upload_url, secret=secret, grace_period=grace_period,
        setup_timeout=setup_timeout, run_as_user=run_as_user, prometheus_url=prometheus_url,
    )
    config = _config(file, required=image is None)
    attrs = _inspect(image) if image else None
    default_image = None
    if config is not None:
        from cog_py.build.image import image_name

        default_image = image_name(config)
    facts = model_facts(config, image=image, attrs=attrs, default_image=default_image)
    if attrs is not None and not facts.has_schema:
        console.warn(f"{image} has no {OPENAPI_LABEL} label: is it an image cog built? Its server must speak "
                     "Cog's HTTP API (/readyz, /livez, /metrics on port 5000).")
    objects = render(make_plan(facts, options))
    if "@" not in facts.image:
        console.warn(f"Deploying {facts.image} by tag: push it (cog push) and pass it as IMAGE to pin its digest.")
    if output is None:
        console.output(to_yaml(objects), newline=False)
        return
    for path in write_directory(objects, output):
        console.info(f"Wrote {path}")


def _config(file: str, *, required: bool) -> Config | None:
    from cog_py.cli.options import read_config

    if not required and not any((d / file).is_file() for d in (Path.cwd(), *Path.cwd().parents)):
        return None   # IMAGE alone: its labels say what it needs
    return read_config(file)


def _inspect(image: str) -> dict[str, Any] | None:
    """The engine's attributes of IMAGE, or None (with a warning) when it cannot tell."""
    from cog_py.docker.client import connect
    from cog_py.docker.images import image_attrs
    from cog_py.errors import CogError

    try:
        client = connect()
        try:
            return image_attrs(client, image)
        finally:
            client.close()
    except CogError as exc:
        console.warn(f"Could not inspect {image} ({exc.message}): using cog.yaml and the name as given.")
        return None


def register(app: typer.Typer) -> None:
    group.command("kubernetes", help=KUBERNETES_HELP, short_help="Write Kubernetes manifests (plain, KEDA, KServe).")(
        kubernetes)
    for module in TARGET_MODULES:
        importlib.import_module(f"cog_py.cli.{module}").register(group)
    app.add_typer(group, name="deploy")
