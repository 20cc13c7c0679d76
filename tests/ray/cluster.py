"""A real two-node Ray cluster on loopback for the tests, and a way to stop only what we started.

`ray stop` stops every Ray process of the machine (other sessions' too), so the cluster is
stopped by process id: the processes whose command line names our own `--temp-dir`, and every
process below them (Ray's workers rename themselves `ray::...`; the cog workers are their
children).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[2]
RAY_BIN = str(Path(sys.executable).parent / "ray")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ray_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COG_", "RAY_"))}
    env.update({"RAY_USAGE_STATS_ENABLED": "0", "PYTHONPATH": str(REPO), "LOG_FORMAT": "console",
                # Autoscaling metrics every half second (Serve's default is 10 s), for the scaling test.
                "RAY_SERVE_REPLICA_AUTOSCALING_METRIC_PUSH_INTERVAL_S": "0.5",
                "RAY_SERVE_HANDLE_AUTOSCALING_METRIC_PUSH_INTERVAL_S": "0.5",
                # A node from a model's image (test_image.py) may have another patch release of Python.
                "RAY_DEFAULT_PYTHON_VERSION_MATCH_LEVEL": "minor",
                # Loopback only. Ray 2.60 turns token authentication on by itself once a token file
                # (~/.ray/auth_token, written by any local ray.init) exists; the nodes would disagree.
                "RAY_AUTH_MODE": "disabled"})
    return env


def _processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, command line) for every process we can read."""
    table: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        table[int(entry)] = (ppid, cmd)
    return table


def processes_under(marker: str) -> list[int]:
    """Processes whose command line contains `marker`, and all their descendants."""
    table = _processes()
    found = {pid for pid, (_, cmd) in table.items() if marker in cmd and pid != os.getpid()}
    grew = True
    while grew:
        grew = False
        for pid, (ppid, _) in table.items():
            if ppid in found and pid not in found and pid != os.getpid():
                found.add(pid)
                grew = True
    return sorted(found)


def children_of(pid: int) -> list[int]:
    return [p for p, (ppid, _) in _processes().items() if ppid == pid]


def kill_tree(marker: str, grace: float = 5.0) -> int:
    pids = processes_under(marker)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
            time.sleep(0.1)
        pids = processes_under(marker) or [p for p in pids if Path(f"/proc/{p}").exists()]
        if not pids:
            break
    return len(pids)


class Cluster:
    def __init__(self, temp_dir: str, port: int, http_port: int) -> None:
        self.temp_dir = temp_dir
        self.port = port
        self.address = f"127.0.0.1:{port}"
        self.http_port = http_port
        self.url = f"http://127.0.0.1:{http_port}"


def _ray_start(args: list[str], log: Path) -> None:
    with open(log, "ab") as out:
        done = subprocess.run([RAY_BIN, "start", *args], env=ray_env(), stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"ray start {' '.join(args)} failed:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    """A head (2 CPUs) and one more node (1 CPU), loopback only, in a temp dir of our own."""
    temp_dir = tempfile.mkdtemp(prefix="cogray-", dir="/tmp")   # short: Ray's socket paths are limited
    cluster = Cluster(temp_dir, free_port(), free_port())
    log = Path(temp_dir) / "ray-start.log"
    try:
        _ray_start(["--head", "--port", str(cluster.port), "--num-cpus", "2", "--include-dashboard=false",
                    "--node-ip-address", "127.0.0.1", "--temp-dir", temp_dir, "--disable-usage-stats"], log)
        _ray_start(["--address", cluster.address, "--num-cpus", "1", "--node-ip-address", "127.0.0.1",
                    "--disable-usage-stats"], log)
        yield cluster
    finally:
        kill_tree(temp_dir)
        shutil.rmtree(temp_dir, ignore_errors=True)
