"""Options several commands share, and how a command turns them into inputs.

Every option used by more than one command lives here (one floor: command modules import this
module and `console`, never each other), with `read_config`, the one place the CLI loads
cog.yaml for the layers below it (they take a loaded `Config`, never a file name).

Usage in a command module:

    from cog_py.cli.options import ConfigFileOption, read_config

    def build(file: ConfigFileOption = DEFAULT_CONFIG_FILE) -> None:
        config = read_config(file)          # prints cog.yaml warnings, raises ConfigError
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, TypedDict

import typer

from cog_py.cli import console
from cog_py.errors import UsageError

if TYPE_CHECKING:
    from cog_py.config.models import Config
    from cog_py.ray.options import Scaling
    from cog_py.run.local import BuildFlags

DEFAULT_CONFIG_FILE = "cog.yaml"

ConfigFileOption = Annotated[
    str,
    typer.Option(
        "-f",
        "--file",
        metavar="FILE",
        help="The name of the config file (looked for in this directory and its parents).",
    ),
]


def read_config(file: str = DEFAULT_CONFIG_FILE, *, cwd: Path | None = None) -> Config:
    """Find and load the config named by `-f/--file`, printing its warnings to stderr."""
    from cog_py.config.loader import load_config  # pydantic and yaml only when a command needs them

    loaded = load_config(cwd=cwd, filename=file)
    for warning in loaded.warnings:
        console.warn(warning)
    return loaded.config


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
        raise UsageError(f"invalid --progress {mode!r}: use one of auto, plain, quiet")
    return "auto" if mode == "tty" else mode


# The options of the commands that build and run the project locally (predict, train, serve, exec).
ImageArg = Annotated[Optional[str], typer.Argument(metavar="IMAGE", help="A cog-built image to run.", show_default=False)]
InputOpt = Annotated[list[str], typer.Option("-i", "--input", metavar="NAME=VALUE",
                     help="An input: name=value, or name=@path for a file. Repeat a name to pass a list.")]
OutputOpt = Annotated[Optional[str], typer.Option("-o", "--output", metavar="PATH", help="Where to write the output.")]
EnvOpt = Annotated[list[str], typer.Option("-e", "--env", metavar="NAME=VALUE",
                   help="An environment variable for the model's container (repeatable).")]
GpusOpt = Annotated[Optional[str], typer.Option("--gpus", metavar="GPUS",
                    help="GPUs to use: all, a number, or device=0,1 (default: all for GPU models).")]
NetworkOpt = Annotated[Optional[str], typer.Option("--network", metavar="MODE",
                       help="Container network; 'host' runs on the host network (also COG_DOCKER_NETWORK=host).")]
TimeoutOpt = Annotated[float, typer.Option("--setup-timeout", metavar="SECONDS",
                       help="How long to wait for setup() to finish.")]


class LocalRun(TypedDict):
    """What every command that builds and runs the project locally (predict, train, serve, exec)
    passes to its options object besides its own flags."""

    env: tuple[str, ...]
    gpus: str | None
    network: str | None
    debug: bool
    cwd: Path
    extra_labels: tuple[tuple[str, str], ...]
    build: BuildFlags


def local_run(env: list[str], gpus: str | None, network: str | None, progress: str | None,
              use_cuda_base_image: str) -> LocalRun:
    """The shared options of a local run, from the command line and the environment."""
    from cog_py.docker.run import extra_labels

    return LocalRun(env=tuple(env), gpus=gpus, network=network, debug=console.debug_enabled(),
                    cwd=Path.cwd(), extra_labels=extra_labels(), build=build_flags(progress, use_cuda_base_image))


def build_flags(progress: str | None, use_cuda_base_image: str) -> BuildFlags:
    """The build flags every local command shares, resolved like `cog build` resolves them."""
    from cog_py.ray.options import Scaling
    from cog_py.run.local import BuildFlags

    return BuildFlags(progress=progress_mode(progress), use_cuda_base_image=use_cuda_base_image)


USE_COG_BASE_IMAGE = "--use-cog-base-image"
UseCogBaseImageOption = Annotated[
    bool,
    typer.Option(
        f"{USE_COG_BASE_IMAGE}/--no-use-cog-base-image",
        help="Accepted for Cog compatibility (=true|false); cog_py always builds its own base layers.",
        show_default=False,
    ),
]


def normalise_bool_options(args: list[str]) -> list[str]:
    """Accept Cog's `--use-cog-base-image=true|false` spelling (our flags take no `=value`).

    Only for the commands that have the option, and only up to a `--`, so an argument meant for
    a program (`cog exec ...`) is never touched.
    """
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in _COG_BASE_IMAGE_COMMANDS:
        return args
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--":
            return out + args[index:]
        name, eq, value = arg.partition("=")
        if name == USE_COG_BASE_IMAGE and eq and value.lower() in ("true", "false"):
            arg = USE_COG_BASE_IMAGE if value.lower() == "true" else "--no-use-cog-base-image"
        out.append(arg)
    return out


_COG_BASE_IMAGE_COMMANDS = ("build", "predict", "run", "serve", "push")


def note_cog_base_image(use: bool) -> None:
    """`--use-cog-base-image=true`: say once that it changes nothing here, and go on."""
    if use:
        console.info("--use-cog-base-image: cog_py builds its own base layers (no cog-base image); continuing.")


# Ray Serve replicas: `cog deploy ray` and `cog serve --ray`.
ReplicasOpt = Annotated[int, typer.Option("--replicas", min=1, help="Replicas of the model (without autoscaling).")]
MinReplicasOpt = Annotated[Optional[int], typer.Option("--min-replicas", min=0,
                                                       help="Autoscaling: fewest replicas (default 1).")]
MaxReplicasOpt = Annotated[Optional[int], typer.Option("--max-replicas", min=1,
                                                       help="Autoscaling: most replicas (turns autoscaling on).")]


def scaling_from_flags(replicas: int, min_replicas: int | None, max_replicas: int | None, target: float | None,
                       upscale: float, downscale: float) -> Scaling:
    from cog_py.ray.options import Scaling

    scaling = Scaling(replicas=replicas, min_replicas=min_replicas, max_replicas=max_replicas, target_ongoing=target,
                      upscale_delay_s=upscale, downscale_delay_s=downscale)
    scaling.check()
    return scaling


def ray_local_args(replicas: int, min_replicas: int | None, max_replicas: int | None) -> tuple[str, ...]:
    """`cog serve --ray`: the arguments of `python -m cog_py.ray.local` in the container."""
    scaling_from_flags(replicas, min_replicas, max_replicas, None, 5.0, 60.0)   # the same checks
    args = ["--project-dir", "/src", "--replicas", str(replicas)]
    if min_replicas is not None:
        args += ["--min-replicas", str(min_replicas)]
    if max_replicas is not None:
        args += ["--max-replicas", str(max_replicas)]
    return tuple(args)
