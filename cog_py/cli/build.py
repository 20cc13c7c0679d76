"""`cog build`: build the model's image from cog.yaml, labelled and ready to run or push."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import DEFAULT_CONFIG_FILE, ConfigFileOption, read_config
from cog_py.errors import CogError

PROGRESS_MODES = ("auto", "tty", "plain", "quiet")

ProgressOption = Annotated[
    Optional[str],
    typer.Option("--progress", metavar="MODE",
                 help="Build output: auto, plain or quiet (default: $BUILDKIT_PROGRESS, plain if TERM=dumb, else auto)."),
]
UseCudaBaseImageOption = Annotated[
    str,
    typer.Option("--use-cuda-base-image", metavar="auto|true|false",
                 help="GPU models: build on nvidia/cuda (true) or on python:X.Y-slim with CUDA wheels (false)."),
]
SeparateWeightsOption = Annotated[
    bool, typer.Option("--separate-weights", help="Put large weight files (>= 10 MiB) in a layer of their own, before the code."),
]


def progress_mode(value: str | None, environ: dict[str, str] | None = None) -> str:
    """Resolve --progress: explicit, $BUILDKIT_PROGRESS, `plain` when TERM=dumb, else `auto`."""
    env = dict(os.environ if environ is None else environ)
    mode = (value or env.get("BUILDKIT_PROGRESS") or ("plain" if env.get("TERM") == "dumb" else "auto")).lower()
    if mode not in PROGRESS_MODES:
        raise CogError(f"invalid --progress {mode!r}: use one of auto, plain, quiet")
    return "auto" if mode == "tty" else mode


def say(message: str) -> None:
    """Build messages to stderr; warnings in warning style."""
    if message.startswith("Warning: "):
        console.warn(message[len("Warning: "):])
    else:
        console.info(message)


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
    with_ray: Annotated[bool, typer.Option("--with-ray", help="Add Ray Serve to the server's environment, for "
                                           "`cog deploy ray` (a layer of its own; Python >= 3.10).")] = False,
) -> None:
    """Build an image from cog.yaml."""
    from cog_py.build.image import BuildSettings, build_image

    config = read_config(file)
    settings = BuildSettings(
        tag=tag, mode="release", no_cache=no_cache, progress=progress_mode(progress),
        secrets=tuple(secret or ()), separate_weights=separate_weights,
        openapi_schema=openapi_schema.resolve() if openapi_schema else None,
        use_cuda_base_image=use_cuda_base_image, with_ray=with_ray,
    )
    result = build_image(config, settings, say)
    console.success(f"Image built as {result.name} ({_size(result.size)}, {result.seconds:.1f}s)")


def register(app: typer.Typer) -> None:
    app.command("build")(build)
