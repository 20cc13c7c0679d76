"""`import cog` for models written against Cog: the same public API as `cog_py` (loaded on use)."""

from __future__ import annotations

import cog_py
from cog_py import __all__ as _all
from cog_py import __version__  # noqa: F401

TYPE_CHECKING = False   # not typing's: the launcher imports this package and need not load typing
if TYPE_CHECKING:
    from typing import Any

    from cog_py import *  # noqa: F403

__all__ = list(_all)
del _all


def __getattr__(name: str) -> Any:
    if name in __all__:
        value = getattr(cog_py, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cog' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
