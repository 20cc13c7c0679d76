"""`cog predict` / `cog run` / `cog train`: check inputs, build, start, predict, render.

Inputs are checked against the schema before any build or container; the container is
removed in every case (see `cog_py.docker.run.model_container`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cog_py.docker.network import choose_host_network
from cog_py.docker.run import ContainerSpec, model_container
from cog_py.errors import UsageError
from cog_py.run.client import ModelClient, SSEEvent, free_port
from cog_py.run.inputs import build_payload
from cog_py.run.local import (
    BuildFlags,
    check_image_name,
    container_env,
    docker_client,
    gpu_choice,
    inspect_image,
    schema_from_source,
    server_command,
)
from cog_py.run.output import OutputOptions, render_response, resolve_output_path
from cog_py.run.schema import ModelSchema
from cog_py.ui import UI

if TYPE_CHECKING:
    from cog_py.config.models import Config


@dataclass(frozen=True)
class PredictOptions:
    """Everything `cog predict`/`cog train` was told."""

    image: str | None = None
    inputs: tuple[str, ...] = ()
    json_source: str | None = None
    output: str | None = None
    env: tuple[str, ...] = ()
    gpus: str | None = None
    setup_timeout: float = 300.0
    network: str | None = None
    mode: str = "predict"                 # or "train"
    debug: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    extra_labels: tuple[tuple[str, str], ...] = ()
    build: BuildFlags = BuildFlags()
    use_replicate_token: bool = False     # send $REPLICATE_API_TOKEN as request context


def run_prediction(opts: PredictOptions, config: Config | None, ui: UI, *, stdin: IO[str] | None = None,
                   stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> None:
    """Run one prediction (or training) end to end; raises CogError subclasses on failure.

    `config` is the project's loaded cog.yaml; None when `opts.image` names an image to run.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    train = opts.mode == "train"
    out_opts = OutputOptions(output_path=opts.output, json_mode=opts.json_source is not None and not train,
                             default_name="weights" if train else "output", always_write=train)
    project_dir: Path | None = None
    client = None
    if opts.image:
        check_image_name(opts.image)
        client = docker_client()
        model = inspect_image(client, opts.image, opts.mode, say=ui.info)
        schema, image, model_gpu = model.schema, model.image, model.gpu
    else:
        if config is None:
            raise UsageError("a local run needs the project's cog.yaml (or an IMAGE to run)")
        project_dir = config.project_dir
        ref = config.train if train else config.predict
        batch = (config.batch.max_size, config.batch.max_wait_ms) if config.batch and not train else None
        schema = schema_from_source(project_dir, ref, opts.mode, batch=batch)
        image, model_gpu = "", config.build.gpu
    context = request_context(opts.use_replicate_token)
    payload = _payload(schema, opts, stdin) if schema is not None else None
    if opts.output or train:
        resolve_output_path(out_opts, cwd=opts.cwd)  # fail now rather than after the prediction
    env = container_env(opts.env, debug=opts.debug)

    if not opts.image:
        from cog_py.run.local import build_dev_image

        assert config is not None
        image = build_dev_image(config, ui=ui, flags=opts.build)
        client = docker_client()
    assert client is not None
    gpus, gpu_auto = gpu_choice(opts.gpus, model_gpu)
    host_net = choose_host_network(opts.network, client, say=ui.info)
    port = free_port() if host_net else None
    spec = ContainerSpec(
        image=image,
        command=server_command(mode=opts.mode, host="127.0.0.1" if host_net else None),
        env=env, project_dir=project_dir, network_host=host_net, port=port, gpus=gpus,
        labels=opts.extra_labels, role=opts.mode,
    )
    ui.info("Starting Docker image and running setup()...")
    with model_container(client, spec, gpu_auto=gpu_auto, say=ui.warn, logs=stderr) as (container, host_port):
        http = ModelClient("127.0.0.1", host_port)
        http.wait_ready(timeout=opts.setup_timeout, alive=lambda: _alive(container))
        if schema is None:
            schema = ModelSchema(http.openapi(), opts.mode)
            payload = _payload(schema, opts, stdin)
        assert payload is not None
        ui.info("Running training..." if train else "Running prediction...")
        streamed = False
        output_schema = schema.output_schema()
        if schema.is_streaming() and not out_opts.json_mode and not opts.output and not train \
                and _streams_text(output_schema):
            response = http.predict_stream(schema.endpoint, payload, _printer(stdout), context=context)
            streamed = True
        else:
            response = http.predict(schema.endpoint, payload, context)
    render_response(response, output_schema, out_opts, cwd=opts.cwd, stdout=stdout, log=ui.info, warn=ui.warn,
                    printed_stream=streamed)


def request_context(use_replicate_token: bool, environ: Mapping[str, str] = os.environ) -> dict[str, str] | None:
    """The request's `context`: the Replicate API token when asked for (checked before any build)."""
    if not use_replicate_token:
        return None
    token = environ.get("REPLICATE_API_TOKEN")
    if not token:
        raise UsageError("Failed to find REPLICATE_API_TOKEN in the current environment when called with --use-replicate-token",
                       hint="export REPLICATE_API_TOKEN=r8_... (your API token from replicate.com/account/api-tokens)")
    return {"replicate_api_token": token}


def _payload(schema: ModelSchema, opts: PredictOptions, stdin: IO[str] | None) -> dict[str, Any]:
    return build_payload(schema, flags=opts.inputs, json_source=opts.json_source, stdin=stdin, cwd=opts.cwd)


def _alive(container: Any) -> bool:
    from cog_py.docker.run import is_running

    return is_running(container)


def _streams_text(output_schema: dict[str, Any]) -> bool:
    items = output_schema.get("items") or {}
    return output_schema.get("type") == "array" and items.get("type") == "string" and items.get("format") != "uri"


def _printer(stdout: IO[str]) -> Any:
    def on_event(event: SSEEvent) -> None:
        if event.event == "output" and isinstance(event.data, dict):
            chunk = event.data.get("chunk")
            stdout.write(chunk if isinstance(chunk, str) else str(chunk))
            stdout.flush()

    return on_event
