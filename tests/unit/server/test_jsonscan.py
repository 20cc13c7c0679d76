"""jsonscan.top_level agrees with a full parse on the keys it returns, or defers (None)."""

from __future__ import annotations

import json

import pytest

from cog_py.server.jsonscan import top_level

KEYS = ("id", "webhook", "webhook_events_filter")


@pytest.mark.parametrize(
    "text",
    [
        "{}",
        ' { "id" : "p1" } ',
        '{"input": {"text": "a \\" } ] {", "n": [1, [2, {"x": null}]]}, "id": "p2", "webhook": "http://h/x"}',
        '{"webhook_events_filter": ["start", "completed"], "input": "\\\\", "id": 5}',
        '{"id": "a", "id": "b"}',
        '{"input": {"f": "data:,' + "x" * 10000 + '"}, "context": {}}',
        '{"a": true, "b": false, "c": null, "d": -1.5e3}',
        '{"a": {}, "b": [], "c": [[]], "id": "\\u00e9"}',
    ],
)
def test_agrees_with_a_full_parse(text: str) -> None:
    full = json.loads(text)
    for raw in (text.encode(), bytearray(text.encode())):
        assert top_level(raw, KEYS, json.loads) == {k: full[k] for k in KEYS if k in full}


@pytest.mark.parametrize(
    "text",
    ["", "[]", '"x"', "{", '{"a": }', '{"a": [1, 2}', '{"a": 1,}', '{"a": 1} x', '{"a" 1}', '{"a": "b}', '{a: 1}',
     '{"a": {"b": 1]}'],
)
def test_defers_what_it_cannot_follow(text: str) -> None:
    assert top_level(text.encode(), KEYS, json.loads) is None
