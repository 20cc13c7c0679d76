"""State shared by the `scripts/engine` steps: where files live, the lock, pid files, engine.json.

Everything `scripts/engine up` starts or caches lives in one state directory outside the repo
(default /var/lib/cog-py-engine, override with COG_ENGINE_STATE), so a clean clone, many clones
and CI all share one engine, one registry and one rootfs cache per Debian release.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

# Test credentials for the local registry. They guard nothing: the registry listens on loopback
# only and holds test images. They exist so that tests exercise a real password login.
REGISTRY_USER = "cogtest"
REGISTRY_PASSWORD = "cogtest-password"
REGISTRY_PORT = 5100  # htpasswd auth
REGISTRY_OPEN_PORT = 5101  # no auth

# Public tags the generated Dockerfiles name, and the Debian release whose python stands in.
BASE_IMAGES: dict[str, str] = {
    "python:3.11-slim": "bookworm",
    "python:3.13-slim": "trixie",
}


DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"


def docker_host() -> str:
    """The engine to use: DOCKER_HOST (the docker CLI and SDK read it too) or the local socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST


def base_images() -> dict[str, str]:
    """BASE_IMAGES, or COG_ENGINE_BASE_IMAGES="tag=release,..." (empty: seed nothing)."""
    spec = os.environ.get("COG_ENGINE_BASE_IMAGES")
    if spec is None:
        return dict(BASE_IMAGES)
    return dict(item.strip().rsplit("=", 1) for item in spec.split(",") if item.strip())


def state_dir() -> Path:
    return Path(os.environ.get("COG_ENGINE_STATE", "/var/lib/cog-py-engine"))


def registry_port() -> int:
    return int(os.environ.get("COG_ENGINE_REGISTRY_PORT", REGISTRY_PORT))


def registry_open_port() -> int:
    return int(os.environ.get("COG_ENGINE_REGISTRY_OPEN_PORT", REGISTRY_OPEN_PORT))


# What this run changed (installs, starts, seeds); empty means `up` had nothing to do.
ACTIONS: list[str] = []


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class EngineScriptError(Exception):
    """A step failed; the entry point prints the message and exits 1."""


@dataclass(frozen=True)
class EngineFacts:
    """What tests and developers need to reach the engine and the registries (engine.json)."""

    docker_host: str
    docker_cli: str
    registry: str
    registry_username: str
    registry_password: str
    registry_open: str
    base_images: dict[str, str]
    engine_started_by_script: bool

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        tmp.replace(path)


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialise `up`, `down` and `seed` between concurrent callers."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("engine: another scripts/engine holds the lock; waiting")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def docker_cli() -> str:
    """The engine's own 20.10 client when installed (it builds with BuildKit), else PATH's."""
    return "/usr/bin/docker" if Path("/usr/bin/docker").exists() else (shutil.which("docker") or "docker")


def run(argv: list[str], *, timeout: float | None = None, quiet: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
        timeout=timeout,
        check=False,
    )


def apt_install(packages: list[str]) -> None:
    """Install Debian packages that are missing (never touches installed ones)."""
    missing = [p for p in packages if run(["dpkg-query", "-W", "-f=${Status}", p]).stdout.strip() != "install ok installed"]
    if not missing:
        return
    ACTIONS.append(f"installed {' '.join(missing)}")
    say(f"apt: installing {' '.join(missing)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    started = time.monotonic()
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]):
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            raise EngineScriptError(f"{' '.join(argv)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    say(f"apt: installed {' '.join(missing)} ({time.monotonic() - started:.1f} s)")


# --- pid files -------------------------------------------------------------------------------


def read_pid(pid_file: Path, expect: str) -> int | None:
    """The pid in `pid_file` if that process is alive and its command line mentions `expect`."""
    try:
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (OSError, ValueError):
        return None
    return pid if expect in cmdline else None


def stop_pid(pid: int, *, grace: float = 30.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return
        time.sleep(0.2)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def child_ended(pid: int) -> str | None:
    """None while a daemon this process started runs, else how it ended. (Its /proc cmdline can
    read empty just after exec, so pid-file checks are for daemons of earlier runs only.)"""
    try:
        waited, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return "ended (not our child)"
    if waited == 0:
        return None
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"


def start_background(argv: list[str], log: Path, pid_file: Path) -> int:
    """Start a daemon in its own session with no stdin, logging to `log`; we never wait on it."""
    ACTIONS.append(f"started {argv[0]}")
    log.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    pid = os.posix_spawnp(argv[0], argv, dict(os.environ), file_actions=actions, setsid=True)
    pid_file.write_text(f"{pid}\n")
    return pid
