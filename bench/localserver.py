"""What the bench scripts share to run a server on loopback: a free port, and waiting for READY.

Imported by the scripts of this folder (`python bench/<script>.py` puts the folder on sys.path).
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(port: int, proc: subprocess.Popen[bytes] | None = None, *, timeout: float = 60,
               interval: float = 0.05, name: str = "server") -> None:
    """Poll GET /health-check every `interval` s until it says READY; SystemExit when `proc`
    exits first or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health-check")
            if json.loads(conn.getresponse().read()).get("status") == "READY":
                return
        except (OSError, ValueError):
            pass
        time.sleep(interval)
    raise SystemExit(f"{name} not READY in {timeout:g} s")
