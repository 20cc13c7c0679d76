"""`cog playground --target` against `cog serve` (a development container on the real engine)."""

from __future__ import annotations

import contextlib
import http.client
import json
import time
from pathlib import Path
from typing import Any, Iterator

import docker
import pytest

from tests.browser.conftest import open_playground, shot, wait_status
from tests.browser.test_cli_playground import playground
from tests.integration.cli_support import dev_image_name, make_project, popen_cog
from tests.integration.conftest import base_image_311, engine, engine_facts  # noqa: F401 - fixtures
from tests.server.conftest import free_port

pytestmark = [pytest.mark.engine, pytest.mark.slow]

HELLO = """
from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, text: str = Input(description="Who to greet")) -> str:
        print("greeting " + text)
        return "hello " + text
"""


def _health(port: int) -> str | None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/health-check")
        return str(json.loads(conn.getresponse().read()).get("status"))
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient,  # noqa: F811
           base_image_311: str) -> Iterator[str]:  # noqa: F811
    project = make_project(tmp_path_factory.mktemp("pg"), "pg-playground-serve", HELLO)
    port = free_port()
    proc = popen_cog(project, "serve", "-p", str(port))
    try:
        deadline = time.monotonic() + 600
        while _health(port) != "READY":
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "cog serve never got READY"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn.request("POST", "/shutdown")
            conn.getresponse().read()
        conn.close()
        try:
            proc.communicate(timeout=120)
        except Exception:  # noqa: BLE001 - whatever happened, do not leave it running
            proc.kill()
            proc.communicate()
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            engine.images.remove(dev_image_name(project), force=True)


def test_playground_against_cog_serve_with_a_webhook(page: Any, served: str, tmp_path: Path) -> None:
    with playground(served) as pg:
        open_playground(page, pg.url)
        page.fill("#in-text", "container")
        page.get_by_label("Run asynchronously").check()
        page.get_by_role("button", name="Run").click()
        assert wait_status(page, "succeeded", "failed") == "succeeded", page.inner_text("#output")
        prediction = page.get_attribute("#status", "data-prediction")
        assert page.inner_text("#output .text-output") == "hello container"
        assert page.locator(f"#webhooks li[data-prediction='{prediction}'][data-status=succeeded]").count() == 1
        assert "greeting container" in page.text_content("#logs")
        shot(page, "playground-cog-serve-webhook")
