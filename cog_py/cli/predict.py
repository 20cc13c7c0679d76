"""`cog predict [IMAGE]` and `cog run [IMAGE]`: the same command under both names."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional, TypedDict

import typer

from cog_py.cli import console
from cog_py.cli.build import ProgressOption, UseCudaBaseImageOption
from cog_py.cli.options import DEFAULT_CONFIG_FILE, ConfigFileOption, UseCogBaseImageOption, note_cog_base_image

if TYPE_CHECKING:
    from cog_py.predict.local import BuildFlags

HELP = """Run a prediction.

If IMAGE is given, the prediction runs on that Docker image (from any directory); it must be an image built by cog. Otherwise the project in the current directory is built as a development image (the code is mounted at /src, so edits need no rebuild) and run.

Inputs are checked against the model's schema before anything is built or started.
"""

ImageArg = Annotated[Optional[str], typer.Argument(metavar="IMAGE", help="A cog-built image to run.", show_default=False)]
InputOpt = Annotated[list[str], typer.Option("-i", "--input", metavar="NAME=VALUE",
                     help="An input: name=value, or name=@path for a file. Repeat a name to pass a list.")]
JsonOpt = Annotated[Optional[str], typer.Option("--json", metavar="JSON",
                    help="All inputs as a JSON object: inline, @file, or - to read stdin.")]
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
    config_file: str
    debug: bool
    cwd: Path
    extra_labels: tuple[tuple[str, str], ...]
    build: BuildFlags


def local_run(env: list[str], gpus: str | None, network: str | None, file: str, progress: str | None,
              use_cuda_base_image: str) -> LocalRun:
    """The shared options of a local run, from the command line and the environment."""
    from cog_py.docker.run import extra_labels

    return LocalRun(env=tuple(env), gpus=gpus, network=network, config_file=file, debug=console.debug_enabled(),
                    cwd=Path.cwd(), extra_labels=extra_labels(), build=build_flags(progress, use_cuda_base_image))


def predict(
    image: ImageArg = None,
    inputs: InputOpt = [],  # noqa: B006 - typer needs a literal default
    json_inputs: JsonOpt = None,
    output: OutputOpt = None,
    env: EnvOpt = [],  # noqa: B006
    gpus: GpusOpt = None,
    network: NetworkOpt = None,
    setup_timeout: TimeoutOpt = 300.0,
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
    progress: ProgressOption = None,
    use_cuda_base_image: UseCudaBaseImageOption = "auto",
    use_replicate_token: Annotated[bool, typer.Option(
        "--use-replicate-token", help="Send $REPLICATE_API_TOKEN to the model as request context (replicate_api_token).")] = False,
    use_cog_base_image: UseCogBaseImageOption = False,
) -> None:
    note_cog_base_image(use_cog_base_image)
    from cog_py.predict.flow import PredictOptions, run_prediction

    opts = PredictOptions(image=image, inputs=tuple(inputs), json_source=json_inputs, output=output,
                          setup_timeout=setup_timeout, use_replicate_token=use_replicate_token,
                          **local_run(env, gpus, network, file, progress, use_cuda_base_image))
    run_prediction(opts, console)


def build_flags(progress: str | None, use_cuda_base_image: str) -> BuildFlags:
    """The build flags every local command shares, resolved like `cog build` resolves them."""
    from cog_py.cli.build import progress_mode
    from cog_py.predict.local import BuildFlags

    return BuildFlags(progress=progress_mode(progress), use_cuda_base_image=use_cuda_base_image)


def register(app: typer.Typer) -> None:
    """Add `predict` and its other name `run`."""
    app.command("predict", help=HELP, short_help="Run a prediction.")(predict)
    app.command("run", help=HELP, short_help="Run a prediction (same as predict).")(predict)
