"""The playground served by the model's server (GET /playground), driven in headless Chromium."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.browser.conftest import example, open_playground, shot, wait_status
from tests.server.conftest import Server


@pytest.fixture(scope="module")
def hello() -> Iterator[Server]:
    with example("hello-world") as server:
        yield server


@pytest.fixture(scope="module")
def blur() -> Iterator[Server]:
    # A small request limit, so that the page's own size check can be seen refusing a file.
    with example("blur", env={"COG_MAX_REQUEST_BYTES": "60000"}) as server:
        yield server


@pytest.fixture(scope="module")
def streaming() -> Iterator[Server]:
    with example("streaming-text") as server:
        yield server


@pytest.fixture(scope="module")
def concurrent() -> Iterator[Server]:
    with example("async-concurrency") as server:
        yield server


def png(path: Path, width: int, height: int) -> Path:
    from PIL import Image

    buffer = io.BytesIO()
    ramp = Image.linear_gradient("L").resize((width, height))
    Image.merge("RGB", (ramp, ramp.rotate(90).resize((width, height)), Image.radial_gradient("L").resize((width, height)))
                ).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_hello_world_type_run_see_text(page: Any, hello: Server) -> None:
    open_playground(page, hello.url)
    shot(page, "hello-empty")
    page.get_by_label("Text").fill("playground")
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "succeeded"
    assert page.inner_text("#output .text-output") == "hello playground"
    assert "curl -s -X POST" in page.text_content("#snippet-curl")
    assert '"text": "playground"' in page.text_content("#snippet-python")
    assert "predict_time" in page.text_content("#metrics")
    assert page.locator("#history li").count() == 1
    shot(page, "hello-succeeded")


def test_keyboard_only_run(page: Any, hello: Server) -> None:
    open_playground(page, hello.url)
    for _ in range(30):  # Tab to the text field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "in-text":
            break
    else:
        pytest.fail("the text field is not reachable with Tab")
    page.keyboard.type("keys")
    for _ in range(10):  # then on to the Run button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "run":
            break
    else:
        pytest.fail("the Run button is not reachable with Tab")
    page.keyboard.press("Enter")
    assert wait_status(page, "succeeded", "failed") == "succeeded"
    assert page.inner_text("#output .text-output") == "hello keys"
    # Enter in the text field runs it too (the form's submit).
    page.focus("#in-text")
    page.keyboard.press("End")
    page.keyboard.type("!")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#history li').length === 2")
    assert wait_status(page, "succeeded", "failed") == "succeeded"
    assert page.inner_text("#output .text-output") == "hello keys!"
    shot(page, "hello-keyboard")


def test_validation_error_next_to_its_field(page: Any, hello: Server) -> None:
    open_playground(page, hello.url)
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "failed"
    error = page.locator("#in-text-error")
    assert "Field required" in error.inner_text()
    assert page.get_attribute("#in-text", "aria-invalid") == "true"
    # The error belongs to the field: it is in the field's box and the field points at it.
    assert "in-text-error" in (page.get_attribute("#in-text", "aria-describedby") or "")
    assert page.locator("[data-field=text] .error").inner_text() == error.inner_text()
    shot(page, "hello-validation-error")


def test_blur_uploads_an_image_and_shows_the_output_image(page: Any, blur: Server, tmp_path: Path) -> None:
    open_playground(page, blur.url)
    page.set_input_files("#in-image", str(png(tmp_path / "cat.png", 160, 120)))
    page.fill("#in-radius", "4")
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "succeeded", page.inner_text("#output")
    img = page.locator("#output img")
    size = img.evaluate("async (img) => { await img.decode(); return [img.complete, img.naturalWidth, img.naturalHeight]; }")
    assert size == [True, 160, 120]
    assert (img.get_attribute("src") or "").startswith("data:image/png")
    # The file's name (not its bytes) is in the history and the snippets.
    assert "cat.png" in page.inner_text("#history")
    assert "base64,iVBOR" not in page.text_content("#snippet-curl")
    shot(page, "blur-succeeded")


def test_a_file_over_the_request_limit_is_refused_with_the_limit_named(page: Any, blur: Server,
                                                                       tmp_path: Path) -> None:
    open_playground(page, blur.url)
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * 80_000)
    page.set_input_files("#in-image", str(big))
    message = page.locator("#in-image-error").inner_text()
    assert "60000 bytes" in message and "COG_MAX_REQUEST_BYTES" in message
    page.get_by_role("button", name="Run").click()
    assert "60000 bytes" in page.locator("#in-image-error").inner_text()
    assert page.locator("#history li").count() == 0  # nothing was sent
    shot(page, "blur-too-large")


def test_streaming_tokens_appear_before_completion(page: Any, streaming: Server) -> None:
    open_playground(page, streaming.url)
    page.fill("#in-prompt", "the model")
    page.fill("#in-max_tokens", "8")
    page.fill("#in-delay", "0.3")
    page.evaluate("""() => {
        window.seen = [];
        new MutationObserver(() => {
            const s = document.getElementById('status').dataset.status;
            const text = (document.querySelector('#output .text-output') || {}).textContent;
            if (text && s !== 'succeeded' && window.seen[window.seen.length - 1] !== text) window.seen.push(text);
        }).observe(document.getElementById('output'), {childList: true, subtree: true, characterData: true});
    }""")
    page.get_by_role("button", name="Run").click()
    assert wait_status(page, "succeeded", "failed") == "succeeded"
    final = page.inner_text("#output .text-output")
    seen = page.evaluate("window.seen")
    assert len(final.split()) == 8
    assert len(seen) >= 3, f"tokens did not arrive one by one: {seen}"
    assert all(final.startswith(partial) for partial in seen)
    assert [len(s.split()) for s in seen] == sorted(len(s.split()) for s in seen)
    shot(page, "streaming-succeeded")


def test_two_runs_at_once(page: Any, concurrent: Server) -> None:
    open_playground(page, concurrent.url)
    page.fill("#in-seconds", "3")
    page.fill("#in-name", "first")
    page.get_by_role("button", name="Run").click()
    page.fill("#in-name", "second")
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("document.querySelectorAll('#history li[data-status=processing]').length === 2")
    shot(page, "concurrency-two-running")
    page.wait_for_function("document.querySelectorAll('#history li[data-status=succeeded]').length === 2",
                           timeout=60_000)
    assert wait_status(page, "succeeded") == "succeeded"
    # The model counts how many predictions ran at the same time.
    assert "2 at once so far" in page.inner_text("#output .text-output")
    # The history shows each run again when chosen.
    page.locator("#history li button").nth(1).click()
    assert page.inner_text("#output .text-output").startswith("hello first")
    assert page.get_attribute("#history li:nth-child(2) button", "aria-pressed") == "true"
    shot(page, "concurrency-both-done")


def test_cancel_a_long_prediction(page: Any, concurrent: Server) -> None:
    open_playground(page, concurrent.url)
    page.fill("#in-seconds", "30")
    page.get_by_role("button", name="Run").click()
    page.wait_for_function("document.getElementById('status').dataset.status === 'processing'")
    page.get_by_role("button", name="Cancel").click()
    assert wait_status(page, "canceled", "succeeded", "failed") == "canceled"
    assert page.is_disabled("#cancel")
    shot(page, "concurrency-canceled")
