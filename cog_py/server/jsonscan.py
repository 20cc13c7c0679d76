"""A few top-level keys of a large JSON object, read without parsing the rest.

The parent needs only `id`, `webhook` and `webhook_events_filter` of a request; the inputs
go to the worker as raw bytes. Parsing a 100 MB body in full would hold two more copies of
it for a moment (orjson's work buffer and the string), so a large body is scanned instead:
strings are skipped by a regular expression, brackets are counted, and only the wanted
values are parsed. The scan checks the structure lightly; anything it cannot follow gives
None and the caller parses the body in full (which reports the exact error).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

_WS = re.compile(rb"[ \t\n\r]*")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_SCALAR = re.compile(rb"-?[0-9][0-9.eE+-]*|true|false|null")
_PLAIN = re.compile(rb'[^"\[\]{}]*')
_OPEN = (ord("{"), ord("["))
_QUOTE = ord('"')


def top_level(raw: bytes | bytearray, keys: Iterable[str], loads: Callable[[bytes], Any]) -> dict[str, Any] | None:
    """The values of `keys` in the JSON object `raw` (absent keys left out); None: parse it in full."""
    wanted = set(keys)
    n = len(raw)
    pos = _WS.match(raw, 0).end()  # type: ignore[union-attr]
    if raw[pos:pos + 1] != b"{":
        return None
    pos = _WS.match(raw, pos + 1).end()  # type: ignore[union-attr]
    out: dict[str, Any] = {}
    if raw[pos:pos + 1] == b"}":
        return out if _WS.match(raw, pos + 1).end() == n else None  # type: ignore[union-attr]
    while True:
        key_match = _STRING.match(raw, pos)
        if key_match is None:
            return None
        key = loads(bytes(raw[key_match.start():key_match.end()]))
        pos = _WS.match(raw, key_match.end()).end()  # type: ignore[union-attr]
        if raw[pos:pos + 1] != b":":
            return None
        pos = _WS.match(raw, pos + 1).end()  # type: ignore[union-attr]
        end = _skip_value(raw, pos)
        if end is None:
            return None
        if key in wanted:
            out[key] = loads(bytes(raw[pos:end]))
        pos = _WS.match(raw, end).end()  # type: ignore[union-attr]
        sep = raw[pos:pos + 1]
        if sep == b",":
            pos = _WS.match(raw, pos + 1).end()  # type: ignore[union-attr]
        elif sep == b"}":
            return out if _WS.match(raw, pos + 1).end() == n else None  # type: ignore[union-attr]
        else:
            return None


def _skip_value(raw: bytes | bytearray, pos: int) -> int | None:
    """The end of the JSON value starting at `pos`, or None."""
    n = len(raw)
    if pos >= n:
        return None
    first = raw[pos]
    if first == _QUOTE:
        match = _STRING.match(raw, pos)
        return match.end() if match else None
    if first not in _OPEN:
        match = _SCALAR.match(raw, pos)
        return match.end() if match else None
    stack: list[int] = []
    while True:
        pos = _PLAIN.match(raw, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return None
        char = raw[pos]
        if char == _QUOTE:
            match = _STRING.match(raw, pos)
            if match is None:
                return None
            pos = match.end()
            continue
        if char in _OPEN:
            stack.append(char + 2)   # "{" + 2 == "}", "[" + 2 == "]"
        elif not stack or stack.pop() != char:
            return None
        pos += 1
        if not stack:
            return pos
