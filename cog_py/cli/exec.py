"""`cog exec CMD [ARG...]`: run a command in the model's environment, project mounted at /src."""

from __future__ import annotations

from typing import Annotated

import typer

from cog_py.cli import console
from cog_py.cli.options import (
    DEFAULT_CONFIG_FILE,
    ConfigFileOption,
    EnvOpt,
    GpusOpt,
    NetworkOpt,
    ProgressOption,
    UseCudaBaseImageOption,
    local_run,
    read_config,
)

HELP = """Run a command inside the model's Docker environment.

The project is mounted at /src (the working directory). Stdin, the exit status and a terminal pass through. Options must come before the command.
"""


def exec_(
    command: Annotated[list[str], typer.Argument(metavar="COMMAND [ARG]", help="The command to run.")],
    publish: Annotated[list[str], typer.Option("-p", "--publish", metavar="[IP:]PORT",
                       help="Publish a container port on the host (same number; default IP 127.0.0.1).")] = [],  # noqa: B006
    env: EnvOpt = [],  # noqa: B006
    gpus: GpusOpt = None,
    network: NetworkOpt = None,
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
    progress: ProgressOption = None,
    use_cuda_base_image: UseCudaBaseImageOption = "auto",
) -> None:
    from cog_py.run.attach import ExecOptions, check_command, exec_command

    opts = ExecOptions(command=tuple(command), publish=tuple(publish),
                       **local_run(env, gpus, network, progress, use_cuda_base_image))
    check_command(opts)
    exec_command(opts, read_config(file), console)


def register(app: typer.Typer) -> None:
    app.command(
        "exec", help=HELP, short_help="Run a command inside the model's Docker environment.",
        context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True},
    )(exec_)
