"""`python -m cog_py.ray.local`, what `cog serve --ray` runs in the development container, run
here as a real process: its own one-node Ray (never the test cluster that may be up), Serve's
proxy on $PORT, Cog's API through it, and a clean exit on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.ray.cluster import REPO

pytest.importorskip("ray.serve", reason="Ray Serve is not installed: pip install -e '.[test]' (it has ray[serve])")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(300)
def test_cog_serve_ray_entry_point_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_ADDRESS")}
    env.update({"PORT": str(port), "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled",
                "PYTHONPATH": str(REPO)})
    log = (tmp_path / "ray-local.log").open("w")   # a file, not a pipe: Ray logs a lot
    proc = subprocess.Popen(
        [sys.executable, "-m", "cog_py.ray.local", "--host", "127.0.0.1", "--project-dir",
         str(REPO / "examples" / "hello-world"), "--replicas", "1", "--num-cpus", "1"],
        env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 180
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/predictions", json={"input": {"text": "ray"}}, timeout=30)
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert proc.poll() is None, f"cog_py.ray.local exited early:\n{(tmp_path / 'ray-local.log').read_text()[-3000:]}"
        assert answer is not None and answer.status_code == 200, answer
        body = answer.json()
        assert (body["status"], body["output"]) == ("succeeded", "hello ray")
        assert answer.headers.get("x-cog-replica")   # a Serve replica answered, not a bare server
        health = httpx.get(f"http://127.0.0.1:{port}/health-check", timeout=30).json()
        assert health["status"] == "READY"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=120) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        log.close()
