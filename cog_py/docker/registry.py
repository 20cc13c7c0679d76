"""Registry credentials and pushes: `cog login` and `cog push`.

Credentials are checked with the engine (`client.login`, which knows which registries are
plain HTTP) and stored in the Docker config file (`$DOCKER_CONFIG/config.json` or
`~/.docker/config.json`) where the docker CLI and the docker SDK read them; when that file
names a credential store (`credsStore`, or `credHelpers` for the host) the secret goes to
`docker-credential-<helper> store` instead, as the docker CLI does.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cog_py.errors import RegistryError

DEFAULT_REGISTRY = "r8.im"
DOCKER_HUB = "docker.io"
_HUB_AUTH_KEY = "https://index.docker.io/v1/"

Say = Callable[[str], None]


@dataclass(frozen=True)
class ImageRef:
    """`registry/repository:tag` split apart (registry `docker.io` when none is named)."""

    registry: str
    repository: str   # with the registry host as written, without the tag
    tag: str

    @property
    def name(self) -> str:
        return f"{self.repository}:{self.tag}"


def parse_ref(ref: str) -> ImageRef:
    """Split an image reference; `localhost:5000/a/b` and `r8.im/u/m:v1` name their registry."""
    if not ref or any(c.isspace() for c in ref) or "@" in ref:
        raise RegistryError(f"Invalid image name '{ref}'")
    name, tag = ref, "latest"
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref[: -len(last)] + last.split(":", 1)[0], last.split(":", 1)[1]
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        registry = first
    else:
        registry = DOCKER_HUB
    return ImageRef(registry=registry, repository=name, tag=tag)


def registry_host(value: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """The registry `cog login` talks to: the argument, `COG_REGISTRY_HOST`, or r8.im."""
    host = value or environ.get("COG_REGISTRY_HOST") or DEFAULT_REGISTRY
    for prefix in ("https://", "http://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    return host.rstrip("/")


def docker_config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """Where the docker CLI keeps its config: `$DOCKER_CONFIG/config.json` or ~/.docker."""
    base = environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def auth_key(host: str) -> str:
    """The key docker uses for a registry in `auths` (Docker Hub has a historical URL)."""
    return _HUB_AUTH_KEY if host in (DOCKER_HUB, "index.docker.io", "registry-1.docker.io") else host


def verify_login(client: Any, host: str, username: str, password: str) -> None:
    """Ask the engine to log in (it contacts the registry); raise RegistryError if refused."""
    import docker.errors

    try:
        client.login(username=username, password=password, registry=auth_key(host), reauth=True)
    except docker.errors.APIError as exc:
        raise classify(str(getattr(exc, "explanation", None) or exc), host, action="login") from exc


def check_credentials(host: str, username: str, password: str, *, timeout: float = 30) -> None:
    """Check credentials against the registry's `/v2/` directly (used when no engine answers).

    Handles plain Basic auth and the usual Bearer token challenge. Loopback registries are
    spoken to over HTTP, others over HTTPS, as the engine does without extra configuration.
    """
    import urllib.error
    import urllib.request

    loopback = host.split(":")[0] in ("localhost", "127.0.0.1") or host.startswith("[::1]")
    base = f"{'http' if loopback else 'https'}://{host}"
    basic = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def get(url: str) -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(url, headers={"Authorization": basic})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return int(response.status), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return int(exc.code), dict(exc.headers or {})
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RegistryError(f"Cannot reach the registry {host}: {reason}",
                                hint="Check the registry address and that it is running.") from exc

    status, headers = get(f"{base}/v2/")
    challenge = next((v for k, v in headers.items() if k.lower() == "www-authenticate"), "")
    if status == 401 and challenge.lower().startswith("bearer "):
        params = dict(_challenge_params(challenge[7:]))
        realm = params.pop("realm", "")
        if not realm:
            raise RegistryError(f"The registry {host} asked for a token without saying where to get it")
        query = "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in params.items() if k in ("service", "scope"))
        status, _ = get(realm + ("?" + query if query else ""))
    if status == 401 or status == 403:
        raise RegistryError(f"Login to {host} failed: wrong username or password (HTTP {status})")
    if status >= 400:
        raise RegistryError(f"Login failed for {host}: the registry answered HTTP {status}")


def _challenge_params(text: str) -> list[tuple[str, str]]:
    import re

    return [(k.lower(), v) for k, v in re.findall(r'(\w+)="([^"]*)"', text)]


def store_credentials(
    host: str,
    username: str,
    password: str,
    *,
    config_path: Path | None = None,
    run: Callable[..., Any] = subprocess.run,
) -> Path:
    """Save credentials in the Docker config file or its credential helper; return the file."""
    path = config_path or docker_config_path()
    config = _read_config(path)
    key = auth_key(host)
    helper = (config.get("credHelpers") or {}).get(key) or (config.get("credHelpers") or {}).get(host) or config.get("credsStore")
    auths = config.setdefault("auths", {})
    if helper:
        payload = json.dumps({"ServerURL": key, "Username": username, "Secret": password})
        try:
            result = run([f"docker-credential-{helper}", "store"], input=payload.encode(), capture_output=True)
        except FileNotFoundError as exc:
            raise RegistryError(
                f"The credential helper docker-credential-{helper} named in {path} is not installed",
                hint="Install it, or remove credsStore/credHelpers from that file.",
            ) from exc
        if result.returncode != 0:
            detail = (result.stderr or result.stdout or b"").decode(errors="replace").strip()
            raise RegistryError(f"docker-credential-{helper} could not store the credentials: {detail}")
        auths[key] = {}
    else:
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        auths[key] = {"auth": token}
    _write_config(path, config)
    return path


def _read_config(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text() or "{}")
    except (OSError, ValueError) as exc:
        raise RegistryError(f"Cannot read the Docker config file {path}: {exc}") from exc
    if not isinstance(value, dict):
        raise RegistryError(f"The Docker config file {path} is not a JSON object")
    return value


def _write_config(path: Path, config: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config.json.")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(config, handle, indent="\t")
            handle.write("\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def classify(message: str, host: str, *, action: str) -> RegistryError:
    """Turn an engine/registry error into a clear RegistryError."""
    low = message.lower()
    if any(s in low for s in ("connection refused", "no such host", "dial tcp", "i/o timeout", "no route to host",
                              "server gave http response to https client", "connect: ")):
        return RegistryError(f"Cannot reach the registry {host}: {message}",
                             hint="Check the registry address and that it is running.")
    if "denied" in low:
        return RegistryError(f"The registry {host} denied the {action}: {message}",
                             hint="Check that you may push to this repository (and the name is right).")
    if any(s in low for s in ("unauthorized", "authentication required", "no basic auth credentials",
                              "incorrect username or password", "401")):
        if action == "login":
            return RegistryError(f"Login to {host} failed: wrong username or password ({message})")
        return RegistryError(f"You are not logged in to {host}: {message}", hint=f"Run `cog login {host}` first.")
    return RegistryError(f"{action.capitalize()} failed for {host}: {message}")


class PushProgress:
    """Per-layer push progress: a line when a layer changes state, and at each quarter."""

    def __init__(self, say: Say) -> None:
        self.say = say
        self.state: dict[str, str] = {}
        self.quarter: dict[str, int] = {}

    def update(self, event: Mapping[str, Any]) -> None:
        layer, status = event.get("id"), event.get("status")
        if not isinstance(layer, str) or not layer or not isinstance(status, str):
            return
        detail = event.get("progressDetail") or {}
        if status == "Pushing" and detail.get("total"):
            quarter = min(4, int(4 * detail.get("current", 0) / detail["total"]))
            if quarter > self.quarter.get(layer, -1):
                self.quarter[layer] = quarter
                self.say(f"{layer}: Pushing {_size(detail.get('current', 0))} / {_size(detail['total'])}")
            self.state[layer] = status
            return
        if self.state.get(layer) != status:
            self.state[layer] = status
            self.say(f"{layer}: {status}")


def push_image(client: Any, ref: str, *, say: Say) -> str:
    """Push `ref` through the engine, reporting per-layer progress; return `repo@sha256:...`."""
    import docker.errors

    image = parse_ref(ref)
    progress = PushProgress(say)
    digest = None
    try:
        events: Iterable[dict[str, Any]] = client.api.push(image.repository, tag=image.tag, stream=True, decode=True)
        for event in events:
            if "error" in event or "errorDetail" in event:
                message = (event.get("errorDetail") or {}).get("message") or event.get("error") or "unknown error"
                raise classify(str(message), image.registry, action="push")
            aux = event.get("aux")
            if isinstance(aux, dict) and aux.get("Digest"):
                digest = aux["Digest"]
            progress.update(event)
    except docker.errors.APIError as exc:
        raise classify(str(getattr(exc, "explanation", None) or exc), image.registry, action="push") from exc
    if not digest:
        raise RegistryError(f"The push of {ref} finished without reporting a digest")
    return f"{image.repository}@{digest}"


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1000
    return f"{n:.1f}GB"
