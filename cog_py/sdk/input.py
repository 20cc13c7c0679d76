"""`Input(...)`: metadata for one predict()/train() parameter. Standard library only."""

from __future__ import annotations

from typing import Any

from cog_py.sdk.spec import MISSING
from cog_py.sdk.spec import InputSpec as FieldInfo  # what `Input(...)` returns; the inspector reads it

__all__ = ["FieldInfo", "Input"]


def Input(  # noqa: N802 - Cog's public name
    default: Any = MISSING,
    *,
    default_factory: Any = None,
    description: str | None = None,
    ge: float | None = None,
    le: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    regex: str | None = None,
    choices: list[Any] | tuple[Any, ...] | None = None,
    deprecated: bool | None = None,
    accept: str | None = None,
) -> Any:
    """Describe a predict() parameter: its default, help text and constraints."""
    if default_factory is not None:
        raise TypeError("default_factory is not supported in Input() — use a literal default value instead")
    return FieldInfo(
        default=default,
        description=description,
        ge=ge,
        le=le,
        min_length=min_length,
        max_length=max_length,
        regex=regex,
        choices=choices,
        deprecated=deprecated,
        accept=accept,
    )
