"""Headless Chromium (Debian's, driven by Playwright) against real servers.

- `browser`: one Chromium for the whole session;
- `page`: a fresh context (empty localStorage) and page per test; `shot(page, name)` saves a
  screenshot under $COG_BROWSER_ARTIFACTS (default .artifacts/browser, gitignored);
- `example_server(name)`: `python -m cog_py.server` on an example directory, started once per module;
- `open_playground(page, url)`: loads /playground and waits until the form is built.

What these tests need is installed by scripts/browser (scripts/test calls it). When a piece is
missing the tests skip with the reason; with COG_TEST_REQUIRE_BROWSER=1 they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.server.conftest import REPO, Server, running_server

CHROMIUM = os.environ.get("COG_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
CACHE = Path(os.environ.get("COG_BROWSER_CACHE") or Path.home() / ".cache" / "cog_py" / "browser")
ARTIFACTS = Path(os.environ.get("COG_BROWSER_ARTIFACTS") or REPO / ".artifacts" / "browser")
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).parent / "fixtures"
TIMEOUT_MS = 60_000


def missing(reason: str) -> None:
    if os.environ.get("COG_TEST_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (COG_TEST_REQUIRE_BROWSER=1)", pytrace=False)
    pytest.skip(f"{reason}; run scripts/browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("the playwright package is not installed")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    with contextlib.suppress(Exception):
        shot(pg, request.node.name + "-final")
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def shot(pg: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name) + ".png")
    pg.screenshot(path=str(path), full_page=True)
    return path


def open_playground(pg: Any, url: str) -> None:
    pg.goto(url + "/playground")
    pg.wait_for_selector("body[data-ready]")
    assert pg.get_attribute("body", "data-ready") == "true", pg.inner_text("#connection")


def wait_status(pg: Any, *statuses: str, prediction: str | None = None) -> str:
    """Wait until the shown prediction's status is one of `statuses`; returns it."""
    pg.wait_for_function(
        "([wanted, id]) => { const s = document.getElementById('status');"
        " return wanted.includes(s.dataset.status) && (!id || s.dataset.prediction === id); }",
        arg=[list(statuses), prediction], timeout=TIMEOUT_MS)
    return str(pg.get_attribute("#status", "data-status"))


@contextlib.contextmanager
def example(name: str, **kw: Any) -> Iterator[Server]:
    """The model server on examples/<name>, without building an image."""
    with running_server(None, cwd=EXAMPLES / name, timeout=60, **kw) as server:
        yield server


@contextlib.contextmanager
def fixture_server(ref: str, **kw: Any) -> Iterator[Server]:
    with running_server(ref, cwd=FIXTURES, timeout=60, **kw) as server:
        yield server
