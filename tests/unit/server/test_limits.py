"""limits.read_limited: the whole body within the limit, BodyTooLarge past it, with or without a length."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from cog_py.server import limits


def _receive(chunks: list[bytes], disconnect: bool = False) -> Any:
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    if disconnect:
        messages[-1]["more_body"] = True
        messages.append({"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return receive


def _scope(length: int | None = None, content_type: bytes | None = None) -> dict[str, Any]:
    headers = []
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    if content_type is not None:
        headers.append((b"content-type", content_type))
    return {"headers": headers}


def _read(scope: dict[str, Any], chunks: list[bytes], limit: int, disconnect: bool = False) -> bytes | bytearray:
    return asyncio.run(limits.read_limited(scope, _receive(chunks, disconnect), limit))


@pytest.mark.parametrize("declared", [True, False])
def test_a_body_of_exactly_the_limit_is_read(declared: bool) -> None:
    chunks = [b"a" * 3, b"b" * 4, b"c" * 3]
    assert bytes(_read(_scope(10 if declared else None), chunks, 10)) == b"aaabbbbccc"
    assert _read(_scope(), [b"{}"], 10) == b"{}"
    assert _read(_scope(), [b""], 10) == b""


@pytest.mark.parametrize("declared", [True, False])
def test_one_byte_more_is_too_large(declared: bool) -> None:
    with pytest.raises(limits.BodyTooLarge):
        _read(_scope(11 if declared else None), [b"a" * 5, b"b" * 6], 10)


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    async def receive() -> dict[str, Any]:
        raise AssertionError("read")

    with pytest.raises(limits.BodyTooLarge):
        asyncio.run(limits.read_limited(_scope(11), receive, 10))


def test_a_body_longer_than_declared_is_refused_and_a_disconnect_is_reported() -> None:
    with pytest.raises(limits.BodyTooLarge):
        _read(_scope(4), [b"abc", b"de"], 10)
    with pytest.raises(limits.ClientGone):
        _read(_scope(), [b"abc"], 10, disconnect=True)


@pytest.mark.parametrize(
    ("content_type", "ok"),
    [(None, True), (b"application/json", True), (b"application/json; charset=utf-8", True),
     (b"application/merge-patch+json", True), (b"", True), (b"text/plain", False),
     (b"application/x-www-form-urlencoded", False), (b"multipart/form-data; boundary=x", False)],
)
def test_only_an_explicit_non_json_type_is_refused(content_type: bytes | None, ok: bool) -> None:
    assert limits.is_json_type(_scope(content_type=content_type)) is ok
