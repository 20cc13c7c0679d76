"""`cog.types`: the value types, as in Cog."""

from cog_py.types import *  # noqa: F403
from cog_py.types import __all__  # noqa: F401
