"""`cog playground --target URL`: the page on a local proxy, against our server and Cog's own runtime."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.browser.conftest import CACHE, EXAMPLES, example, missing, open_playground, shot, wait_status
from tests.server.conftest import REPO, Server, free_port


class Playground:
    """`cog playground --target URL --no-open` in a subprocess."""

    def __init__(self, target: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="cog-playground-", suffix=".log", delete=False)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COG_")}
        env["PYTHONPATH"] = str(REPO)
        self.proc = subprocess.Popen([sys.executable, "-m", "cog_py.cli.main", "playground", "--target", target,
                                      "-p", str(self.port), "--no-open"],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.logs()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/playground/config.json", timeout=5).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"cog playground did not answer:\n{self.logs()}")

    def logs(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.log.close()
        os.unlink(self.log.name)


@contextlib.contextmanager
def playground(target: str) -> Iterator[Playground]:
    pg = Playground(target)
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="module")
def hello() -> Iterator[Server]:
    with example("hello-world") as server:
        yield server


@pytest.fixture(scope="module")
def proxied(hello: Server) -> Iterator[Playground]:
    with playground(hello.url) as pg:
        yield pg


def test_proxy_serves_the_page_and_forwards_the_api(page: Any, proxied: Playground, hello: Server) -> None:
    config = httpx.get(proxied.url + "/playground/config.json").json()
    assert config["mode"] == "proxy" and config["target"] == hello.url
    assert config["webhook_url"] == f"{proxied.url}/playground/webhook"
    assert httpx.get(proxied.url + "/health-check").json()["status"] == "READY"
    open_playground(page, proxied.url)
    assert f"Proxying to {hello.url}" in page.inner_text("#connection")
    page.fill("#in-text", "proxy")
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "succeeded"
    assert page.inner_text("#output .text-output") == "hello proxy"
    shot(page, "playground-proxy-sync")


def test_async_prediction_shows_its_webhooks_live(page: Any, proxied: Playground) -> None:
    open_playground(page, proxied.url)
    assert page.is_visible("#webhooks-panel")
    page.fill("#in-text", "webhook")
    page.get_by_label("Run asynchronously").check()
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "succeeded"
    prediction = page.get_attribute("#status", "data-prediction")
    assert page.inner_text("#output .text-output") == "hello webhook"
    hooks = page.locator(f"#webhooks li[data-prediction='{prediction}']")
    assert hooks.count() >= 2  # at least start and completed
    assert page.locator(f"#webhooks li[data-prediction='{prediction}'][data-status=succeeded]").count() == 1
    assert "webhook(s)" in page.inner_text("#status")
    shot(page, "playground-proxy-webhooks")


def test_streaming_through_the_proxy(page: Any) -> None:
    with example("streaming-text") as model, playground(model.url) as pg:
        open_playground(page, pg.url)
        page.fill("#in-prompt", "the client")
        page.fill("#in-max_tokens", "6")
        page.fill("#in-delay", "0.3")
        page.evaluate("""() => { window.seen = [];
            new MutationObserver(() => {
                const t = (document.querySelector('#output .text-output') || {}).textContent;
                if (t && document.getElementById('status').dataset.status !== 'succeeded') window.seen.push(t);
            }).observe(document.getElementById('output'), {childList: true, subtree: true}); }""")
        page.get_by_role("button", name="Run").click()
        assert wait_status(page, "succeeded", "failed") == "succeeded"
        assert len(page.inner_text("#output .text-output").split()) == 6
        assert len(set(page.evaluate("window.seen"))) >= 3, "the proxy buffered the event stream"


def test_a_clear_error_when_the_target_is_down() -> None:
    # A target nobody listens on: the proxy answers 502 naming it, and still serves the page.
    port = free_port()
    with playground(f"http://127.0.0.1:{port}") as pg:
        response = httpx.get(pg.url + "/openapi.json")
        assert response.status_code == 502
        assert f"127.0.0.1:{port}" in response.json()["error"]
        assert httpx.get(pg.url + "/playground").status_code == 200


COGLET_VENV = CACHE / "venv-cog-0.23.1"


@pytest.fixture(scope="module")
def coglet_hello(hello: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Cog's own runtime (cog 0.23.1 + coglet 0.23.1) serving examples/hello-world."""
    python = COGLET_VENV / "bin" / "python"
    if not python.is_file():
        missing(f"no Cog 0.23.1 venv at {COGLET_VENV}")
    project = tmp_path_factory.mktemp("coglet-hello")
    shutil.copy(EXAMPLES / "hello-world" / "predict.py", project / "predict.py")
    (project / ".cog").mkdir()
    # What `cog build` would write; coglet validates inputs against it.
    (project / ".cog" / "openapi_schema.json").write_text(json.dumps(hello.get("/openapi.json").json()))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COG_") and k != "PYTHONPATH"}
    env.update(PORT=str(port), COG_PREDICT_TYPE_STUB="predict.py:Predictor",
               PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}")
    log = project / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(python), "-m", "cog.server.http", "--host", "127.0.0.1"], cwd=project, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(httpx.HTTPError, ValueError):
                if httpx.get(url + "/health-check", timeout=5).json().get("status") == "READY":
                    break
            assert time.monotonic() < deadline, "coglet never became READY:\n" + log.read_text(errors="replace")
            time.sleep(0.2)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def test_against_cogs_own_runtime(page: Any, coglet_hello: str) -> None:
    with playground(coglet_hello) as pg:
        open_playground(page, pg.url)
        page.fill("#in-text", "coglet")
        page.get_by_role("button", name="Run").click()
        assert wait_status(page, "succeeded", "failed") == "succeeded", page.inner_text("#output")
        assert page.inner_text("#output .text-output") == "hello coglet"
        page.get_by_label("Run asynchronously").check()
        page.fill("#in-text", "coglet webhook")
        page.get_by_role("button", name="Run").click()
        page.wait_for_function("document.querySelectorAll('#history li').length === 2")
        assert wait_status(page, "succeeded", "failed") == "succeeded", page.inner_text("#output")
        assert page.inner_text("#output .text-output") == "hello coglet webhook"
        assert page.locator("#webhooks li[data-status=succeeded]").count() >= 1
        shot(page, "playground-coglet")
