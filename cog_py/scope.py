"""Per-prediction scope: metrics recorded by the model and the request's `context`.

The worker runs each prediction inside `scope_for_prediction(context)`; model code reaches the
scope with `current_scope()`. A ContextVar carries it, so concurrent async predictions each see
their own. Outside a prediction `current_scope()` returns a scope whose records go nowhere.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import re
from collections.abc import Iterator
from typing import MutableMapping  # subscriptable on Python 3.8 too (the model's Python)
from typing import Any, Callable, ContextManager

MetricListener = Callable[[str, Any, str], None]

_MODES = {"replace": "replace", "incr": "increment", "increment": "increment", "append": "append"}
_SEGMENT_CHARS = re.compile(r"^[A-Za-z0-9_]*$")
_MAX_NAME = 128
_MAX_SEGMENTS = 4


def validate_metric_name(name: str) -> list[str]:
    """Check a metric name against Cog's rules; return its dot-separated segments."""
    if not isinstance(name, str) or not name:
        raise ValueError("metric name must not be empty")
    if len(name) > _MAX_NAME:
        raise ValueError(f"metric name must be 128 characters or fewer (got {len(name)})")
    if name == "predict_time":
        raise ValueError("metric name 'predict_time' is reserved by the runtime")
    if name.startswith("cog."):
        raise ValueError("the 'cog.' prefix is reserved for system metrics")
    if name.startswith("."):
        raise ValueError("metric name must not start with a dot")
    if name.endswith("."):
        raise ValueError("metric name must not end with a dot")
    segments = name.split(".")
    if "" in segments:
        raise ValueError("metric name must not contain empty segments (consecutive dots)")
    if len(segments) > _MAX_SEGMENTS:
        raise ValueError(f"metric name must have at most 4 dot-separated segments (got {len(segments)})")
    for seg in segments:
        if not seg[0].isascii() or not seg[0].isalpha():
            raise ValueError(f"metric name segment '{seg}' must start with a letter")
        if not _SEGMENT_CHARS.match(seg):
            raise ValueError(f"metric name segment '{seg}' must contain only letters, digits and underscores")
        if "__" in seg:
            raise ValueError(f"metric name segment '{seg}' must not contain consecutive underscores")
        if not seg[-1].isalnum():
            raise ValueError(f"metric name segment '{seg}' must end with a letter or digit")
    return segments


def _check_value(value: Any) -> None:
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return
    raise ValueError(f"metric value must be a bool, int, float, str, list or dict, got {type(value).__name__}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


class Metrics(MutableMapping[str, Any]):
    """The metrics of one prediction; dotted names build nested objects."""

    def __init__(self, listener: MetricListener | None = None) -> None:
        self._data: dict[str, Any] = {}
        self._listener = listener

    def record(self, name: str, value: Any, mode: str = "replace") -> None:
        """Record `value` under `name` with mode replace (default), incr/increment or append."""
        if mode not in _MODES:
            raise ValueError(f"invalid metric mode '{mode}': expected 'replace', 'incr' or 'append'")
        mode = _MODES[mode]
        segments = validate_metric_name(name)
        _check_value(value)
        parent = self._parent(segments, create=value is not None or mode != "replace")
        leaf = segments[-1]
        if mode == "replace":
            if value is None:
                if parent is not None:
                    parent.pop(leaf, None)
            else:
                self._check_type(name, parent, leaf, value)
                parent[leaf] = copy.deepcopy(value)  # type: ignore[index]
        elif mode == "increment":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"metric '{name}': increment needs a number, got {type(value).__name__}")
            old = parent.get(leaf, 0)  # type: ignore[union-attr]
            if isinstance(old, bool) or not isinstance(old, (int, float)):
                raise ValueError(f"metric '{name}' holds a {_kind(old)}; it cannot be incremented")
            parent[leaf] = old + value  # type: ignore[index]
        else:
            old = parent.get(leaf)  # type: ignore[union-attr]
            if old is None:
                parent[leaf] = [copy.deepcopy(value)]  # type: ignore[index]
            elif isinstance(old, list):
                old.append(copy.deepcopy(value))
            else:
                parent[leaf] = [old, copy.deepcopy(value)]  # type: ignore[index]
        if self._listener is not None:
            self._listener(name, value, mode)

    @staticmethod
    def _check_type(name: str, parent: Any, leaf: str, value: Any) -> None:
        if leaf in parent and _kind(parent[leaf]) != _kind(value):
            raise ValueError(
                f"metric '{name}' already holds a {_kind(parent[leaf])}; delete it before recording a {_kind(value)}"
            )

    def _parent(self, segments: list[str], *, create: bool) -> dict[str, Any] | None:
        node = self._data
        for seg in segments[:-1]:
            child = node.get(seg)
            if not isinstance(child, dict):
                if not create:
                    return None
                child = {}
                node[seg] = child
            node = child
        return node

    def snapshot(self) -> dict[str, Any]:
        """Return a deep copy of all metrics as nested plain dicts."""
        return copy.deepcopy(self._data) if self._data else {}

    def __getitem__(self, name: str) -> Any:
        node: Any = self._data
        for seg in name.split("."):
            if not isinstance(node, dict) or seg not in node:
                raise KeyError(name)
            node = node[seg]
        return node

    def __setitem__(self, name: str, value: Any) -> None:
        self.record(name, value)

    def __delitem__(self, name: str) -> None:
        segments = name.split(".")
        parent = self._parent(segments, create=False)
        if parent is None or segments[-1] not in parent:
            raise KeyError(name)
        del parent[segments[-1]]
        if self._listener is not None:
            self._listener(name, None, "replace")

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Metrics({self._data!r})"


class Scope:
    """What a running prediction can reach: its metrics and the request context."""

    def __init__(self, context: dict[str, str] | None = None, listener: MetricListener | None = None) -> None:
        self.context: dict[str, str] = dict(context or {})
        self.metrics = Metrics(listener)

    def record_metric(self, name: str, value: Any, mode: str = "replace") -> None:
        """Record a metric (modes: replace, incr/increment, append)."""
        self.metrics.record(name, value, mode=mode)


class BatchScope(Scope):
    """`current_scope()` inside a batched predict() (`@batch`): one scope per request.

    `items[i]` is the scope of the i-th input of the lists predict() received: record a metric
    there for that request alone (`current_scope().items[i].record_metric("tokens", n)`), read
    its `context` there. A metric recorded on the batch scope itself goes to every request.
    """

    def __init__(self, items: list[Scope]) -> None:
        super().__init__()
        self.items: list[Scope] = items

    def record_metric(self, name: str, value: Any, mode: str = "replace") -> None:
        """Record a metric on every request of the batch."""
        for item in self.items:
            item.metrics.record(name, value, mode=mode)


_current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("cog_py_scope", default=None)


def current_scope() -> Scope:
    """Return the running prediction's scope, or a throwaway one outside predictions."""
    scope = _current.get()
    return scope if scope is not None else Scope()


class _PredictionScope:
    """The context manager `scope_for_prediction` returns (a class: cheaper than a generator's)."""

    __slots__ = ("scope", "_token")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._token: Any = None

    def __enter__(self) -> Scope:
        self._token = _current.set(self.scope)
        return self.scope

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


def scope_for_prediction(
    context: dict[str, str] | None = None, *, listener: MetricListener | None = None
) -> ContextManager[Scope]:
    """Run the enclosed code inside a fresh scope; read `.metrics` from it afterwards.

    `listener(name, value, mode)` is called on every record (mode: replace/increment/append),
    for servers that stream metric events.
    """
    return _PredictionScope(Scope(context, listener))


@contextlib.contextmanager
def scope_for_batch(items: list[Scope]) -> Iterator[BatchScope]:
    """Run a batched call inside a `BatchScope` over the requests' own scopes."""
    scope = BatchScope(items)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def emit_metric(name: str, value: Any) -> None:
    """Record a metric on the current prediction (older spelling of `record_metric`)."""
    current_scope().record_metric(name, value)
