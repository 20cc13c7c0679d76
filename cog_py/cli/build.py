"""`cog build`: build the model's image from cog.yaml, labelled and ready to run or push."""

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


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def build(
    tag: Annotated[Optional[str], typer.Option("-t", "--tag", help="A name for the built image, as 'repository:tag'.")] = None,
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the build cache.")] = False,
    progress: ProgressOption = None,
    secret: Annotated[Optional[list[str]], typer.Option("--secret", metavar="id=ID,src=FILE|env=VAR",
                                                        help="A secret for build.run mounts (repeatable).")] = None,
    separate_weights: SeparateWeightsOption = False,
    openapi_schema: Annotated[Optional[Path], typer.Option("--openapi-schema", metavar="FILE",
                                                           help="Use this OpenAPI schema instead of generating one.")] = None,
    use_cuda_base_image: UseCudaBaseImageOption = "auto",
    use_cog_base_image: UseCogBaseImageOption = False,
    with_ray: Annotated[bool, typer.Option("--with-ray", help="Add Ray Serve to the server's environment, for "
                                           "`cog deploy ray` (a layer of its own; Python >= 3.10).")] = False,
) -> None:
    """Build an image from cog.yaml."""
    note_cog_base_image(use_cog_base_image)
    from cog_py.build.image import BuildSettings, build_image

    config = read_config(file)
    settings = BuildSettings(
        tag=tag, mode="release", no_cache=no_cache, progress=progress_mode(progress),
        secrets=tuple(secret or ()), separate_weights=separate_weights,
        openapi_schema=openapi_schema.resolve() if openapi_schema else None,
        use_cuda_base_image=use_cuda_base_image, with_ray=with_ray,
    )
    result = build_image(config, settings, console)
    console.success(f"Image built as {result.name} ({_size(result.size)}, {result.seconds:.1f}s)")


def register(app: typer.Typer) -> None:
    app.command("build")(build)
