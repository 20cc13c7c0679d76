"""`cog login` + `cog push` to the local registry, then predict from the pulled image."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest

from cog_py import labels
from tests.integration.cli_support import make_project, run_cog
from tests.integration.conftest import Registry

pytestmark = [pytest.mark.engine, pytest.mark.slow]

GREETER = """
from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, name: str = Input(description="who")) -> str:
        return "hello " + name
"""


def test_login_push_pull_predict(tmp_path: Path, engine: docker.DockerClient, registry: Registry, base_image_311: str) -> None:
    project = make_project(tmp_path, "h6-push", GREETER)
    config_dir = tmp_path / "docker-config"
    env = {"DOCKER_CONFIG": str(config_dir)}
    image = f"{registry.url}/h6/greeter:v1"

    not_logged_in = run_cog(project, "push", image, **env)
    assert not_logged_in.returncode == 1
    assert f"You are not logged in to {registry.url}" in not_logged_in.stderr

    wrong = run_cog(project, "login", registry.url, "--username", registry.username, "--password-stdin",
                    stdin="wrong-password\n", **env)
    assert wrong.returncode == 1
    assert f"Login to {registry.url} failed: wrong username or password" in wrong.stderr
    assert not (config_dir / "config.json").exists()

    login = run_cog(project, "login", registry.url, "--username", registry.username, "--password-stdin",
                    stdin=registry.password + "\n", **env)
    assert login.returncode == 0, login.stderr
    assert f"Login succeeded for {registry.url}" in login.stderr
    stored = json.loads((config_dir / "config.json").read_text())
    assert stored["auths"][registry.url]["auth"]

    pushed = run_cog(project, "push", image, **env)
    assert pushed.returncode == 0, pushed.stderr
    assert f"Pushing to {image}..." in pushed.stderr
    digest_line = [line for line in pushed.stderr.splitlines() if line.startswith("  image  ")]
    assert digest_line and digest_line[0].startswith(f"  image  {registry.url}/h6/greeter@sha256:")
    assert ": Pushed" in pushed.stderr or ": Layer already exists" in pushed.stderr
    assert engine.images.get(image).labels.get(labels.COG_PUSH_ID)

    engine.images.remove(image, force=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    try:
        result = run_cog(elsewhere, "predict", image, "-i", "name=registry", **env)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "hello registry\n"
        bad = run_cog(elsewhere, "predict", image, "-i", "nobody=1", **env)
        assert bad.returncode == 1 and 'unknown input "nobody"; valid inputs are: name' in bad.stderr
        assert "Starting Docker image" not in bad.stderr
    finally:
        try:
            engine.images.remove(image, force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass


def test_push_to_unreachable_registry(tmp_path: Path, engine: docker.DockerClient, base_image_311: str) -> None:
    from cog_py.run.client import free_port

    project = make_project(tmp_path, "h6-unreachable", GREETER)
    image = f"127.0.0.1:{free_port()}/h6/nothing:v1"
    try:
        result = run_cog(project, "push", image, DOCKER_CONFIG=str(tmp_path / "cfg"))
        assert result.returncode == 1
        assert "Cannot reach the registry 127.0.0.1:" in result.stderr
    finally:
        try:
            engine.images.remove(image, force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass


class _DenyingRegistry:
    """A registry endpoint on loopback that answers /v2/ and refuses every upload with the
    distribution spec's DENIED error, as a registry does for a repository the user may not
    write to (the local test registry lets any logged-in user push)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, code: int, body: dict | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Docker-Distribution-API-Version", "registry/2.0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _any(self) -> None:
                seen.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                if self.path == "/v2/" and self.command == "GET":
                    self._reply(200, {})
                elif self.command in ("HEAD", "GET"):
                    self._reply(404, {"errors": [{"code": "BLOB_UNKNOWN", "message": "blob unknown to registry"}]})
                else:
                    self._reply(403, {"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]})

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_denied_push_says_so(tmp_path: Path, engine: docker.DockerClient, base_image_311: str) -> None:
    registry = _DenyingRegistry()
    project = make_project(tmp_path, "h6-denied", GREETER)
    image = f"{registry.host}/someone-else/model:v1"
    try:
        result = run_cog(project, "push", image, DOCKER_CONFIG=str(tmp_path / "cfg"))
        assert result.returncode == 1, result.stderr
        assert f"Error: The registry {registry.host} denied the push" in result.stderr, result.stderr
        assert "Hint: Check that you may push to this repository" in result.stderr
        assert any(method == "POST" for method, _ in registry.seen), registry.seen   # an upload was refused
    finally:
        registry.close()
        try:
            engine.images.remove(image, force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass
