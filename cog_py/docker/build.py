"""Running an image build on the engine: the SDK's classic builder, or BuildKit through a CLI.

Both stream the build log, show progress (step N/M and elapsed time), keep the tail of the
failing step's output and raise `BuildError` with it. The SDK cannot use BuildKit, so a build
that needs it (secret mounts) goes through a docker client that can: `docker buildx build`, or
`DOCKER_BUILDKIT=1 docker build` on a client older than 23 (Debian's docker.io).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import docker.errors

from cog_py.docker.client import map_error
from cog_py.errors import BuildError

Say = Callable[[str], None]
TAIL_LINES = 25
_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_STEP_ID = re.compile(r"^ ---> ([0-9a-f]{12,64})$")
_BK_STEP = re.compile(r"^#\d+ \[(?:[\w-]+ )?(\d+)/(\d+)\] (.*)$")
_PULL_FAILURES = ("pull access denied", "manifest unknown", "not found: manifest", "repository does not exist",
                  "no such host", "failed to resolve source metadata", "failed to do request",
                  "dial tcp", "i/o timeout")


@dataclass(frozen=True)
class BuildRequest:
    tag: str
    context: IO[bytes]                      # a tar with the Dockerfile at its root
    base_image: str = ""
    no_cache: bool = False
    progress: str = "auto"                  # auto | plain | quiet
    secrets: tuple[str, ...] = ()           # `id=..,src=..` / `id=..,env=..` (BuildKit only)
    build_args: Mapping[str, str] = field(default_factory=dict)


class _Progress:
    """Step lines with elapsed time (auto), every line (plain), nothing (quiet); keeps a tail."""

    def __init__(self, mode: str, say: Say) -> None:
        self.mode, self.say = mode, say
        self.start = time.monotonic()
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.step: tuple[int, int, str] | None = None

    def line(self, text: str, step: tuple[int, int, str] | None = None) -> None:
        if step is not None:
            self.step = step
            self.tail.clear()
            if self.mode == "auto":
                n, m, what = step
                self.say(f"[{time.monotonic() - self.start:6.1f}s] Step {n}/{m}: {_short(what)}")
        elif text.strip() and not text.startswith((" ---> ", "Removing intermediate container")):
            self.tail.append(text.rstrip())
        if self.mode == "plain":
            self.say(text)

    def failure(self, error: str, base_image: str) -> BuildError:
        step = self.step
        where = f" at step {step[0]}/{step[1]}: {_short(step[2], 200)}" if step else ""
        tail = "\n".join(f"  {t}" for t in self.tail if t.strip())
        lowered = error.lower()
        if step and step[2].upper().startswith("FROM") or (step is None and any(f in lowered for f in _PULL_FAILURES)):
            if any(f in lowered for f in _PULL_FAILURES):
                return BuildError(
                    f"the base image {base_image or '(FROM)'} could not be pulled: {error}",
                    hint=f"Check the image name and your registry access, or load it locally "
                         f"(docker pull / docker load) so that `docker image inspect {base_image}` finds it.",
                )
        message = f"image build failed{where}\n{tail}\n{error}" if tail else f"image build failed{where}\n{error}"
        hint = "Fix the command above (see its output) and run cog build again."
        if step and "pip install" in step[2]:
            hint = "A Python package failed to install: check its name/version in your requirements."
        return BuildError(message.rstrip(), hint=hint)


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def build_with_sdk(client: Any, req: BuildRequest, say: Say) -> list[str]:
    """Classic builder through the SDK (host network). Raises BuildError with the failing step's tail.

    Returns the image ID after each completed step, in order (the last one is the image).
    """
    progress = _Progress(req.progress, say)
    step_ids: list[str] = []
    req.context.seek(0)
    try:
        stream: Iterable[dict[str, Any]] = client.api.build(
            fileobj=req.context, custom_context=True, tag=req.tag, rm=True, forcerm=True,
            nocache=req.no_cache, network_mode="host", decode=True,
            buildargs=dict(req.build_args) or None,
        )
        for chunk in stream:
            if "error" in chunk:
                detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                raise progress.failure(str(detail).strip(), req.base_image)
            text = chunk.get("stream")
            if not text:
                continue
            for raw in text.splitlines():
                if "were not consumed" in raw:  # our label build arg, unused when labels come later
                    continue
                m = _STEP.match(raw.strip())
                progress.line(raw, (int(m.group(1)), int(m.group(2)), m.group(3)) if m else None)
                found = _STEP_ID.match(raw.rstrip())
                if found:
                    step_ids.append(found.group(1))
    except docker.errors.DockerException as exc:
        raise map_error(exc, "image build") from exc
    return step_ids


def buildkit_client() -> list[str]:
    """A docker CLI that builds with BuildKit here, as the argv prefix of its build command."""
    candidates = [os.environ.get("COG_DOCKER_CLI", ""), "/usr/bin/docker", shutil.which("docker") or ""]
    for cli in dict.fromkeys(c for c in candidates if c and os.access(c, os.X_OK)):
        if _run_ok([cli, "buildx", "version"]):
            return [cli, "buildx", "build", "--load"]
        version = _client_version(cli)
        if version is not None and version < 23:
            return [cli, "build"]
    raise BuildError(
        "this build needs BuildKit (build secrets / secret mounts in build.run), and no docker "
        "client that can drive BuildKit was found",
        hint="Install docker-buildx, or Debian's docker.io client (/usr/bin/docker); "
             "set COG_DOCKER_CLI to its path if it is elsewhere.",
    )


def _run_ok(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _client_version(cli: str) -> int | None:
    try:
        out = subprocess.run([cli, "version", "--format", "{{.Client.Version}}"],
                             capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"(\d+)\.", out.strip())
    return int(m.group(1)) if m else None


def build_with_buildkit(req: BuildRequest, say: Say) -> None:
    """BuildKit through a docker CLI, the context tar on stdin."""
    argv = [*buildkit_client(), "--network", "host", "--progress", "plain", "-t", req.tag]
    if req.no_cache:
        argv.append("--no-cache")
    for key, value in req.build_args.items():
        argv += ["--build-arg", f"{key}={value}"]
    for secret in req.secrets:
        argv += ["--secret", secret]
    argv.append("-")
    env = dict(os.environ, DOCKER_BUILDKIT="1")
    progress = _Progress(req.progress, say)
    req.context.seek(0)
    try:
        proc = subprocess.Popen(argv, stdin=req.context, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=env, text=True, errors="replace")
    except OSError as exc:
        raise BuildError(f"could not start {argv[0]}: {exc}") from exc
    assert proc.stdout is not None
    errors: list[str] = []
    for raw in proc.stdout:
        raw = raw.rstrip("\n")
        m = _BK_STEP.match(raw)
        if m:
            progress.line(raw, (int(m.group(1)), int(m.group(2)), m.group(3)))
        else:
            progress.line(raw)
        if " ERROR" in raw or raw.startswith("ERROR") or raw.startswith("error:"):
            errors.append(raw)
    if proc.wait() != 0:
        raise progress.failure("\n".join(errors[-3:]) or f"exit status {proc.returncode}", req.base_image)

