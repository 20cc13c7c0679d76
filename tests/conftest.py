"""Suite-wide policy for `engine`-marked tests: skip them, with a reason, when no Docker engine
answers; with COG_TEST_REQUIRE_ENGINE=1 (CI sets it) fail them instead."""

from __future__ import annotations

import functools
import os

import pytest

ENGINE_HINT = "run scripts/engine up (see README)"


def engine_required() -> bool:
    return os.environ.get("COG_TEST_REQUIRE_ENGINE") == "1"


def engine_unavailable(reason: str) -> None:
    """Skip the current test, or fail it when an engine is required."""
    if engine_required():
        pytest.fail(f"{reason} (COG_TEST_REQUIRE_ENGINE=1)", pytrace=False)
    pytest.skip(f"{reason}; {ENGINE_HINT}")


@functools.cache
def engine_problem() -> str | None:
    """None when a Docker engine answers a ping, else why not (asked once per session)."""
    import docker

    try:
        client = docker.from_env(timeout=10)
    except docker.errors.DockerException as error:
        return f"no Docker engine answers: {error}"
    try:
        client.ping()
    except (docker.errors.DockerException, OSError) as error:
        return f"no Docker engine answers: {error}"
    finally:
        client.close()
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("engine") is not None and (problem := engine_problem()) is not None:
        engine_unavailable(problem)
