"""`cog debug` (hidden): print the Dockerfile `cog build` would build."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import (
    DEFAULT_CONFIG_FILE,
    ConfigFileOption,
    SeparateWeightsOption,
    UseCudaBaseImageOption,
    read_config,
)


def debug(
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
    separate_weights: SeparateWeightsOption = False,
    use_cuda_base_image: UseCudaBaseImageOption = "auto",
    image_name: Annotated[Optional[str], typer.Option("--image-name", help="The image name (shown only).")] = None,
) -> None:
    """Print the Dockerfile that cog build would use (release mode)."""
    from cog_py.build.image import BuildSettings, prepare

    config = read_config(file)
    settings = BuildSettings(tag=image_name, separate_weights=separate_weights,
                             use_cuda_base_image=use_cuda_base_image)
    prep = prepare(config, settings, console, for_debug=True)
    if separate_weights:
        console.info("=== Weights (copied into /src in their own layer before the code):")
        for rel in prep.plan.weights or ("(none)",):
            console.info(f"  {rel}")
    console.output(prep.dockerfile, newline=False)


def register(app: typer.Typer) -> None:
    app.command("debug", hidden=True)(debug)
