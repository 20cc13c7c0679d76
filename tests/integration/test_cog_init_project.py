"""The project `cog init` writes builds into an image and answers a prediction (Cog: build_cog_init)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.cli_support import dev_image_name, run_cog

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def ok(result: Any) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


@pytest.fixture
def init_project(tmp_path: Path, engine: docker.DockerClient, base_image_311: str) -> Iterator[Path]:
    project = tmp_path / "h1-init"
    project.mkdir()
    yield project
    for name in {"cog-h1-init", dev_image_name(project)}:
        try:
            engine.images.remove(name, force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass


def test_init_project_builds_and_predicts(init_project: Path, engine: docker.DockerClient) -> None:
    created = ok(run_cog(init_project, "init"))
    assert "Creating predict.py" in created.stderr

    ok(run_cog(init_project, "build"))
    image = engine.images.get("cog-h1-init")
    assert "run.cog.openapi_schema" in (image.labels or {})

    result = ok(run_cog(init_project, "predict", "-i", "name=you", "-i", "excitement=3"))
    assert result.stdout == "hello, you!!!\n"
    assert "deprecated" not in result.stderr
