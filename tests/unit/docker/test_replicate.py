"""`cog login` to r8.im: Replicate's token flow, against a stand-in for its two endpoints on
127.0.0.1 (the real r8.im is not reachable from tests), through the real CLI in a subprocess."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cog_py.docker.replicate import check_token_shape
from cog_py.errors import RegistryError
from tests.unit.http_stub import QuietHandler, serving

COG = [sys.executable, "-c", "import sys; from cog_py.cli.main import main; sys.exit(main())"]
TOKEN = "abc123cli"


class FakeReplicate(QuietHandler):
    calls: list[tuple[str, str]] = []
    has_endpoints = True

    def do_GET(self) -> None:
        FakeReplicate.calls.append(("GET", self.path))
        if self.path == "/cog/v1/display-token-url" and FakeReplicate.has_endpoints:
            self.reply_json(200, {"url": "https://replicate.example/auth/token"})
        else:
            self.reply_json(404, {"detail": "Not found"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        FakeReplicate.calls.append(("POST", self.path))
        token = urllib.parse.parse_qs(body).get("token", [""])[0]
        if self.path != "/cog/v1/verify-token" or not FakeReplicate.has_endpoints:
            self.reply_json(404, {"detail": "Not found"})
        elif token == TOKEN and self.headers.get("Content-Type") == "application/x-www-form-urlencoded":
            self.reply_json(200, {"username": "alice"})
        else:
            self.reply_json(401, {"detail": "Invalid token"})


@pytest.fixture
def replicate() -> Iterator[str]:
    FakeReplicate.calls = []
    FakeReplicate.has_endpoints = True
    with serving(FakeReplicate) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}"


def login(base: str, config: Path, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(config.parent), "DOCKER_CONFIG": str(config.parent),
           "COG_REPLICATE_API_BASE": base, "NO_COLOR": "1", "DOCKER_HOST": "unix:///nonexistent.sock"}
    return subprocess.run([*COG, "login", *args], input=stdin, capture_output=True, text=True, env=env, timeout=60)


def stored(config: Path) -> dict[str, Any]:
    return json.loads(config.read_text())["auths"] if config.exists() else {}


def test_token_stdin(replicate: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    result = login(replicate, config, "--token-stdin", stdin=TOKEN + "\n")
    assert result.returncode == 0, result.stderr
    assert "You've successfully authenticated as alice! You can now use the 'r8.im' registry." in result.stderr
    assert stored(config)["r8.im"]["auth"] == base64.b64encode(f"alice:{TOKEN}".encode()).decode()
    assert ("POST", "/cog/v1/verify-token") in FakeReplicate.calls
    assert TOKEN not in result.stderr + result.stdout


def test_interactive(replicate: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    result = login(replicate, config, stdin="\n" + TOKEN + "\n")
    assert result.returncode == 0, result.stderr
    assert "https://replicate.example/auth/token" in result.stderr
    assert "r8.im" in stored(config)
    assert FakeReplicate.calls[0] == ("GET", "/cog/v1/display-token-url")


def test_wrong_token_is_refused_and_nothing_stored(replicate: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    result = login(replicate, config, "--token-stdin", stdin="not-the-token\n")
    assert result.returncode == 1
    assert "Error: The token is not valid: Replicate did not accept it" in result.stderr
    assert stored(config) == {}


def test_api_token_is_refused_before_asking(replicate: str, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    result = login(replicate, config, "--token-stdin", stdin="r8_abcdef\n")
    assert result.returncode == 1
    assert "Replicate API token (it starts with r8_), not a CLI auth token" in result.stderr
    assert FakeReplicate.calls == []
    assert stored(config) == {}


def test_host_without_the_endpoints_is_not_replicate(replicate: str, tmp_path: Path) -> None:
    FakeReplicate.has_endpoints = False
    result = login(replicate, tmp_path / "config.json", stdin="\n")
    assert result.returncode == 1
    assert "Error: r8.im is not the Replicate registry" in result.stderr


def test_password_stdin_is_not_for_replicate(replicate: str, tmp_path: Path) -> None:
    result = login(replicate, tmp_path / "config.json", "--password-stdin", stdin="pw\n")
    assert result.returncode == 1
    assert "r8.im takes a CLI auth token, not a password" in result.stderr
    assert FakeReplicate.calls == []


def test_unreachable(tmp_path: Path) -> None:
    result = login("http://127.0.0.1:9", tmp_path / "config.json", "--token-stdin", stdin=TOKEN + "\n")
    assert result.returncode == 1
    assert "Error: Cannot reach r8.im" in result.stderr


@pytest.mark.parametrize("token", ["", "two words", "r8_x"])
def test_token_shapes_refused(token: str) -> None:
    with pytest.raises(RegistryError):
        check_token_shape(token)
