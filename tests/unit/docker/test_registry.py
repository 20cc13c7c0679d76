"""Image references, the Docker config file and credential helpers, error wording, push progress."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cog_py.docker.registry import (
    PushProgress,
    classify,
    docker_config_path,
    parse_ref,
    registry_host,
    store_credentials,
)
from cog_py.errors import RegistryError


@pytest.mark.parametrize(
    ("ref", "registry", "repository", "tag"),
    [
        ("localhost:5000/a/b", "localhost:5000", "localhost:5000/a/b", "latest"),
        ("127.0.0.1:5001/model:v2", "127.0.0.1:5001", "127.0.0.1:5001/model", "v2"),
        ("r8.im/user/model", "r8.im", "r8.im/user/model", "latest"),
        ("user/model:1", "docker.io", "user/model", "1"),
    ],
)
def test_parse_ref(ref: str, registry: str, repository: str, tag: str) -> None:
    parsed = parse_ref(ref)
    assert (parsed.registry, parsed.repository, parsed.tag) == (registry, repository, tag)


def test_bad_ref() -> None:
    with pytest.raises(RegistryError, match="Invalid image name 'a b'"):
        parse_ref("a b")


def test_registry_host_default_and_env() -> None:
    assert registry_host(None, {}) == "r8.im"
    assert registry_host(None, {"COG_REGISTRY_HOST": "reg.example.com"}) == "reg.example.com"
    assert registry_host("http://localhost:5000/", {}) == "localhost:5000"


def test_config_path() -> None:
    assert docker_config_path({"DOCKER_CONFIG": "/x"}) == Path("/x/config.json")
    assert docker_config_path({}).name == "config.json"


def test_store_in_config_keeps_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"auths": {"other:1": {"auth": "eA=="}}, "psFormat": "x"}))
    store_credentials("localhost:5000", "me", "s3cret", config_path=path)
    config = json.loads(path.read_text())
    assert config["psFormat"] == "x" and "other:1" in config["auths"]
    assert base64.b64decode(config["auths"]["localhost:5000"]["auth"]) == b"me:s3cret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_docker_sdk_reads_what_we_store(tmp_path: Path) -> None:
    from docker import auth

    path = tmp_path / "config.json"
    store_credentials("localhost:5000", "me", "pw", config_path=path)
    cfg = auth.load_config(str(path))
    resolved = auth.resolve_authconfig(cfg, "localhost:5000")
    assert (resolved["username"], resolved["password"]) == ("me", "pw")


def _fake_helper(bin_dir: Path, record: Path, fail: bool = False) -> None:
    script = bin_dir / "docker-credential-fake"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"data = sys.stdin.read()\n"
        f"open({str(record)!r}, 'w').write(sys.argv[1] + '\\n' + data)\n"
        + ("sys.stderr.write('keyring locked'); sys.exit(1)\n" if fail else "")
    )
    script.chmod(0o755)


def _run_with_path(bin_dir: Path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def run(cmd, **kw):  # type: ignore[no-untyped-def]
        return subprocess.run(cmd, env=env, **kw)

    return run


@pytest.mark.parametrize("key", ["credsStore", "credHelpers"])
def test_credential_helper_used(tmp_path: Path, key: str) -> None:
    record = tmp_path / "record"
    _fake_helper(tmp_path, record)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({key: "fake"} if key == "credsStore" else {key: {"localhost:5000": "fake"}}))
    store_credentials("localhost:5000", "me", "pw", config_path=path, run=_run_with_path(tmp_path))
    action, payload = record.read_text().split("\n", 1)
    assert action == "store"
    assert json.loads(payload) == {"ServerURL": "localhost:5000", "Username": "me", "Secret": "pw"}
    assert json.loads(path.read_text())["auths"]["localhost:5000"] == {}  # no secret in the file


def test_credential_helper_failure(tmp_path: Path) -> None:
    _fake_helper(tmp_path, tmp_path / "record", fail=True)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credsStore": "fake"}))
    with pytest.raises(RegistryError, match="docker-credential-fake could not store the credentials: keyring locked"):
        store_credentials("h:1", "me", "pw", config_path=path, run=_run_with_path(tmp_path))


def test_missing_credential_helper(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credsStore": "does-not-exist-xyz"}))
    with pytest.raises(RegistryError, match="docker-credential-does-not-exist-xyz .* is not installed"):
        store_credentials("h:1", "me", "pw", config_path=path)


@pytest.mark.parametrize(
    ("message", "action", "start"),
    [
        ("Get http://127.0.0.1:1/v2/: dial tcp 127.0.0.1:1: connect: connection refused", "push", "Cannot reach the registry h:1"),
        ("denied: requested access to the resource is denied", "push", "The registry h:1 denied the push"),
        ("no basic auth credentials", "push", "You are not logged in to h:1"),
        ("unauthorized: authentication required", "push", "You are not logged in to h:1"),
        ("login attempt to http://h:1/v2/ failed with status: 401 Unauthorized", "login", "Login to h:1 failed: wrong username or password"),
    ],
)
def test_classify(message: str, action: str, start: str) -> None:
    assert str(classify(message, "h:1", action=action)).startswith(start)


def test_push_progress_per_layer() -> None:
    lines: list[str] = []
    progress = PushProgress(lines.append)
    events = [
        {"status": "The push refers to repository [h/x]"},
        {"status": "Preparing", "id": "aaa"},
        {"status": "Preparing", "id": "bbb"},
        {"status": "Pushing", "id": "aaa", "progressDetail": {"current": 10, "total": 100}},
        {"status": "Pushing", "id": "aaa", "progressDetail": {"current": 20, "total": 100}},
        {"status": "Pushing", "id": "aaa", "progressDetail": {"current": 100, "total": 100}},
        {"status": "Pushed", "id": "aaa"},
        {"status": "Layer already exists", "id": "bbb"},
    ]
    for event in events:
        progress.update(event)
    assert lines == ["aaa: Preparing", "bbb: Preparing", "aaa: Pushing 10B / 100B", "aaa: Pushing 100B / 100B",
                     "aaa: Pushed", "bbb: Layer already exists"]
