"""Real servers for the tests: `python -m cog_py.server` on a free 127.0.0.1 port.

    def test_x(make_server):
        server = make_server("hello.py:Predictor")          # waits for READY
        server.post("/predictions", json={"input": {"text": "a"}})

`make_server(ref, env={...}, args=[...], wait="READY"|None|"SETUP_FAILED"|..., cwd=...)` starts a
server for a predictor in tests/server/fixtures (or `cwd`); every server is stopped at the end
of the test (SIGTERM, then SIGKILL to its process group). `running_server(...)` is the same as a
context manager, for module-scoped fixtures in other test files.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One server process under test."""

    def __init__(self, ref: str | None, *, env: dict[str, str] | None = None, args: list[str] | None = None,
                 cwd: Path = FIXTURES, python: str = sys.executable) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = tempfile.NamedTemporaryFile(prefix="cog-server-", suffix=".log", delete=False)
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("COG_")}
        full_env.update({"PORT": str(self.port), "PYTHONPATH": str(REPO), "LOG_FORMAT": "console"})
        if ref is not None:
            full_env["COG_PREDICT_TYPE_STUB"] = ref
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [python, "-m", "cog_py.server", "--host", "127.0.0.1", *(args or [])],
            cwd=str(cwd), env=full_env, stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.client = httpx.Client(base_url=self.url, timeout=30)

    # -- HTTP -------------------------------------------------------------------------------
    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.post(path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.put(path, **kw)

    def predict(self, inputs: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        return self.client.post("/predictions", json={"input": inputs or {}, **kw})

    def health(self) -> dict[str, Any]:
        return self.client.get("/health-check").json()

    def wait_for(self, *states: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll /health-check until its status is one of `states`."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                last = self.health()
                if last["status"] in states:
                    return last
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"server never reached {states}; last health: {last}\n{self.logs()}")

    def logs(self) -> str:
        return Path(self.log_file.name).read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    # -- teardown ---------------------------------------------------------------------------
    def stop(self, timeout: float = 10.0) -> int | None:
        self.client.close()
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(5)
        self.log_file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log_file.name)
        return self.proc.returncode


@contextlib.contextmanager
def running_server(ref: str | None, *, wait: str | tuple[str, ...] | None = "READY", timeout: float = 30.0,
                   **kw: Any) -> Iterator[Server]:
    server = Server(ref, **kw)
    try:
        if wait:
            server.wait_for(*((wait,) if isinstance(wait, str) else wait), timeout=timeout)
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_server() -> Iterator[Any]:
    stack = contextlib.ExitStack()

    def make(ref: str | None, **kw: Any) -> Server:
        return stack.enter_context(running_server(ref, **kw))

    with stack:
        yield make
