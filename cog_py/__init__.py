"""cog_py: the SDK a model author imports (standard library only).

    from cog import BasePredictor, Input, Path     # or: from cog_py import ...
"""

from cog_py._version import __version__
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
