"""A guard process that removes a container once the CLI that started it is gone, however it went.

The CLI removes its containers in a `finally`, which SIGKILL (or a crash of the interpreter)
skips. So for every container it starts, the CLI also starts this module as a small process in
its own session (a closed terminal's SIGHUP does not reach it), holding the write end of a pipe
to the guard's stdin. Only the CLI holds that end (`os.pipe` fds are not inherited by other
children), and the kernel closes it when the CLI dies for whatever reason:

* the CLI removed the container itself -> it writes RELEASE and the guard exits at once;
* the guard reads end-of-file without RELEASE -> the CLI died -> the guard removes the container.

Waiting on a pipe costs nothing (no polling, no pid reuse races); docker is only imported when
there is something to remove.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import IO, Any

RELEASE = b"r"
# Set to 0 to start no guards (a CLI embedded where it must not spawn processes).
GUARD_ENV = "COG_PY_CONTAINER_GUARD"


def client_gone(stream: IO[bytes]) -> bool:
    """Block until the CLI releases the container (False) or its end of the pipe closes (True)."""
    try:
        return stream.read(1) != RELEASE
    except OSError:
        return True


class Guard:
    """The CLI's handle on one guard process."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    def release(self) -> None:
        """The container is gone (removed by the CLI): let the guard exit without doing anything."""
        stdin = self.process.stdin
        if stdin is None:
            return
        try:
            stdin.write(RELEASE)
            stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def start_guard(container_id: str, environ: dict[str, str] | None = None) -> Guard | None:
    """Start the guard for `container_id`; None when switched off or it cannot be started."""
    env = dict(os.environ if environ is None else environ)
    if env.get(GUARD_ENV, "1") == "0":
        return None
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "cog_py.docker.reaper", container_id],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, close_fds=True, env=env,
        )
    except OSError:
        return None
    return Guard(process)


def remove(container_id: str) -> None:
    """Remove the container (force, with its anonymous volumes); a missing one is fine."""
    import docker
    import docker.errors

    client: Any = None
    try:
        client = docker.from_env(timeout=60)
        client.api.remove_container(container_id, force=True, v=True)
    except docker.errors.DockerException:
        pass
    finally:
        if client is not None:
            client.close()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m cog_py.docker.reaper CONTAINER_ID", file=sys.stderr)
        return 2
    if client_gone(sys.stdin.buffer):
        remove(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
