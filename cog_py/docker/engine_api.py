"""A small Docker Engine API client over the unix socket, standard library only.

The docker SDK (requests, urllib3) costs ~70-120 ms to import and one `/version` round trip to
connect; a code-only `cog build` makes a handful of short calls (inspect, create, archive,
commit, remove) that this client makes on one keep-alive connection instead. It speaks to
`DOCKER_HOST=unix://...` or the default socket; for any other host (`tcp://`, `ssh://`)
`from_env()` answers None and the caller uses the SDK. Requests carry no version prefix: the
engine then serves its own current API version (every call here exists since API 1.24).
Errors are ours: an unreachable engine is `DockerError("cannot reach the Docker engine: ...")`
with ENGINE_HINT, as `client.connect()` says it; a refused request is `DockerError("<doing>:
the engine refused: <its message>")`, as `client.map_error()` says it.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from typing import IO, Any
from urllib.parse import quote, urlencode

from cog_py.errors import DockerError

DEFAULT_HOST = "unix:///var/run/docker.sock"
ENGINE_HINT = (
    "Start a Docker engine (on a Debian machine like ours: scripts/engine up) "
    "or point DOCKER_HOST at a running one."
)


def socket_path(host: str | None = None) -> str | None:
    """The unix socket of `host` (default: DOCKER_HOST, else the default socket); None if not unix."""
    host = host if host is not None else (os.environ.get("DOCKER_HOST") or DEFAULT_HOST)
    if host.startswith("unix://"):
        return host[len("unix://"):] or "/var/run/docker.sock"
    return None


def unreachable(reason: str) -> DockerError:
    return DockerError(f"cannot reach the Docker engine: {reason}", hint=ENGINE_HINT)


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class EngineAPI:
    """The calls a code-only rebuild makes, on one connection to the engine's unix socket."""

    def __init__(self, path: str, *, timeout: float = 600) -> None:
        self.path = path
        self._conn = _UnixConnection(path, timeout)

    @classmethod
    def from_env(cls) -> EngineAPI | None:
        """A client for DOCKER_HOST (or the default socket) when it is a unix socket, else None."""
        path = socket_path()
        return cls(path) if path is not None else None

    def close(self) -> None:
        self._conn.close()

    # -- transport -----------------------------------------------------------------------------

    def request(self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None,
                content_type: str = "application/json", doing: str) -> tuple[int, bytes]:
        """Send one request; (status, body). Connection failures become DockerError."""
        url = quote(path, safe="/:@") + ("?" + urlencode(query) if query else "")
        headers = {}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        if body is not None:
            headers["Content-Type"] = content_type
            if not isinstance(body, bytes):
                body.seek(0, os.SEEK_END)
                headers["Content-Length"] = str(body.tell())
                body.seek(0)
        for attempt in (1, 2):
            try:
                self._conn.request(method, url, body=body, headers=headers)
                response = self._conn.getresponse()
                return response.status, response.read()
            except (FileNotFoundError, ConnectionRefusedError, PermissionError) as exc:
                self._conn.close()
                raise unreachable(_reason(exc, self.path)) from exc
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # A kept-alive connection the engine closed meanwhile: one fresh try, for the
                # requests that change nothing twice (inspect, delete).
                self._conn.close()
                if attempt == 2 or method not in ("GET", "DELETE"):
                    raise DockerError(f"{doing}: the engine closed the connection ({exc})", hint=ENGINE_HINT) from exc
            except OSError as exc:
                self._conn.close()
                raise DockerError(f"{doing}: {exc}", hint=ENGINE_HINT) from exc
        raise AssertionError("unreachable")

    def _json(self, method: str, path: str, *, doing: str, ok: tuple[int, ...] = (200, 201),
              **kwargs: Any) -> Any:
        status, data = self.request(method, path, doing=doing, **kwargs)
        if status not in ok:
            raise refused(doing, status, data)
        return json.loads(data) if data else None

    # -- the calls -------------------------------------------------------------------------------

    def ping(self) -> None:
        """Reachability: connection errors raise DockerError (`cannot reach the Docker engine`)."""
        status, data = self.request("GET", "/_ping", doing="pinging the engine")
        if status != 200:
            raise refused("pinging the engine", status, data)

    def inspect_image(self, ref: str) -> dict[str, Any] | None:
        """`GET /images/{ref}/json`; None when the engine has no such image."""
        status, data = self.request("GET", f"/images/{ref}/json", doing=f"inspecting {ref}")
        if status == 404:
            return None
        if status != 200:
            raise refused(f"inspecting {ref}", status, data)
        found: dict[str, Any] = json.loads(data)
        return found

    def create_container(self, config: dict[str, Any], *, doing: str) -> str:
        created = self._json("POST", "/containers/create", body=config, doing=doing)
        return str(created["Id"])

    def put_archive(self, container: str, path: str, tar: IO[bytes], *, doing: str) -> None:
        """Extract the tar `tar` at `path` in the container's filesystem."""
        self._json("PUT", f"/containers/{container}/archive", query={"path": path}, body=tar,
                   content_type="application/x-tar", doing=doing)

    def commit(self, container: str, *, repo: str, tag: str, config: dict[str, Any], doing: str) -> str:
        """`POST /commit`: a new image of the container's filesystem with image config `config`."""
        query = {"container": container, "pause": "false"}
        if repo:
            query.update(repo=repo, tag=tag)
        made = self._json("POST", "/commit", query=query, body=config, doing=doing)
        return str(made["Id"])

    def remove_container(self, container: str) -> None:
        """Remove the container (forced, with its anonymous volumes); silent when it is gone."""
        try:
            self.request("DELETE", f"/containers/{container}", query={"force": "1", "v": "1"},
                         doing="removing a container")
        except DockerError:
            pass

    def remove_image(self, ref: str) -> None:
        """Untag/remove image `ref`; silent when it is gone or still used."""
        try:
            self.request("DELETE", f"/images/{ref}", doing=f"removing {ref}")
        except DockerError:
            pass


def refused(doing: str, status: int, data: bytes) -> DockerError:
    """The engine's answer `status`/`data` as our error (the wording of client.map_error)."""
    try:
        message = str(json.loads(data).get("message") or "")
    except (ValueError, AttributeError):
        message = data.decode("utf-8", "replace").strip()
    if status == 404 and "image" in message.lower():
        return DockerError(f"{doing}: image not found ({message})")
    return DockerError(f"{doing}: the engine refused: {message or f'HTTP {status}'}")


def _reason(exc: OSError, path: str) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"no socket at {path}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return "permission denied"
