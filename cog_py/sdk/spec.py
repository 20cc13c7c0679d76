"""The SDK's own small types: `MISSING` ("no default") and `InputSpec` (what `Input(...)` returns).

They sit at the bottom of the package so that the SDK imports nothing from `cog_py.predictor`;
the inspectors (`cog_py.predictor`) read them. Standard library only, Python 3.8+.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class _Missing:
    """Marks "no default": differs from a default of None."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()


@dataclass(frozen=True)
class InputSpec:
    """What `Input(...)` says about a parameter. The SDK's `Input()` returns one (as `cog.FieldInfo`)
    and runtime inspection reads it from the parameter's default; static inspection builds one from
    the call's keywords. Its field names are the keywords `Input()` accepts, in order."""

    default: Any = MISSING
    description: str | None = None
    ge: float | None = None
    le: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    regex: str | None = None
    choices: list[Any] | tuple[Any, ...] | None = None
    deprecated: bool | None = None
    accept: str | None = None
