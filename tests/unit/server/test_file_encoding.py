"""The parent's base64 of file outputs: pybase64 when installed, the stdlib's otherwise, same bytes."""

from __future__ import annotations

import base64
import sys

import pytest

from cog_py.server import supervisor


@pytest.fixture
def fresh_encoder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(supervisor, "_encoder", None)


def test_the_installed_simd_encoder_is_used(fresh_encoder: None) -> None:
    pybase64 = pytest.importorskip("pybase64")
    data = bytes(range(256)) * 300
    assert supervisor._b64encode(memoryview(data)[5:]) == base64.b64encode(data[5:])
    assert supervisor._encoder is pybase64.b64encode


def test_without_pybase64_the_stdlib_encodes_the_same_bytes(fresh_encoder: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pybase64", None)   # import pybase64 -> ImportError
    data = bytes(range(256)) * 300 + b"xy"
    assert supervisor._b64encode(memoryview(data)) == base64.b64encode(data)
    assert supervisor._b64encode(b"") == b""
