"""Pure pieces of the local commands: env, server command, GPU choice, serve/exec arguments."""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

import pytest

from cog_py.errors import CogError
from cog_py.run.attach import ContainerExitError, parse_publish, stdin_mode
from cog_py.run.local import check_image_name, container_env, gpu_choice, server_command
from cog_py.run.push import uuid7
from cog_py.run.schema import ModelSchema
from cog_py.run.serve import ServeOptions, serve_spec
from tests.unit.run.docs import document


def test_container_env() -> None:
    env = container_env(["A=1", "B=x=y"], debug=False, environ={"RUST_LOG": "info"})
    assert env == (("A", "1"), ("B", "x=y"), ("LOG_FORMAT", "console"), ("COG_LOG_LEVEL", "warning"), ("RUST_LOG", "info"))
    assert ("COG_LOG_LEVEL", "debug") in container_env([], debug=True, environ={})
    with pytest.raises(CogError, match="Invalid environment variable 'NOPE'"):
        container_env(["NOPE"], debug=False, environ={})


def test_server_command() -> None:
    assert server_command() == ("python", "-m", "cog.server.http")
    assert server_command(mode="train", host="127.0.0.1") == (
        "python", "-m", "cog.server.http", "--host", "127.0.0.1", "--x-mode", "train")
    assert server_command(await_shutdown=True, upload_url="http://u/")[-4:] == (
        "--await-explicit-shutdown", "true", "--upload-url", "http://u/")


def test_gpu_choice() -> None:
    assert gpu_choice(None, True) == ("all", True)
    assert gpu_choice(None, False) == (None, False)
    assert gpu_choice("1", False) == ("1", False)


def test_image_name_with_equals() -> None:
    with pytest.raises(CogError, match="^Invalid image name 'prompt=hi'. Did you forget `-i`\\?$"):
        check_image_name("prompt=hi")


def test_serve_spec_publishes_loopback(tmp_path: Path) -> None:
    spec, auto = serve_spec(ServeOptions(port=9000), "img", tmp_path, model_gpu=True)
    assert (spec.port, spec.host_ip, spec.network_host, spec.gpus, auto) == (9000, "127.0.0.1", False, "all", True)
    assert "--await-explicit-shutdown" in (spec.command or ())
    assert "--host" not in (spec.command or ())
    assert spec.project_dir == tmp_path and spec.role == "serve"


def test_serve_spec_host_network_and_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COG_DOCKER_NETWORK", "host")
    spec, _ = serve_spec(ServeOptions(port=9001, upload_url="http://127.0.0.1:1/up/"), "img", tmp_path, model_gpu=False)
    assert spec.network_host and spec.port == 9001
    assert spec.command is not None and spec.command[3:5] == ("--host", "127.0.0.1")
    assert spec.extra_hosts == ()  # the host network needs no host.docker.internal
    monkeypatch.delenv("COG_DOCKER_NETWORK")
    spec, _ = serve_spec(ServeOptions(upload_url="http://host.docker.internal:1/"), "img", tmp_path, model_gpu=False)
    assert spec.extra_hosts == (("host.docker.internal", "host-gateway"),)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("8000", ("127.0.0.1", 8000)), ("0.0.0.0:8000", ("0.0.0.0", 8000)), ("[::1]:8000", ("::1", 8000))],
)
def test_parse_publish(value: str, expected: tuple[str, int]) -> None:
    assert parse_publish(value) == expected


@pytest.mark.parametrize("value", ["http", "1.2.3.4:", "70000", ":80"])
def test_parse_publish_invalid(value: str) -> None:
    with pytest.raises(CogError, match=f'^invalid port "{value}"'):
        parse_publish(value)


def test_stdin_mode(tmp_path: Path) -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd) as pipe_r, os.fdopen(write_fd, "w"):
        assert stdin_mode(pipe_r) == (True, False)
    with open(os.devnull) as null:
        assert stdin_mode(null) == (False, False)
    (tmp_path / "f").write_text("x")
    with open(tmp_path / "f") as regular:
        assert stdin_mode(regular) == (True, False)
    assert stdin_mode(io.StringIO("x")) == (False, False)


def test_exit_status_passes_through() -> None:
    err = ContainerExitError(3)
    assert (str(err), err.exit_code) == ("container exited with status 3", 3)


def test_uuid7_is_time_ordered() -> None:
    first, second = uuid.UUID(uuid7()), uuid.UUID(uuid7())
    assert first.version == 7 and first.variant == uuid.RFC_4122
    assert first.int >> 80 <= second.int >> 80


def test_output_schema_follows_response_and_streaming_flag() -> None:
    doc = document({}, [], {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                   extra={"Item": {"type": "string", "format": "uri"}}, streaming=True)
    schema = ModelSchema(doc)
    assert schema.output_schema() == {"title": "Output", "type": "array", "items": {"type": "string", "format": "uri"}}
    assert schema.is_streaming()
    assert not ModelSchema(document({}, [], {"type": "string"})).is_streaming()


def test_missing_output_definition() -> None:
    doc = {"openapi": "3.0.2", "paths": {}, "components": {"schemas": {}}}
    with pytest.raises(CogError, match="^invalid OpenAPI schema: missing output definition for /predictions$"):
        ModelSchema(doc).output_schema()
