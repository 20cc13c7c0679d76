"""`cog serve`: the model's HTTP server in a development container, in the foreground."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from cog_py.docker.network import choose_host_network, use_host_network
from cog_py.docker.run import ContainerSpec, model_container
from cog_py.errors import CogError
from cog_py.run.local import BuildFlags, build_dev_image, container_env, docker_client, gpu_choice, server_command
from cog_py.ui import UI

if TYPE_CHECKING:
    from cog_py.config.models import Config

DEFAULT_PORT = 8393


@dataclass(frozen=True)
class ServeOptions:
    port: int = DEFAULT_PORT
    host: str = "127.0.0.1"
    upload_url: str | None = None
    gpus: str | None = None
    network: str | None = None
    env: tuple[str, ...] = ()
    debug: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    extra_labels: tuple[tuple[str, str], ...] = ()
    build: BuildFlags = BuildFlags()
    ray_args: tuple[str, ...] | None = None     # cog serve --ray: `python -m cog_py.ray.local` arguments


def serve_spec(
    opts: ServeOptions, image: str, project_dir: Path, model_gpu: bool, *, host_net: bool | None = None,
) -> tuple[ContainerSpec, bool]:
    """The container for `cog serve` (and whether its GPUs were chosen automatically); `host_net`
    None means the user's choice of network alone decides."""
    if host_net is None:
        host_net = use_host_network(opts.network)
    gpus, gpu_auto = gpu_choice(opts.gpus, model_gpu)
    # On the host network the server itself binds the interface; otherwise the engine publishes it.
    command = server_command(host=opts.host if host_net else None, await_shutdown=True, upload_url=opts.upload_url)
    if opts.ray_args is not None:
        from cog_py.build.plan import SERVER_VENV

        command = (f"{SERVER_VENV}/bin/python", "-m", "cog_py.ray.local",
                   *(("--host", opts.host) if host_net else ()), *opts.ray_args)
    extra_hosts = (("host.docker.internal", "host-gateway"),) if opts.upload_url and not host_net else ()
    spec = ContainerSpec(
        image=image, command=command, env=container_env(opts.env, debug=opts.debug), project_dir=project_dir,
        network_host=host_net, port=opts.port, host_ip=opts.host, gpus=gpus, labels=opts.extra_labels,
        extra_hosts=extra_hosts, role="serve",
    )
    return spec, gpu_auto


def serve(opts: ServeOptions, config: Config, ui: UI, *, stderr: IO[str] | None = None) -> None:
    """Build, start and follow the server until it exits (POST /shutdown) or Ctrl-C."""
    stderr = stderr or sys.stderr
    image = build_dev_image(config, ui=ui, flags=opts.build)
    client = docker_client()
    host_net = choose_host_network(opts.network, client, say=ui.info)
    spec, gpu_auto = serve_spec(opts, image, config.project_dir, config.build.gpu, host_net=host_net)
    ui.info(f"Running '{' '.join(spec.command or ())}' in Docker with the current directory mounted as a volume...")
    try:
        with model_container(client, spec, gpu_auto=gpu_auto, say=ui.warn) as (container, port):
            if opts.host in ("0.0.0.0", "::"):
                ui.info(f"Serving at http://{opts.host}:{port} (http://localhost:{port})")
            else:
                ui.info(f"Serving at http://{_url_host(opts.host)}:{port}")
            status = _follow(container, stderr)
    except KeyboardInterrupt:
        ui.info("Stopped.")
        return
    if status != 0:
        raise CogError(f"container exited with status {status}")


def _follow(container: Any, sink: IO[str]) -> int:
    for chunk in container.logs(stream=True, follow=True):
        sink.write(chunk.decode("utf-8", "replace"))
        sink.flush()
    return int(container.wait().get("StatusCode", 0))


def _url_host(host: str) -> str:
    return "localhost" if host == "127.0.0.1" else (f"[{host}]" if ":" in host else host)
