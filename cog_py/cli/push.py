"""`cog push [IMAGE]`: build the release image and push it to a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import (
    DEFAULT_CONFIG_FILE,
    ConfigFileOption,
    ProgressOption,
    SeparateWeightsOption,
    UseCogBaseImageOption,
    UseCudaBaseImageOption,
    note_cog_base_image,
    progress_mode,
    read_config,
)

HELP = """Build and push the model's image to a Docker registry.

IMAGE defaults to `image:` in cog.yaml. Log in first with `cog login REGISTRY`.
"""


def push(
    image: Annotated[Optional[str], typer.Argument(metavar="IMAGE", help="Where to push, e.g. registry.example.com/you/model.",
                     show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the build cache.")] = False,
    secret: Annotated[list[str], typer.Option("--secret", metavar="id=ID,src=PATH",
                      help="A build secret (repeatable).")] = [],  # noqa: B006
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
    progress: ProgressOption = None,
    use_cuda_base_image: UseCudaBaseImageOption = "auto",
    separate_weights: SeparateWeightsOption = False,
    openapi_schema: Annotated[Optional[Path], typer.Option("--openapi-schema", metavar="FILE",
                              help="Use this OpenAPI schema instead of generating one.")] = None,
    use_cog_base_image: UseCogBaseImageOption = False,
) -> None:
    note_cog_base_image(use_cog_base_image)
    from cog_py.run.push import PushOptions
    from cog_py.run.push import push as push_model

    opts = PushOptions(
        image=image, no_cache=no_cache, secrets=tuple(secret), progress=progress_mode(progress),
        use_cuda_base_image=use_cuda_base_image, separate_weights=separate_weights,
        openapi_schema=openapi_schema.resolve() if openapi_schema else None, cwd=Path.cwd(),
    )
    ref = push_model(opts, read_config(file), console)
    console.success("Image pushed")
    console.info(f"  image  {ref}")


def register(app: typer.Typer) -> None:
    app.command("push", help=HELP, short_help="Build and push the model's image.")(push)
