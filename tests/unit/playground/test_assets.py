"""The playground's files and the pure parts of its servers (no browser, no network)."""

from __future__ import annotations

import re
import threading

import pytest

from cog_py.errors import CogError
from cog_py.playground import assets
from cog_py.playground.proxy import Target, WebhookSink, _loopback


def test_the_page_is_small_and_self_contained() -> None:
    files = sorted(assets.STATIC.iterdir())
    assert [f.name for f in files] == ["app.js", "index.html", "style.css"]
    assert sum(f.stat().st_size for f in files) < 200 * 1024
    for f in files:
        text = f.read_text()
        # No CDN, no remote font or script: the page works offline.
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), f.name
        assert "@import" not in text and "cdn" not in text.lower(), f.name


def test_asset_paths() -> None:
    assert assets.asset("/playground")[1].startswith(b"text/html")       # type: ignore[index]
    assert assets.asset("/playground/")[1].startswith(b"text/html")      # type: ignore[index]
    assert assets.asset("/playground/app.js")[1].startswith(b"text/javascript")  # type: ignore[index]
    assert assets.asset("/playground/../pyproject.toml") is None
    assert assets.asset("/playground/nope.js") is None
    assert assets.asset("/docs") is None


def test_request_limit_and_switch() -> None:
    assert assets.max_request_bytes(env={}) == 104857600
    assert assets.max_request_bytes(env={"COG_MAX_REQUEST_BYTES": "2048"}) == 2048
    assert assets.max_request_bytes(env={"COG_MAX_REQUEST_BYTES": "lots"}) == 104857600

    class WithLimit:
        max_request_bytes = 99

    assert assets.max_request_bytes(WithLimit(), env={"COG_MAX_REQUEST_BYTES": "2048"}) == 99
    assert assets.enabled({}) and assets.enabled({"COG_PLAYGROUND": "1"})
    assert not assets.enabled({"COG_PLAYGROUND": "0"}) and not assets.enabled({"COG_PLAYGROUND": "off"})


def test_target_addresses() -> None:
    t = Target("localhost:8393/")
    assert (t.url, t.host, t.port, t.base_path) == ("http://localhost:8393", "localhost", 8393, "")
    assert Target("http://127.0.0.1:5000/model").base_path == "/model"
    with pytest.raises(CogError, match="not an http"):
        Target("https://example.com")


def test_webhook_sink_wakes_waiters_and_keeps_a_bounded_history() -> None:
    sink = WebhookSink(capacity=3)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(sink.after(0, 30)))
    waiter.start()
    sink.add({"id": "a", "status": "processing"}, {"user-agent": "x"})
    waiter.join(30)
    assert [e["body"]["id"] for e in got[0]] == ["a"]  # type: ignore[index]
    for i in range(5):
        sink.add({"id": str(i)}, {})
    events = sink.after(0, 0)
    assert events is not None and [e["seq"] for e in events] == [3, 4, 5]
    assert sink.after(6, 0) == []
    sink.close()
    assert sink.after(0, 0) is None


def test_only_loopback_clients() -> None:
    assert _loopback("127.0.0.1") and _loopback("127.8.9.10") and _loopback("::1")
    assert not _loopback("10.0.0.5") and not _loopback("192.168.1.2") and not _loopback("not-an-address")
