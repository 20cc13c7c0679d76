"""The container guard: it acts only when the CLI's end of the pipe closes without a release."""

from __future__ import annotations

import os
import sys
import subprocess

from cog_py.docker.reaper import GUARD_ENV, RELEASE, Guard, client_gone, start_guard


def _pipe(payload: bytes) -> bool:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, payload)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream:
        return client_gone(stream)


def test_a_release_means_the_cli_removed_the_container_itself() -> None:
    assert _pipe(RELEASE) is False


def test_end_of_file_without_a_release_means_the_cli_died() -> None:
    assert _pipe(b"") is True


def test_switched_off_by_the_environment() -> None:
    assert start_guard("abc", environ={**os.environ, GUARD_ENV: "0"}) is None


def test_a_released_guard_exits_at_once() -> None:
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(sys.stdin.buffer.read(1) != b'r')"],
                               stdin=subprocess.PIPE)
    Guard(process).release()
    assert process.returncode == 0
