"""`cog exec`: run a command in the development image with the project mounted at /src.

Attached like `docker run -i [-t]`: stdin is forwarded when it is a pipe, a file or a TTY
(a TTY also makes the container's a TTY, in raw mode); the exit status comes back.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cog_py.docker.attach import run_attached
from cog_py.docker.network import choose_host_network
from cog_py.docker.run import ContainerSpec
from cog_py.errors import CogError
from cog_py.predict.flow import UI
from cog_py.predict.local import BuildFlags, build_dev_image, container_env, docker_client, gpu_choice


class ContainerExitError(CogError):
    """The command in the container exited non-zero; the CLI exits with the same status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"container exited with status {status}")
        self.exit_code = status


@dataclass(frozen=True)
class ExecOptions:
    command: tuple[str, ...]
    env: tuple[str, ...] = ()
    gpus: str | None = None
    publish: tuple[str, ...] = ()
    network: str | None = None
    config_file: str = "cog.yaml"
    debug: bool = False
    cwd: Path = field(default_factory=Path.cwd)
    extra_labels: tuple[tuple[str, str], ...] = ()
    build: BuildFlags = BuildFlags()


def parse_publish(value: str) -> tuple[str, int]:
    """`8000`, `0.0.0.0:8000` or `[::1]:8000` -> (host ip, port); the default ip is 127.0.0.1."""
    ip, port_text = "127.0.0.1", value
    if value.startswith("["):
        ip, _, port_text = value[1:].partition("]:")
    elif ":" in value:
        ip, _, port_text = value.rpartition(":")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536 or not ip:
        raise CogError(f'invalid port "{value}": expected PORT, IP:PORT or [IPv6]:PORT')
    return ip, int(port_text)


def stdin_mode(stdin: IO[Any]) -> tuple[bool, bool]:
    """(attach stdin?, use a TTY?): a TTY, a pipe or a file is attached; /dev/null is not."""
    try:
        fd = stdin.fileno()
    except (OSError, ValueError, AttributeError):
        return False, False
    if os.isatty(fd):
        return True, True
    mode = os.fstat(fd).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode) or stat.S_ISSOCK(mode), False


def exec_command(opts: ExecOptions, ui: UI, *, stdin: IO[Any] | None = None, stdout: IO[Any] | None = None,
                 stderr: IO[Any] | None = None) -> None:
    """Build the dev image and run `opts.command` in it; raise ContainerExitError on non-zero."""
    from cog_py.cli.options import read_config

    if not opts.command:
        raise CogError("cog exec needs a command to run, e.g. `cog exec python --version`")
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    ports = tuple(parse_publish(p) for p in opts.publish)
    config = read_config(opts.config_file, cwd=opts.cwd)
    image = build_dev_image(config, say=ui.info, with_schema=False, flags=opts.build)
    client = docker_client()
    attach_stdin, tty = stdin_mode(stdin)
    gpus, gpu_auto = gpu_choice(opts.gpus, config.build.gpu)
    spec = ContainerSpec(
        image=image, command=opts.command, env=container_env(opts.env, debug=opts.debug),
        project_dir=config.project_dir, network_host=choose_host_network(opts.network, client, say=ui.info), publish=False,
        extra_ports=ports, gpus=gpus, labels=opts.extra_labels, tty=tty, stdin=attach_stdin, role="exec",
    )
    ui.info(f"Running '{' '.join(opts.command)}' in Docker with the current directory mounted as a volume...")
    status = run_attached(client, spec, stdin=stdin, stdout=stdout, stderr=stderr, gpu_auto=gpu_auto, say=ui.warn)
    if status != 0:
        raise ContainerExitError(status)
