"""`cog serve` answering real HTTP, and `cog exec` with stdin and exit codes, on the real engine."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from cog_py.run.client import free_port
from tests.integration.cli_support import dev_image_name, make_project, popen_cog, run_cog, session_container_ids

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ECHO = """
from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, text: str = Input(description="text")) -> str:
        return "echo " + text
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient, base_image_311: str) -> Iterator[Path]:
    made = make_project(tmp_path_factory.mktemp("serve"), "h6-serve", ECHO)
    yield made
    try:
        engine.images.remove(dev_image_name(made), force=True)
    except (docker.errors.ImageNotFound, docker.errors.APIError):
        pass


def _request(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else {}
    finally:
        conn.close()


def _wait_serving(proc: Any, port: int, timeout: float = 600) -> None:
    """Poll `cog serve`'s port until the model says READY; fail if the CLI exits first."""
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        try:
            status = _request(port, "GET", "/health-check")[1].get("status")
        except (OSError, http.client.HTTPException, ValueError):
            status = None
        if status == "READY":
            return
        time.sleep(0.3)
    raise AssertionError(f"cog serve never got READY (last status {status})")


def test_serve_answers_http_until_shutdown(project: Path, engine: docker.DockerClient) -> None:
    port = free_port()
    before = session_container_ids(engine)
    proc = popen_cog(project, "serve", "-p", str(port))
    try:
        _wait_serving(proc, port)
        code, body = _request(port, "POST", "/predictions", {"input": {"text": "hi"}})
        assert (code, body["status"], body["output"]) == (200, "succeeded", "echo hi")
        assert _request(port, "POST", "/shutdown")[0] == 200
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"Serving at http://localhost:{port}" in err
    assert session_container_ids(engine) - before == set()


def test_exec_passes_stdin_and_output(project: Path) -> None:
    result = run_cog(project, "exec", "python", "-c", "import sys; print(sys.stdin.read().upper())", stdin="hello exec\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "HELLO EXEC\n\n"
    assert "Running 'python -c" in result.stderr


def test_exec_sees_the_project_and_env(project: Path) -> None:
    result = run_cog(project, "exec", "-e", "X=42", "sh", "-c", "pwd; ls; echo $X; echo oops >&2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "/src" and "predict.py" in lines and lines[-1] == "42"
    assert "oops" in result.stderr


def test_exec_exit_status(project: Path) -> None:
    result = run_cog(project, "exec", "python", "-c", "raise SystemExit(3)")
    assert result.returncode == 3
    assert "container exited with status 3" in result.stderr


def test_exec_without_predictor(tmp_path: Path, engine: docker.DockerClient, base_image_311: str) -> None:
    bare = tmp_path / "h6-bare"
    bare.mkdir()
    (bare / "cog.yaml").write_text('build:\n  python_version: "3.11"\n')
    try:
        result = run_cog(bare, "exec", "python", "-c", "print(6 * 7)")
        assert result.returncode == 0, result.stderr
        assert result.stdout == "42\n"
    finally:
        try:
            engine.images.remove(dev_image_name(bare), force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass


def test_exec_with_a_terminal(project: Path) -> None:
    """A terminal on stdin gives the container a terminal too (stdin and stdout are TTYs there)."""
    import os
    import pty
    import subprocess

    from tests.integration.cli_support import COG, cog_env

    leader, follower = pty.openpty()
    try:
        proc = subprocess.run(
            [*COG, "exec", "python", "-c", "import sys; print(sys.stdin.isatty(), sys.stdout.isatty())"],
            cwd=project, env=cog_env(), stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=600,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().strip() == "True True"


# Prints the terminal's size once it is set (the CLI sizes it just after the start), then again
# when it changes; polls, so it depends on no signal reaching it.
WINDOW_PROBE = (
    "import os, time\n"
    "def size():\n"
    "    return tuple(os.get_terminal_size(0))\n"
    "t = time.monotonic()\n"
    "while size() == (0, 0) and time.monotonic() - t < 60: time.sleep(0.02)\n"
    "first = size(); print('size', *first, flush=True)\n"
    "while size() == first and time.monotonic() - t < 120: time.sleep(0.02)\n"
    "print('size', *size(), flush=True)\n"
)


def _set_window(fd: int, rows: int, cols: int) -> None:
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def test_exec_follows_terminal_resizes(project: Path) -> None:
    """The container's terminal starts at our size and follows when our window changes."""
    import os
    import pty
    import signal
    import subprocess

    from tests.integration.cli_support import COG, cog_env

    leader, follower = pty.openpty()
    _set_window(leader, 24, 80)
    proc = subprocess.Popen([*COG, "exec", "python", "-c", WINDOW_PROBE], cwd=project, env=cog_env(),
                            stdin=follower, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().decode().strip()
        assert first == "size 80 24", (first, proc.stderr.read1().decode() if proc.poll() is not None else "")
        # A terminal emulator changes the size, and the kernel signals the foreground process
        # group; the CLI here has no controlling terminal, so the test sends the signal itself.
        _set_window(leader, 33, 111)
        proc.send_signal(signal.SIGWINCH)
        second = proc.stdout.readline().decode().strip()
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        os.close(follower)
        os.close(leader)
    assert second == "size 111 33", err.decode()
    assert proc.returncode == 0, err.decode()


def test_serve_ctrl_c_exits_cleanly(project: Path, engine: docker.DockerClient) -> None:
    import signal

    port = free_port()
    before = session_container_ids(engine)
    proc = popen_cog(project, "serve", "-p", str(port))
    try:
        _wait_serving(proc, port)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert session_container_ids(engine) - before == set()


def test_predict_on_an_image_that_is_not_a_cog_model(tmp_path: Path, base_image_311: str) -> None:
    result = run_cog(tmp_path, "predict", base_image_311, "-i", "x=1")
    assert result.returncode == 1
    assert f"{base_image_311} is not a Cog model" in result.stderr


FILE_OUT = """
import tempfile

from cog import BasePredictor, Path


class Predictor(BasePredictor):
    def predict(self, text: str) -> Path:
        out = Path(tempfile.mkdtemp()) / "note.txt"
        out.write_text(text)
        return out
"""


def test_serve_with_upload_url(tmp_path: Path, engine: docker.DockerClient, base_image_311: str) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: dict[str, bytes] = {}

    class Uploads(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_PUT(self) -> None:
            received[self.path] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

    sink = ThreadingHTTPServer(("127.0.0.1", 0), Uploads)
    threading.Thread(target=sink.serve_forever, args=(0.05,), daemon=True).start()
    upload_url = f"http://127.0.0.1:{sink.server_address[1]}/uploads/"
    project = make_project(tmp_path, "h6-upload", FILE_OUT)
    port = free_port()
    proc = popen_cog(project, "serve", "-p", str(port), "--upload-url", upload_url)
    try:
        _wait_serving(proc, port)
        code, body = _request(port, "POST", "/predictions", {"input": {"text": "uploaded"}})
        assert (code, body["status"]) == (200, "succeeded"), body
        assert body["output"] == upload_url + "note.txt"
        assert received == {"/uploads/note.txt": b"uploaded"}
        _request(port, "POST", "/shutdown")
        proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        sink.shutdown()
        sink.server_close()
        try:
            engine.images.remove(dev_image_name(project), force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass
    assert proc.returncode == 0


def test_exec_keeps_what_was_typed_before_the_container_started(project: Path) -> None:
    """Type-ahead: a line typed while the image builds and the container starts reaches bash."""
    import os
    import pty
    import subprocess

    from tests.integration.cli_support import COG, cog_env

    leader, follower = pty.openpty()
    # typed before `cog exec` even starts: it waits in the terminal's input queue
    os.write(leader, b"echo typed-$((6*7))-ahead; exit 7\n")
    try:
        proc = subprocess.run([*COG, "exec", "/bin/bash"], cwd=project, env=cog_env(), stdin=follower,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    finally:
        os.close(follower)
        os.close(leader)
    # the computed value, not the echo of the typed line, proves bash ran it
    assert b"typed-42-ahead" in proc.stdout, (proc.stdout, proc.stderr.decode())
    assert proc.returncode == 7, proc.stderr.decode()


def _session_running(engine: docker.DockerClient, role: str) -> set[str]:
    from tests.integration.conftest import SESSION_ID, TEST_SESSION_LABEL, listed_containers

    found = listed_containers(engine, f"{TEST_SESSION_LABEL}={SESSION_ID}")
    return {cid for cid, c in found.items() if (c.get("Labels") or {}).get("dev.cog-py.role") == role}


@pytest.mark.parametrize("tty", [False, True], ids=["pipe", "terminal"])
def test_sigkill_of_exec_client_leaves_no_container(project: Path, engine: docker.DockerClient, tty: bool) -> None:
    import os
    import pty
    import signal
    import subprocess

    from tests.integration.cli_support import COG, cog_env

    before = _session_running(engine, "exec")
    leader, follower = pty.openpty() if tty else (None, None)
    proc = subprocess.Popen([*COG, "exec", "/bin/bash", "-c", "echo started; sleep 600"], cwd=project,
                            env=cog_env(), stdin=follower if tty else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert b"started" in proc.stdout.readline()
        mine = _session_running(engine, "exec") - before
        assert len(mine) == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _session_running(engine, "exec") & mine:
            time.sleep(0.5)
        assert not _session_running(engine, "exec") & mine, "the container outlived its killed client"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
        for fd in (leader, follower):
            if fd is not None:
                os.close(fd)


def test_sigkill_of_serve_client_leaves_no_container(project: Path, engine: docker.DockerClient) -> None:
    import signal

    port = free_port()
    before = _session_running(engine, "serve")
    proc = popen_cog(project, "serve", "-p", str(port))
    try:
        _wait_serving(proc, port)
        mine = _session_running(engine, "serve") - before
        assert len(mine) == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and _session_running(engine, "serve") & mine:
            time.sleep(0.5)
        assert not _session_running(engine, "serve") & mine, "the container outlived its killed client"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
