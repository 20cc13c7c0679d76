"""Compact JSON with sorted keys (Cog's server answers that way): orjson when installed."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson

    _OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS

    def dumps(obj: Any) -> bytes:
        """Serialise `obj` compactly, keys sorted."""
        return orjson.dumps(obj, option=_OPTS)

    def dumps_frame_header(obj: Any) -> bytes:
        """Serialise a protocol header (key order does not matter there)."""
        return orjson.dumps(obj)

    loads = orjson.loads
    DecodeError: tuple[type[Exception], ...] = (orjson.JSONDecodeError, UnicodeDecodeError)
except ImportError:  # pragma: no cover - orjson is optional

    def dumps(obj: Any) -> bytes:
        """Serialise `obj` compactly, keys sorted."""
        return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()

    def dumps_frame_header(obj: Any) -> bytes:
        """Serialise a protocol header (key order does not matter there)."""
        return json.dumps(obj, separators=(",", ":")).encode()

    loads = json.loads  # type: ignore[assignment]
    DecodeError = (json.JSONDecodeError, UnicodeDecodeError)
