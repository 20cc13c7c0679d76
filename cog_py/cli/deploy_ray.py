"""`cog deploy ray`: write a Ray Serve config and a KubeRay RayService for the model's image.

`add_ray_command(deploy_app)` adds the `ray` subcommand to a `deploy` command group; until the
group exists elsewhere, `register(app)` makes a small one. The scaling options are shared with
`cog serve --ray`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import (
    DEFAULT_CONFIG_FILE,
    ConfigFileOption,
    MaxReplicasOpt,
    MinReplicasOpt,
    ReplicasOpt,
    read_config,
    scaling_from_flags,
)

if TYPE_CHECKING:
    from cog_py.config.models import Config
    from cog_py.ray.options import ModelLimits

TargetOpt = Annotated[Optional[float], typer.Option(
    "--target-ongoing-requests", min=0.01, help="Autoscaling: requests per replica to aim for (default: concurrency.max).")]
UpscaleOpt = Annotated[float, typer.Option("--upscale-delay", min=0, metavar="SECONDS",
                                           help="Autoscaling: load must last this long before replicas are added.")]
DownscaleOpt = Annotated[float, typer.Option("--downscale-delay", min=0, metavar="SECONDS",
                                             help="Autoscaling: quiet must last this long before replicas are removed.")]

HELP = """Write a Ray Serve config and a KubeRay RayService for the model.

The Ray nodes run the model's image, built with `cog build --with-ray`: serve-config.yaml is for `serve deploy` (or `serve run`) on an existing Ray cluster, rayservice.yaml for `kubectl apply` with the KubeRay operator. Each replica serves Cog's HTTP API; concurrency.max in cog.yaml is its max ongoing requests and gpu: true gives it one GPU.
"""




def model_limits(config: Config) -> ModelLimits:
    """concurrency.max from cog.yaml, else from @concurrent in predict.py (read without importing it)."""
    from cog_py.errors import CogError
    from cog_py.ray.options import ModelLimits, limits_from_config

    limits = limits_from_config(config)
    if config.concurrency_max is None:
        try:
            from cog_py.build.schema import static_schema

            found = static_schema(config).concurrency_max
        except CogError:
            found = None
        if found:
            limits = ModelLimits(max_concurrency=found, max_queued=limits.max_queued, gpu=limits.gpu)
    return limits


def deploy_ray(
    output: Annotated[Path, typer.Option("-o", "--output", metavar="DIR", help="Directory to write the files to.")] = Path("."),
    image: Annotated[Optional[str], typer.Option("--image", help="The model's image (default: image: in cog.yaml, "
                                                 "else cog-<directory>).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Application and RayService name (default: from the image).")] = None,
    replicas: ReplicasOpt = 1,
    min_replicas: MinReplicasOpt = None,
    max_replicas: MaxReplicasOpt = None,
    target_ongoing_requests: TargetOpt = None,
    upscale_delay: UpscaleOpt = 5.0,
    downscale_delay: DownscaleOpt = 60.0,
    port: Annotated[int, typer.Option("--port", help="Port of Serve's HTTP proxy.")] = 8000,
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
) -> None:
    from cog_py.build.image import image_name
    from cog_py.ray.deploy import RayTarget, dns_name, render

    config = read_config(file)
    scaling = scaling_from_flags(replicas, min_replicas, max_replicas, target_ongoing_requests, upscale_delay,
                                 downscale_delay)
    ref = image or image_name(config)
    target = RayTarget(name=name or dns_name(ref), image=ref, limits=model_limits(config), scaling=scaling, port=port)
    output.mkdir(parents=True, exist_ok=True)
    for filename, text in render(target).items():
        (output / filename).write_text(text)
        console.info(f"Wrote {output / filename}")


def register(group: typer.Typer) -> None:
    """Add `cog deploy ray` to the `cog deploy` group (cli/deploy.py lists this module)."""
    group.command("ray", help=HELP, short_help="Ray Serve config and KubeRay RayService.")(deploy_ray)
