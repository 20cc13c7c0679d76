"""`BaseModel`: a plain typed class, turned into a dataclass when subclassed (as in Cog >= 0.17)."""

from __future__ import annotations

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
        dataclasses.dataclass(cls, **kwargs)

    def model_dump(self) -> dict[str, Any]:
        """Return the fields as a dict (nested models stay objects for the encoder)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
