"""Choosing the container network from the engine's `GET /networks` answer, recorded from a
bridge-less engine (`dockerd --bridge=none`, as scripts/engine starts) and from a default engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from cog_py.docker import network
from cog_py.docker.network import HOST_NOTICE, choose_host_network, has_default_bridge

RECORDED = Path(__file__).resolve().parents[2] / "fixtures" / "engine"


def recorded(name: str) -> list[dict[str, Any]]:
    answer: list[dict[str, Any]] = json.loads((RECORDED / name).read_text())
    return answer


class _Api:
    def __init__(self, answer: list[dict[str, Any]] | Exception) -> None:
        self.answer = answer
        self.calls = 0

    def networks(self) -> list[dict[str, Any]]:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class _Client:
    def __init__(self, answer: list[dict[str, Any]] | Exception) -> None:
        self.api = _Api(answer)


@pytest.fixture(autouse=True)
def _fresh_notice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "_noticed", False)


def test_recorded_answers() -> None:
    assert not has_default_bridge(recorded("networks-bridge-none.json"))
    assert has_default_bridge(recorded("networks-default-bridge.json"))
    # A user-made network that happens to use the bridge driver is not the default bridge.
    assert not has_default_bridge([{"Name": "mynet", "Driver": "bridge"}, {"Name": "bridge", "Driver": "null"}])


def test_bridgeless_engine_gets_host_networking_said_once() -> None:
    said: list[str] = []
    client = _Client(recorded("networks-bridge-none.json"))
    assert choose_host_network(None, client, say=said.append, environ={})
    assert choose_host_network(None, client, say=said.append, environ={})
    assert said == [HOST_NOTICE]


def test_bridge_engine_publishes_ports() -> None:
    said: list[str] = []
    assert not choose_host_network(None, _Client(recorded("networks-default-bridge.json")), say=said.append, environ={})
    assert said == []


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [("host", {}, True), (None, {"COG_DOCKER_NETWORK": "host"}, True),
     (None, {"COG_DOCKER_NETWORK": "bridge"}, False), ("bridge", {"COG_DOCKER_NETWORK": "host"}, False)],
)
def test_user_choice_overrides_detection(flag: str | None, env: dict[str, str], expected: bool) -> None:
    client = _Client(recorded("networks-bridge-none.json"))
    said: list[str] = []
    assert choose_host_network(flag, client, say=said.append, environ=env) is expected
    assert client.api.calls == 0 and said == []


def test_engine_that_cannot_answer_keeps_the_default() -> None:
    client = _Client(docker.errors.APIError("boom"))
    assert not choose_host_network(None, client, say=lambda _: None, environ={})
