"""Every kind of input, a BaseModel output, Secret inputs never leaking, and an accessibility scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.browser.conftest import CACHE, example, fixture_server, missing, open_playground, shot, wait_status
from tests.server.conftest import Server

SECRET = "s3cret-never-shown-7f2c"
AXE = CACHE / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def kitchen() -> Iterator[Server]:
    with fixture_server("kitchen.py:Predictor") as server:
        yield server


def test_every_input_kind_is_rendered_from_the_schema(page: Any, kitchen: Server) -> None:
    open_playground(page, kitchen.url)
    names = page.eval_on_selector_all("#fields .field", "els => els.map(e => e.dataset.field)")
    assert names == ["prompt", "count", "scale", "loud", "color", "api_key", "tags", "photo"]  # x-order
    kinds = {n: page.eval_on_selector(f"#in-{n}", "e => e.tagName.toLowerCase() + ':' + (e.type || '')")
             for n in names}
    assert kinds == {"prompt": "input:text", "count": "input:number", "scale": "input:number", "loud": "input:checkbox",
                     "color": "select:select-one", "api_key": "input:password", "tags": "textarea:textarea",
                     "photo": "input:file"}
    assert (page.get_attribute("#in-count", "min"), page.get_attribute("#in-count", "max")) == ("1", "10")
    assert page.get_attribute("#in-count", "step") == "1" and page.input_value("#in-count") == "3"  # default
    assert page.eval_on_selector_all("#in-color option", "os => os.map(o => o.textContent)") == ["red", "green", "blue"]
    assert "How many times" in page.inner_text("[data-field=count] .desc")
    # Every control has a label (its accessible name is the input's title).
    assert page.get_by_label("Prompt").count() == 1 and page.get_by_label("Api Key").count() == 1
    assert page.get_by_label("Color").count() == 1   # no title in the schema: from the name
    shot(page, "kitchen-form")


def test_basemodel_output_secret_inputs_never_leak(page: Any, kitchen: Server, tmp_path: Path) -> None:
    open_playground(page, kitchen.url)
    page.fill("#in-prompt", "hi there")
    page.fill("#in-count", "2")
    page.check("#in-loud")
    page.select_option("#in-color", label="blue")
    page.fill("#in-api_key", SECRET)
    page.fill("#in-tags", "a\nb")
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "succeeded", page.inner_text("#output")
    fields = page.eval_on_selector_all("#output dl.object-output > dt", "els => els.map(e => e.textContent)")
    assert fields == ["Count", "Greeting", "Picture"]
    assert page.inner_text("#output dl.object-output > dd >> nth=1") == "HI THERE x2 in blue #a #b"
    size = page.locator("#output img").evaluate(
        "async (img) => { await img.decode(); return [img.naturalWidth, img.naturalHeight]; }")
    assert size == [7, 5]
    assert "has_key=True" in page.text_content("#logs")
    assert "words" in page.text_content("#metrics")
    # The secret went to the model, and nowhere else.
    history = page.inner_html("#history")
    snippets = page.text_content("#snippets") or ""
    storage = page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    assert SECRET not in history and SECRET not in snippets and SECRET not in storage
    assert "api_key=<secret>" in page.inner_text("#history")
    assert "$API_KEY" in snippets and 'os.environ["API_KEY"]' in snippets
    assert json.loads(storage)  # something was stored (the other inputs), just not the secret
    assert "hi there" in storage
    page.click("#snippets summary")
    shot(page, "kitchen-succeeded")
    # A reload restores the other inputs from localStorage, never the secret.
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.input_value("#in-prompt") == "hi there" and page.input_value("#in-api_key") == ""


def _axe(page: Any) -> list[dict[str, Any]]:
    if not AXE.is_file():
        missing(f"axe-core is not installed at {AXE}")
    page.add_script_tag(path=str(AXE))
    result: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => "
        "({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return result


def test_accessibility_scan(page: Any, kitchen: Server) -> None:
    open_playground(page, kitchen.url)
    page.fill("#in-prompt", "axe")
    page.get_by_role("button", name="Run").click()
    wait_status(page, "succeeded", "failed")
    page.click("#snippets summary")
    violations = _axe(page)
    print("axe:", [(v["id"], v["impact"]) for v in violations])
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(bad, indent=1)
    # And with a validation error shown.
    page.fill("#in-prompt", "")
    page.fill("#in-count", "50")
    page.get_by_role("button", name="Run").click()
    wait_status(page, "failed")
    assert "maximum" in page.inner_text("#in-count-error")
    bad = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
    assert not bad, json.dumps(bad, indent=1)
    shot(page, "kitchen-validation")
    # The scan can fail: an image without a text alternative is found.
    page.evaluate("document.getElementById('output').append(document.createElement('img'))")
    assert "image-alt" in [v["id"] for v in _axe(page)]


def test_accessibility_scan_streaming(page: Any) -> None:
    with example("streaming-text") as server:
        open_playground(page, server.url)
        page.fill("#in-prompt", "the")
        page.get_by_role("button", name="Run").click()
        wait_status(page, "succeeded", "failed")
        bad = [v for v in _axe(page) if v["impact"] in ("serious", "critical")]
        assert not bad, json.dumps(bad, indent=1)


@pytest.fixture(scope="module")
def media() -> Iterator[Server]:
    with fixture_server("media.py:Predictor") as server:
        yield server


def test_files_dropped_and_a_list_of_file_outputs(page: Any, media: Server) -> None:
    open_playground(page, media.url)
    assert page.get_attribute("#in-files", "multiple") is not None
    # Drop two files on the field's zone, as a user dragging them from the desktop would.
    page.evaluate("""() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['abc'], 'a.txt', {type: 'text/plain'}));
        dt.items.add(new File(['defgh'], 'b.txt', {type: 'text/plain'}));
        const zone = document.querySelector('[data-field=files] .drop');
        zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""")
    assert "a.txt" in page.inner_text("[data-field=files] .preview")
    page.fill("#in-width", "12")
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "succeeded", page.inner_text("#output")
    items = page.locator("#output ul.list-output > li")
    assert items.count() == 3
    assert items.nth(0).locator("img").evaluate("async (i) => { await i.decode(); return i.naturalWidth; }") == 12
    audio = items.nth(1).locator("audio")
    assert audio.count() == 1 and audio.get_attribute("controls") is not None
    duration = audio.evaluate("""(a) => new Promise((ok) => a.readyState >= 1 ? ok(a.duration)
                                  : a.addEventListener('loadedmetadata', () => ok(a.duration)))""")
    assert abs(duration - 0.5) < 0.01
    assert "Download" in items.nth(2).inner_text()   # neither image nor media: a link
    assert "files=[a.txt, b.txt]" in page.inner_text("#history")
    shot(page, "media-list-of-files")
