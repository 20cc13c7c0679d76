"""`cog train [IMAGE]`: run the model's `train:` like a prediction; outputs land in `weights`."""

from __future__ import annotations


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
    UseCudaBaseImageOption,
    local_run,
    read_config,
)

HELP = """Run a training.

Like `cog predict`, but runs the `train:` reference of cog.yaml through /trainings. The output is written to `weights` (or -o PATH). Without IMAGE the project is mounted at /src, so files the trainer writes in its working directory appear in the project.
"""


def train(
    image: ImageArg = None,
    inputs: InputOpt = [],  # noqa: B006
    output: OutputOpt = None,
    env: EnvOpt = [],  # noqa: B006
    gpus: GpusOpt = None,
    network: NetworkOpt = None,
    setup_timeout: TimeoutOpt = 300.0,
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
    progress: ProgressOption = None,
    use_cuda_base_image: UseCudaBaseImageOption = "auto",
) -> None:
    from cog_py.run.flow import PredictOptions, run_prediction

    opts = PredictOptions(image=image, inputs=tuple(inputs), output=output, setup_timeout=setup_timeout, mode="train",
                          **local_run(env, gpus, network, progress, use_cuda_base_image))
    run_prediction(opts, None if image else read_config(file), console)


def register(app: typer.Typer) -> None:
    app.command("train", help=HELP, short_help="Run a training.")(train)
