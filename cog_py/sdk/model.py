"""`BaseModel`: a plain typed class, turned into a dataclass when subclassed (as in Cog >= 0.17)."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any


class BaseModel:
    """Subclass with annotated fields to describe a structured output.

    Subclasses become dataclasses (keyword arguments of the class statement are passed to
    `dataclasses.dataclass`); `auto_dataclass=False` opts out.
    """

    def __init_subclass__(cls, *, auto_dataclass: bool = True, **kwargs: Any) -> None:
        super().__init_subclass__()
        if not auto_dataclass:
            return
        if cls.__bases__ and not issubclass(cls.__bases__[0], BaseModel):
            raise TypeError(f"{cls.__name__}: the first base class must be a BaseModel")
        for base in cls.__mro__[1:]:
            if dataclasses.is_dataclass(base) and not issubclass(base, BaseModel):
                raise TypeError(f"{cls.__name__}: dataclass mixins are not supported with BaseModel")
        _mutable_defaults_to_factories(cls)
        dataclasses.dataclass(cls, **kwargs)

    def model_dump(self) -> dict[str, Any]:
        """Return the fields as a dict (nested models stay objects for the encoder)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


def _mutable_defaults_to_factories(cls: type) -> None:
    """Let `tags: list[str] = []` work as it does in pydantic: each instance gets a copy."""
    for name in cls.__dict__.get("__annotations__", {}):
        value = cls.__dict__.get(name, dataclasses.MISSING)
        if isinstance(value, (list, dict, set)):
            setattr(cls, name, dataclasses.field(default_factory=_copier(value)))


def _copier(value: Any) -> Any:
    def make() -> Any:
        return copy.deepcopy(value)

    return make
