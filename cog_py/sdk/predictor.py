"""Runner base classes, cancellation and the `@streaming` / `@concurrent` / `@batch` decorators."""

from __future__ import annotations

import inspect
from typing import Any, Callable, TypeVar

from cog_py.scope import Scope, current_scope

_F = TypeVar("_F", bound=Callable[..., Any])


class CancelationException(BaseException):  # noqa: N818 - Cog's public name
    """Raised inside predict() when the prediction is canceled. Re-raise it after cleaning up."""


class BaseRunner:
    """Base class of a model: optional `setup()`, and `run()` (or `predict()`) doing the work."""

    def setup(self) -> None:
        """Load the model once, before the first prediction (may take a `weights` parameter)."""
        return None

    @property
    def scope(self) -> Scope:
        """The current prediction's scope (metrics, request context)."""
        return current_scope()

    def record_metric(self, name: str, value: Any, mode: str = "replace") -> None:
        """Record a metric on the current prediction."""
        current_scope().record_metric(name, value, mode=mode)


class BasePredictor(BaseRunner):
    """Same as BaseRunner; `predict()` is as first-class as `run()`."""


def streaming(fn: _F | None = None) -> Any:
    """Mark predict() as streaming its iterator output over Server-Sent Events.

    Works as `@streaming` and `@streaming()`.
    """

    def mark(target: _F) -> _F:
        target.__cog_streaming__ = True  # type: ignore[attr-defined]
        return target

    if fn is None:
        return mark
    return mark(fn)


def concurrent(fn: _F | None = None, *, max: int = 1) -> Any:  # noqa: A002 - Cog's keyword
    """Allow up to `max` predictions at once (`max > 1` needs an async predict)."""
    if isinstance(max, bool) or not isinstance(max, int) or max < 1:
        raise TypeError("concurrent max must be an integer >= 1")

    def mark(target: _F) -> _F:
        if max > 1 and not (inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)):
            raise TypeError("concurrent max greater than 1 requires an async function")
        target.__cog_concurrent_max__ = max  # type: ignore[attr-defined]
        return target

    if fn is None:
        return mark
    return mark(fn)


def batch(fn: _F | None = None, *, max_size: int = 16, max_wait_ms: float = 10.0) -> Any:
    """Call predict() with lists: up to `max_size` requests at once, gathered for `max_wait_ms`.

    Every parameter of the decorated predict() is a list (`prompt: list[str]`) and it returns a
    list of the same length (`-> list[str]`). The HTTP API and the schema stay per item: each
    request sends one `prompt` and gets one output. Works as `@batch` and `@batch(...)`;
    `batch:` in cog.yaml overrides the two numbers.
    """
    if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
        raise TypeError("batch max_size must be an integer >= 1")
    if isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, (int, float)) or max_wait_ms < 0:
        raise TypeError("batch max_wait_ms must be a number >= 0")

    def mark(target: _F) -> _F:
        if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
            raise TypeError("@batch cannot be used on a generator: return a list of outputs")
        target.__cog_batch__ = (max_size, float(max_wait_ms))  # type: ignore[attr-defined]
        return target

    if fn is None:
        return mark
    return mark(fn)
