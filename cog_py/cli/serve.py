"""`cog serve`: run the model's HTTP server on a local port until Ctrl-C or POST /shutdown."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import (
    DEFAULT_CONFIG_FILE,
    ConfigFileOption,
    EnvOpt,
    GpusOpt,
    MaxReplicasOpt,
    MinReplicasOpt,
    NetworkOpt,
    ProgressOption,
    ReplicasOpt,
    UseCogBaseImageOption,
    UseCudaBaseImageOption,
    local_run,
    note_cog_base_image,
    ray_local_args,
    read_config,
)

HELP = """Run the model's HTTP server.

Builds a development image of the project (code mounted at /src) and serves Cog's HTTP API on http://localhost:PORT until Ctrl-C or POST /shutdown.
"""


def serve(
    port: Annotated[int, typer.Option("-p", "--port", help="Port on the host to serve on.")] = 8393,
    host: Annotated[str, typer.Option("--host", help="Host interface to bind (0.0.0.0 for all).")] = "127.0.0.1",
    upload_url: Annotated[Optional[str], typer.Option("--upload-url", metavar="URL",
                          help="Upload file outputs to this URL (PUT) instead of returning data URLs.")] = None,
    env: EnvOpt = [],  # noqa: B006
    gpus: GpusOpt = None,
    network: NetworkOpt = None,
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
    progress: ProgressOption = None,
    use_cuda_base_image: UseCudaBaseImageOption = "auto",
    use_cog_base_image: UseCogBaseImageOption = False,
    ray: Annotated[bool, typer.Option("--ray", help="Serve on a local Ray Serve instance in the container "
                                      "(the image gets Ray, as with `cog build --with-ray`).")] = False,
    replicas: ReplicasOpt = 1,
    min_replicas: MinReplicasOpt = None,
    max_replicas: MaxReplicasOpt = None,
) -> None:
    import dataclasses

    note_cog_base_image(use_cog_base_image)
    from cog_py.run.serve import ServeOptions
    from cog_py.run.serve import serve as run_server

    run = local_run(env, gpus, network, progress, use_cuda_base_image)
    ray_args = None
    if ray:
        ray_args = ray_local_args(replicas, min_replicas, max_replicas)
        run["build"] = dataclasses.replace(run["build"], with_ray=True)
    opts = ServeOptions(port=port, host=host, upload_url=upload_url, ray_args=ray_args, **run)
    run_server(opts, read_config(file), console)


def register(app: typer.Typer) -> None:
    app.command("serve", help=HELP, short_help="Run the model's HTTP server.")(serve)
