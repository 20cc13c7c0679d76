"""`import cog` for models written against Cog: the same public API as `cog_py`."""

from cog_py import *  # noqa: F403
from cog_py import __all__ as _all
from cog_py import __version__  # noqa: F401

__all__ = list(_all)
del _all
