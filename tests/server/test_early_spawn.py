"""The worker started before the parent reads its settings (`spawn.spawn_early`), configured by a
CONFIG frame; discarded (and gone) when the parent does not serve."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cog_py import protocol
from cog_py.server.settings import load_settings, parse_args
from cog_py.server.spawn import spawn_early

from .conftest import FIXTURES, REPO


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.delenv("COG_WORKER_PYTHON", raising=False)


def _frames_until_ready(sock: socket.socket, timeout: float = 60.0) -> list[str]:
    sock.settimeout(timeout)
    decoder = protocol.FrameDecoder()
    kinds: list[str] = []
    while not kinds or kinds[-1] not in (protocol.READY, protocol.SETUP_FAILED):
        data = sock.recv(65536)
        assert data, f"the worker closed its socket after {kinds}"
        kinds += [header["t"] for header, _ in decoder.feed(data)]
    return kinds


def test_an_early_worker_boots_on_its_config_frame(in_fixtures: None) -> None:
    early = spawn_early()
    assert early is not None and early.cwd == os.getcwd() and early.python == sys.executable
    try:
        settings = load_settings(parse_args([]), {"COG_PREDICT_TYPE_STUB": "hello.py:Predictor"}, Path.cwd())
        early.configure(settings, render_schema=False)
        assert early.configured
        assert _frames_until_ready(early.sock)[-1] == protocol.READY
        early.sock.sendall(protocol.encode(protocol.Predict("p1", time.time()), json.dumps({"input": {"text": "x"}}).encode()))
        decoder = protocol.FrameDecoder()
        done = None
        while done is None:
            for header, blob in decoder.feed(early.sock.recv(65536)):
                if header["t"] == protocol.DONE:
                    done = json.loads(blob)
        assert done["status"] == "succeeded" and done["output"] == "hello x"
    finally:
        early.discard()


def test_an_early_worker_that_gets_no_config_exits(in_fixtures: None) -> None:
    early = spawn_early()
    assert early is not None
    time.sleep(0.2)   # let it reach the point where it waits for CONFIG (or not: both must work)
    early.discard()
    assert early.proc.returncode == 0


def test_no_worker_is_left_when_the_parent_does_not_serve() -> None:
    """No predictor configured: the parent exits 1 and its early worker is gone with it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COG_")}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.Popen([sys.executable, "-m", "cog_py.server", "--host", "127.0.0.1"], cwd=str(FIXTURES / ".."),
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "no predictor to serve" in stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:   # the process group (the parent's session) is empty
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError("a process of the server's group outlived it")


def test_the_model_runs_with_the_garbage_collector_on(make_server: Any, tmp_path: Path) -> None:
    """Both processes start with it off (start-up imports only); the model's import, setup() and
    predictions run with it on, as in any Python program."""
    (tmp_path / "gc_state.py").write_text(
        "import gc\nfrom cog import BasePredictor\n\nAT_IMPORT = gc.isenabled()\n\n\n"
        "class Predictor(BasePredictor):\n    def setup(self) -> None:\n        self.at_setup = gc.isenabled()\n\n"
        "    def predict(self) -> str:\n        return f'{AT_IMPORT} {self.at_setup} {gc.isenabled()}'\n")
    server = make_server("gc_state.py:Predictor", cwd=tmp_path)
    assert server.predict().json()["output"] == "True True True"
