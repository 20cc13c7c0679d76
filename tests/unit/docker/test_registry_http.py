"""Checking credentials with a registry's /v2/ directly, against real servers on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from cog_py.docker.registry import check_credentials
from cog_py.errors import RegistryError
from tests.unit.http_stub import QuietHandler, serving

GOOD = "Basic " + base64.b64encode(b"me:pw").decode()


def _server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    with serving(handler) as server:
        yield f"127.0.0.1:{server.server_address[1]}"


class _Quiet(QuietHandler):
    def reply(self, code: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", "0")
        self.end_headers()


class BasicRegistry(_Quiet):
    def do_GET(self) -> None:
        if self.headers.get("Authorization") == GOOD:
            self.reply(200)
        else:
            self.reply(401, {"WWW-Authenticate": 'Basic realm="registry"'})


class TokenRegistry(_Quiet):
    seen: list[str] = []

    def do_GET(self) -> None:
        TokenRegistry.seen.append(self.path)
        if self.path == "/v2/":
            port = self.server.server_address[1]
            self.reply(401, {"WWW-Authenticate": f'Bearer realm="http://127.0.0.1:{port}/token",service="reg"'})
        elif self.path.startswith("/token"):
            self.reply(200 if self.headers.get("Authorization") == GOOD else 401)


@pytest.fixture
def basic() -> Iterator[str]:
    yield from _server(BasicRegistry)


@pytest.fixture
def token() -> Iterator[str]:
    yield from _server(TokenRegistry)


@pytest.mark.timeout(30)
def test_basic_auth(basic: str) -> None:
    check_credentials(basic, "me", "pw")
    with pytest.raises(RegistryError, match=f"^Login to {basic} failed: wrong username or password"):
        check_credentials(basic, "me", "nope")


@pytest.mark.timeout(30)
def test_bearer_token_challenge(token: str) -> None:
    check_credentials(token, "me", "pw")
    assert "/token?service=reg" in TokenRegistry.seen
    with pytest.raises(RegistryError, match="wrong username or password"):
        check_credentials(token, "me", "nope")


@pytest.mark.timeout(30)
def test_unreachable() -> None:
    from cog_py.run.client import free_port

    with pytest.raises(RegistryError, match="^Cannot reach the registry 127.0.0.1:"):
        check_credentials(f"127.0.0.1:{free_port()}", "me", "pw", timeout=5)


@pytest.mark.timeout(60)
def test_cog_login_without_engine(basic: str, tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/none.sock", "DOCKER_CONFIG": str(tmp_path / "cfg"),
           "NO_COLOR": "1"}
    argv = [sys.executable, "-c", "import sys; from cog_py.cli.main import main; sys.exit(main())",
            "login", basic, "--username", "me", "--password-stdin"]
    wrong = subprocess.run(argv, input="nope\n", env=env, capture_output=True, text=True, timeout=30)
    assert wrong.returncode == 1
    assert f"Login to {basic} failed: wrong username or password" in wrong.stderr
    assert not (tmp_path / "cfg" / "config.json").exists()
    good = subprocess.run(argv, input="pw\n", env=env, capture_output=True, text=True, timeout=30)
    assert good.returncode == 0, good.stderr
    assert f"Login succeeded for {basic}" in good.stderr
    stored = json.loads((tmp_path / "cfg" / "config.json").read_text())
    assert base64.b64decode(stored["auths"][basic]["auth"]) == b"me:pw"
