"""cog_py: the SDK a model author imports (standard library only)."""

from cog_py._version import __version__

__all__ = ["__version__"]
