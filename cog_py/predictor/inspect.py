"""Runtime inspection: a predict()/run()/train() callable -> PredictorInfo.

Annotations are resolved with `typing.get_type_hints`, so `from __future__ import annotations`
works. Every problem is a SchemaError naming the file, the method, the parameter and the fix.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect as pyinspect
import os
import typing
from typing import Any, Callable

from cog_py.errors import PredictorError, SchemaError
from cog_py.predictor.adt import MISSING, InputField, InputSpec, Kind, OutputMode, PredictorInfo, input_field
from cog_py.predictor.annotations import input_typeref, output_type, type_hints, type_name
from cog_py.predictor import typerules as rules
from cog_py.predictor.checks import check_input
from cog_py.sdk.input import FieldInfo
from cog_py.types import Secret

_HINT = "Fix the signature in {file}; see the supported types in the cog_py docs (Input(...), Path, list[...], ...)."


def _json_default(value: Any) -> Any:
    """A default as it appears in JSON (Path -> str, Enum -> value, tuple -> list)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Secret):
        return value.get_secret_value()
    if isinstance(value, enum.Enum):
        return _json_default(value.value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (list, tuple)):
        return [_json_default(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_default(v) for k, v in value.items()}
    raise TypeError(type(value).__name__)


def inspect_callable(
    fn: Callable[..., Any],
    *,
    ref: str,
    mode: str = "predict",
    method: str | None = None,
    is_class: bool = False,
    setup: Callable[..., Any] | None = None,
    healthcheck: Callable[..., Any] | None = None,
    batch: rules.BatchOverride = None,
) -> PredictorInfo:
    """Describe `fn` (a bound method or a function) as the predictor `ref`.

    `batch` (max_size, max_wait_ms), from cog.yaml, batches `fn` as `@batch` does and wins over
    the decorator's numbers; a batched predictor is described per item (list[X] -> X).
    """
    file = ref.split(":", 1)[0]
    line = def_line(fn)
    located = f"{file}:{line}" if line else file
    method = method or str(getattr(fn, "__name__", "predict"))
    owner = ref.split(":", 1)[1] if ":" in ref else ""
    target = f"{owner}.{method}()" if is_class else f"{method}()"

    def failer(param: str | None) -> Callable[[str], SchemaError]:
        where = f"{located}: {target}" + (f": parameter '{param}'" if param else "")
        return lambda problem: SchemaError(f"{where}: {problem}", _HINT.format(file=file))

    try:
        hints = type_hints(fn)
    except Exception as exc:  # NameError for an unknown name in a string annotation, etc.
        raise SchemaError(
            f"{located}: {target}: cannot resolve the type annotations: {type(exc).__name__}: {exc}",
            f"Import every name used in the annotations of {target} in {file}.",
        ) from None
    signature = pyinspect.signature(fn)
    batch = rules.merge_batch(batch, getattr(fn, "__cog_batch__", None))
    inputs = []
    for order, param in enumerate(signature.parameters.values()):
        inputs.append(_input_field(param, order, hints, failer(param.name), failer(None), method,
                                   batched=batch is not None))
    if "return" not in hints or hints["return"] is type(None):
        raise SchemaError(
            f"{located}: {target}: missing return type annotation on {method}",
            f"Annotate what {method}() returns, e.g. `def {method}(...) -> str:`.",
        )
    output = output_type(hints["return"], failer(None))
    if batch is not None:
        if not inputs:
            raise failer(None)(rules.BATCH_INPUT.format(method=method))
        item = rules.batch_output(output.type, output.mode is OutputMode.SINGLE, method, failer(None))
        output = dataclasses.replace(output, type=item)
    is_async = pyinspect.iscoroutinefunction(fn) or pyinspect.isasyncgenfunction(fn)
    streaming = bool(getattr(fn, "__cog_streaming__", False))
    if streaming and batch is not None:
        raise failer(None)(rules.BATCH_STREAMING.format(method=method))
    if streaming and output.mode is OutputMode.SINGLE:
        raise SchemaError(
            f"{located}: {target}: @streaming requires Iterator[...], AsyncIterator[...], "
            "ConcatenateIterator[...] or AsyncConcatenateIterator[...] return type",
            "Return an iterator (yield the chunks) or remove @streaming.",
        )
    concurrency = getattr(fn, "__cog_concurrent_max__", None)
    return PredictorInfo(
        ref=ref,
        mode=mode,
        method=method,
        is_class=is_class,
        is_async=is_async,
        inputs=tuple(inputs),
        output=output,
        streaming=streaming,
        concurrency_max=concurrency,
        batch_max_size=batch[0] if batch else None,
        batch_max_wait_ms=float(batch[1]) if batch else None,
        setup_weights=setup is not None and "weights" in pyinspect.signature(setup).parameters,
        has_healthcheck=healthcheck is not None,
    )


def def_line(obj: Any) -> int | None:
    """The line of the `def`/`class` statement (after any decorators), for error messages."""
    target = getattr(obj, "__func__", obj)
    try:
        lines, start = pyinspect.getsourcelines(target)
    except (OSError, TypeError):
        return None
    for offset, text in enumerate(lines):
        if text.lstrip().startswith(("def ", "async def ", "class ")):
            return start + offset
    return start


def _input_field(
    param: pyinspect.Parameter,
    order: int,
    hints: dict[str, Any],
    fail: Callable[[str], SchemaError],
    fail_method: Callable[[str], SchemaError],
    method: str,
    *,
    batched: bool = False,
) -> InputField:
    if param.kind is param.VAR_POSITIONAL or param.kind is param.VAR_KEYWORD:
        raise fail_method(f"*args and **kwargs are not supported in {method}(); declare each input as a parameter")
    if param.kind is param.KEYWORD_ONLY:
        raise fail_method(f"keyword-only parameters are not supported in {method}(); remove the bare '*'")
    if param.kind is param.POSITIONAL_ONLY:
        raise fail_method(f"positional-only parameters are not supported in {method}(); remove the '/'")
    if param.name not in hints:
        raise fail_method(f"parameter '{param.name}' on {method} has no type annotation")
    ref = input_typeref(hints[param.name], fail)
    if batched:
        ref = rules.batch_item(ref, method, fail)
    info = param.default if isinstance(param.default, FieldInfo) else None
    raw_default = info.default if info is not None else param.default
    if raw_default is pyinspect.Parameter.empty:
        raw_default = MISSING
    if raw_default is None and not ref.nullable:
        ref = dataclasses.replace(ref, nullable=True)  # `seed: int = Input(default=None)`: optional (Cog 0.16)
    default = raw_default
    if default is not MISSING:
        try:
            default = _json_default(default)
        except TypeError as exc:
            raise fail(f"default of type {exc} cannot be written in JSON; use a literal default") from None
    spec = info or InputSpec()
    choices = tuple(_json_default(c) for c in spec.choices) if spec.choices is not None else None
    field = input_field(spec, param.name, ref, order, default=default, choices=choices)
    check_input(field, fail)
    return field


def unwrap_defaults(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Return `fn` with every `Input(...)` default replaced by its real default.

    Required inputs (no default) get None: the server always passes them.
    """
    signature = pyinspect.signature(fn)
    if not any(isinstance(p.default, FieldInfo) for p in signature.parameters.values()):
        return fn
    defaults = {
        name: (None if p.default.default is MISSING else p.default.default)
        for name, p in signature.parameters.items()
        if isinstance(p.default, FieldInfo)
    }

    _patch_defaults(getattr(fn, "__func__", fn), defaults)
    return fn


def _patch_defaults(func: Any, defaults: dict[str, Any]) -> None:
    code = func.__code__
    positional = code.co_varnames[: code.co_argcount]
    if func.__defaults__:
        names = positional[len(positional) - len(func.__defaults__):]
        func.__defaults__ = tuple(defaults.get(n, d) for n, d in zip(names, func.__defaults__))
    if func.__kwdefaults__:
        func.__kwdefaults__ = {n: defaults.get(n, d) for n, d in func.__kwdefaults__.items()}


__all__ = ["PredictorError", "inspect_callable", "type_name", "unwrap_defaults"]
