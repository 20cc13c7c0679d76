"""`cog predict [IMAGE]` and `cog run [IMAGE]`: the same command under both names."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import (
    DEFAULT_CONFIG_FILE,
    ConfigFileOption,
    EnvOpt,
    GpusOpt,
    ImageArg,
    InputOpt,
    NetworkOpt,
    OutputOpt,
    ProgressOption,
    TimeoutOpt,
    UseCogBaseImageOption,
    UseCudaBaseImageOption,
    local_run,
    note_cog_base_image,
    read_config,
)

HELP = """Run a prediction.

If IMAGE is given, the prediction runs on that Docker image (from any directory); it must be an image built by cog. Otherwise the project in the current directory is built as a development image (the code is mounted at /src, so edits need no rebuild) and run.

Inputs are checked against the model's schema before anything is built or started.
"""

JsonOpt = Annotated[Optional[str], typer.Option("--json", metavar="JSON",
                    help="All inputs as a JSON object: inline, @file, or - to read stdin.")]


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
    from cog_py.run.flow import PredictOptions, run_prediction

    opts = PredictOptions(image=image, inputs=tuple(inputs), json_source=json_inputs, output=output,
                          setup_timeout=setup_timeout, use_replicate_token=use_replicate_token,
                          **local_run(env, gpus, network, progress, use_cuda_base_image))
    run_prediction(opts, None if image else read_config(file), console)


def register(app: typer.Typer) -> None:
    """Add `predict` and its other name `run`."""
    app.command("predict", help=HELP, short_help="Run a prediction.")(predict)
    app.command("run", help=HELP, short_help="Run a prediction (same as predict).")(predict)
