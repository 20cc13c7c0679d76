"""Running a container attached to our streams, like `docker run -i [-t]`.

stdin is pumped into the container's socket on a thread; its stdout/stderr frames are written to
ours; a TTY is put in raw mode and the container's terminal sized like ours, following every
change of our window (SIGWINCH). Always removed.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from contextlib import contextmanager
from typing import IO, Any, Iterator

from docker.utils.socket import frames_iter

from cog_py.docker.run import ContainerSpec, remove_container, start_container, stop_signals_interrupt


def run_attached(client: Any, spec: ContainerSpec, *, stdin: IO[Any], stdout: IO[Any], stderr: IO[Any],
                 gpu_auto: bool = False, say: Any = lambda _: None) -> int:
    """Run the container attached to our streams; return its exit status. Always removes it."""
    holder: dict[str, Any] = {}

    def attach(container: Any) -> None:
        params = {"stdin": int(spec.stdin), "stdout": 1, "stderr": 1, "stream": 1}
        holder["sock"] = client.api.attach_socket(container.id, params=params)

    with stop_signals_interrupt():
        container = start_container(client, spec, gpu_auto=gpu_auto, say=say, before_start=attach)
        try:
            sock = holder["sock"]
            with _raw_terminal(stdin if spec.tty else None), _following_resizes(client, container, stdin if spec.tty else None):
                if spec.stdin:
                    threading.Thread(target=_pump_stdin, args=(stdin, sock), daemon=True).start()
                out, err = _binary(stdout), _binary(stderr)
                for stream, data in frames_iter(sock, spec.tty):
                    target = err if stream == 2 else out
                    target.write(data)
                    target.flush()
            return int(container.wait().get("StatusCode", 1))
        finally:
            remove_container(container)


def _pump_stdin(stdin: IO[Any], sock: Any) -> None:
    raw = getattr(sock, "_sock", sock)
    try:
        fd = stdin.fileno()
        while True:
            data = os.read(fd, 65536)
            if not data:
                break
            raw.sendall(data)
        raw.shutdown(socket.SHUT_WR)
    except OSError:
        return


def _binary(stream: IO[Any]) -> Any:
    return getattr(stream, "buffer", stream)


def _resize(client: Any, container: Any, stdin: IO[Any]) -> None:
    try:
        size = os.get_terminal_size(stdin.fileno())
        client.api.resize(container.id, height=size.lines, width=size.columns)
    except Exception:  # resizing is cosmetic
        return


@contextmanager
def _following_resizes(client: Any, container: Any, stdin: IO[Any] | None) -> Iterator[None]:
    """Size the container's terminal like ours now and whenever ours changes.

    The SIGWINCH handler only sets an event: the resize call (an HTTP request) runs on a thread,
    never inside the handler, which could interrupt the main thread in the middle of another
    request on the same connection pool.
    """
    if stdin is None:
        yield
        return
    _resize(client, container, stdin)
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGWINCH"):
        yield
        return
    changed = threading.Event()
    stopping = threading.Event()

    def follow() -> None:
        while changed.wait() and not stopping.is_set():
            changed.clear()
            _resize(client, container, stdin)

    threading.Thread(target=follow, name="cog-resize", daemon=True).start()
    previous = signal.signal(signal.SIGWINCH, lambda signum, frame: changed.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGWINCH, previous if previous is not None else signal.SIG_DFL)
        stopping.set()
        changed.set()


@contextmanager
def _raw_terminal(stdin: IO[Any] | None) -> Iterator[None]:
    if stdin is None:
        yield
        return
    import termios
    import tty

    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        # TCSANOW, not setraw's default TCSAFLUSH: what was typed before the container started
        # stays in the input queue and reaches the shell.
        tty.setraw(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
