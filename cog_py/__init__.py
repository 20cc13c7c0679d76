"""cog_py: the SDK a model author imports (standard library only).

    from cog import BasePredictor, Input, Path     # or: from cog_py import ...
"""

import importlib

from cog_py._version import __version__

TYPE_CHECKING = False   # not typing's: importing typing costs the launcher ~10 ms (mypy reads this the same)
if TYPE_CHECKING:
    from typing import Any

    from cog_py.scope import BatchScope, Scope, current_scope, emit_metric
    from cog_py.sdk.input import FieldInfo, Input
    from cog_py.sdk.model import BaseModel
    from cog_py.sdk.predictor import BasePredictor, BaseRunner, CancelationException, batch, concurrent, streaming
    from cog_py.types import (
        AsyncConcatenateIterator,
        ConcatenateIterator,
        File,
        Opaque,
        Path,
        Secret,
        URLFile,
        URLPath,
    )

    class TrainingOutput(BaseModel):
        """Conventional return type of train(): the trained weights."""

        weights: Path

# The public names are imported on first use (PEP 562): the server's parent process and the
# `python -m cog.server.http` launcher import this package without needing the SDK.
_LAZY = {
    **dict.fromkeys(("BatchScope", "Scope", "current_scope", "emit_metric"), "cog_py.scope"),
    **dict.fromkeys(("FieldInfo", "Input"), "cog_py.sdk.input"),
    "BaseModel": "cog_py.sdk.model",
    **dict.fromkeys(("BasePredictor", "BaseRunner", "CancelationException", "batch", "concurrent", "streaming"),
                    "cog_py.sdk.predictor"),
    **dict.fromkeys(("AsyncConcatenateIterator", "ConcatenateIterator", "File", "Opaque", "Path", "Secret",
                     "URLFile", "URLPath"), "cog_py.types"),
}


def _training_output() -> "type":
    from cog_py.sdk.model import BaseModel
    from cog_py.types import Path

    class TrainingOutput(BaseModel):
        """Conventional return type of train(): the trained weights."""

        weights: Path

    TrainingOutput.__qualname__ = "TrainingOutput"
    return TrainingOutput


def __getattr__(name: str) -> "Any":
    if name == "TrainingOutput":
        value = _training_output()
    else:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'cog_py' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> "list[str]":
    return sorted(set(globals()) | set(_LAZY) | {"TrainingOutput"})


class ExperimentalFeatureWarning(Warning):
    """Kept for models that filter it; cog_py never emits it."""


__all__ = [
    "AsyncConcatenateIterator",
    "BaseModel",
    "BatchScope",
    "BasePredictor",
    "BaseRunner",
    "CancelationException",
    "ConcatenateIterator",
    "ExperimentalFeatureWarning",
    "FieldInfo",
    "File",
    "Input",
    "Opaque",
    "Path",
    "Scope",
    "Secret",
    "TrainingOutput",
    "URLFile",
    "URLPath",
    "__version__",
    "batch",
    "concurrent",
    "current_scope",
    "emit_metric",
    "streaming",
]
