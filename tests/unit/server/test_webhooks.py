"""Webhook delivery logs: a failed webhook is reported without the secrets its URL may hold."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from cog_py.server.webhooks import WebhookSender, shown_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_failed_webhook_log_hides_user_info_and_query(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://hook-user:hook-pass@127.0.0.1:{_closed_port()}/hooks/done?token=sig-12345"

    async def deliver() -> None:
        sender = WebhookSender(url, frozenset({"completed"}), throttle=0.0, retries=0, backoff=0.0, timeout=5.0,
                               token=None, trace_headers={})
        sender.completed(b"{}")
        await asyncio.wait_for(sender._task, 10)

    with caplog.at_level(logging.WARNING, logger="cog_py.server.webhooks"):
        asyncio.run(deliver())
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "webhook http://127.0.0.1:" in text and "/hooks/done?... failed: ConnectionRefusedError" in text
    assert "hook-pass" not in text and "hook-user" not in text and "sig-12345" not in text


def test_shown_url_keeps_plain_urls() -> None:
    assert shown_url("https://example.test:8443/a/b") == "https://example.test:8443/a/b"
    assert shown_url("http://[::1]:9/x?y=1") == "http://[::1]:9/x?..."
