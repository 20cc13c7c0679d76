"""The two long-running things `scripts/engine up` may start: dockerd and docker-registry."""

from __future__ import annotations

import http.client
import shutil
import time
from pathlib import Path

from engine_state import (
    DEFAULT_DOCKER_HOST,
    REGISTRY_PASSWORD,
    REGISTRY_USER,
    EngineScriptError,
    apt_install,
    child_ended,
    docker_cli,
    docker_host,
    read_pid,
    run,
    say,
    start_background,
    stop_pid,
)

# Flags from MACHINE.md: no iptables/NAT and no bridge; containers use host networking or none.
DOCKERD_FLAGS = ["--iptables=false", "--ip-forward=false", "--ip-masq=false", "--bridge=none"]


def dockerd_argv(state: Path) -> list[str]:
    """dockerd's command line. A DOCKER_HOST other than the default socket gets a private engine:
    its own socket, data, exec root and pid file under the state dir (used by the tests)."""
    host = docker_host()
    if host == DEFAULT_DOCKER_HOST:
        return ["dockerd", *DOCKERD_FLAGS]
    if not host.startswith("unix://"):
        raise EngineScriptError(f"DOCKER_HOST={host}: scripts/engine can only start an engine on a unix:// socket")
    private = [f"--host={host}", f"--data-root={state / 'docker'}", f"--exec-root={state / 'exec'}"]
    return ["dockerd", *DOCKERD_FLAGS, *private, f"--pidfile={state / 'docker.pid'}"]


def engine_answers() -> bool:
    try:
        return run([docker_cli(), "info", "--format", "{{.ServerVersion}}"], timeout=20).returncode == 0
    except Exception:  # timeout or a client that cannot start
        return False


def engine_up(state: Path) -> bool:
    """Make sure an engine answers; True when it is the one this script started."""
    pid_file = state / "dockerd.pid"
    if engine_answers():
        pid = read_pid(pid_file, "dockerd")
        if pid is None:
            say("engine: already running (left alone)")
            return False
        say(f"engine: already running (started by scripts/engine, pid {pid})")
        return True
    if shutil.which("dockerd") is None:
        apt_install(["docker.io"])
    say("engine: starting dockerd")
    started = time.monotonic()
    log = state / "dockerd.log"
    pid = start_background(dockerd_argv(state), log, pid_file)
    deadline = started + 90
    while not engine_answers():
        if (ended := child_ended(pid)) is not None:
            raise EngineScriptError(f"dockerd exited while starting ({ended}); last lines of {log}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise EngineScriptError(f"dockerd (pid {pid}) did not answer within 90 s; see {log}")
        time.sleep(0.5)
    say(f"engine: started dockerd (pid {pid}, {time.monotonic() - started:.1f} s, log {log})")
    return True


def engine_down(state: Path) -> None:
    pid_file = state / "dockerd.pid"
    pid = read_pid(pid_file, "dockerd")
    if pid is None:
        say("engine: not started by scripts/engine (left alone)")
        return
    say(f"engine: stopping dockerd (pid {pid})")
    stop_pid(pid, grace=60)
    pid_file.unlink(missing_ok=True)
    say("engine: stopped")


def registry_answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        connection.request("GET", "/v2/")
        return connection.getresponse().status in (200, 401)
    except OSError:
        return False
    finally:
        connection.close()


def registry_up(state: Path, name: str, port: int, *, auth: bool) -> None:
    """A CNCF distribution registry on 127.0.0.1:port, storage and config under the state dir."""
    home = state / f"registry-{name}"
    pid_file = state / f"registry-{name}.pid"
    label = f"registry ({name}, 127.0.0.1:{port})"
    if read_pid(pid_file, "docker-registry") is not None and registry_answers(port):
        say(f"{label}: already running")
        return
    if registry_answers(port):
        raise EngineScriptError(
            f"{label}: the port answers but scripts/engine did not start that registry; stop it or pick another port"
        )
    if shutil.which("docker-registry") is None:
        apt_install(["docker-registry"])
    (home / "data").mkdir(parents=True, exist_ok=True)
    config = home / "config.yml"
    config.write_text(_registry_config(home, port, auth=auth))
    if auth:
        (home / "htpasswd").write_text(_htpasswd_line(REGISTRY_USER, REGISTRY_PASSWORD))
    started = time.monotonic()
    log = state / f"registry-{name}.log"
    pid = start_background(["docker-registry", "serve", str(config)], log, pid_file)
    while not registry_answers(port):
        if (ended := child_ended(pid)) is not None:
            raise EngineScriptError(f"{label}: docker-registry exited ({ended}); last lines of {log}:\n{_tail(log)}")
        if time.monotonic() - started > 30:
            raise EngineScriptError(f"{label}: did not answer within 30 s; see {log}")
        time.sleep(0.2)
    say(f"{label}: started (pid {pid}, {time.monotonic() - started:.1f} s)")


def registry_down(state: Path, name: str) -> None:
    pid_file = state / f"registry-{name}.pid"
    pid = read_pid(pid_file, "docker-registry")
    if pid is None:
        say(f"registry ({name}): not running")
        return
    stop_pid(pid, grace=10)
    pid_file.unlink(missing_ok=True)
    say(f"registry ({name}): stopped (pid {pid})")


def _registry_config(home: Path, port: int, *, auth: bool) -> str:
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {home / 'data'}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: 127.0.0.1:{port}",
        "  secret: cog-py-local-test-registry",
    ]
    if auth:
        lines += ["auth:", "  htpasswd:", "    realm: cog-py-test", f"    path: {home / 'htpasswd'}"]
    return "\n".join(lines) + "\n"


def _htpasswd_line(user: str, password: str) -> str:
    """A bcrypt htpasswd entry (the only scheme distribution accepts)."""
    try:
        import bcrypt
    except ImportError:
        apt_install(["apache2-utils"])
        done = run(["htpasswd", "-Bbn", user, password])
        if done.returncode != 0:
            raise EngineScriptError(f"htpasswd failed: {done.stdout}") from None
        return done.stdout.strip() + "\n"
    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode()}\n"


def _tail(log: Path, lines: int = 20) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
