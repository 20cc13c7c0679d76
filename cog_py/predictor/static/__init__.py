"""Static inspection: read a predictor's signature from source with `ast`, importing nothing.

    info = inspect_source(Path("."), "predict.py:Predictor")

gives the same `PredictorInfo` as importing the predictor and inspecting it at runtime, so the
CLI can check `-i` inputs and label images before anything runs, on a host that has none of the
model's dependencies. Where the source cannot be resolved without importing it (a type from an
installed package, a default computed at import time) `StaticSchemaUnresolved` is raised and the
caller falls back to importing the predictor inside the built image. Every other error is a
mistake in the predictor, reported as `PredictorError`/`SchemaError` with file, line and fix.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

from cog_py.errors import CogError, PredictorError, SchemaError
from cog_py.predictor import typerules as rules
from cog_py.predictor.adt import OutputMode, PredictorInfo
from cog_py.predictor.static.errors import StaticSchemaUnresolved
from cog_py.predictor.static.inputs import InputReader, Target
from cog_py.predictor.static.source import (
    Constant,
    LocalClass,
    LocalFunction,
    Resolver,
    SourceModule,
    Symbol,
)
from cog_py.predictor.static.target import decorators, find_target
from cog_py.predictor.static.types import TypeReader

__all__ = ["StaticSchemaUnresolved", "inspect_source", "split_ref"]


def split_ref(ref: str, mode: str = "predict") -> tuple[str, str | None]:
    """Split `file.py:Name` into ("file.py", "Name"); a bare `file.py` gives ("file.py", None)."""
    file, sep, name = ref.partition(":")
    if not file.endswith(".py") or (sep and not name.isidentifier()):
        raise PredictorError(
            f"invalid {mode} reference '{ref}' — expected format: file.py:ClassName or file.py:function_name",
            hint=f"set `{mode}:` in cog.yaml to e.g. \"predict.py:Predictor\"",
        )
    return file, (name or None)


def inspect_source(project_dir: Path, ref: str, *, mode: str = "predict",
                   batch: rules.BatchOverride = None) -> PredictorInfo:
    """Describe the predictor (or trainer) `ref` of the project at `project_dir` from its source.

    `batch` (max_size, max_wait_ms) is cog.yaml's `batch:`: as `@batch`, and it wins over it.
    """
    try:
        return _inspect(project_dir, ref, mode, batch)
    except CogError:
        raise
    except (RecursionError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        # Source shapes nobody anticipated must not stop a build: the image can still tell.
        raise StaticSchemaUnresolved(
            f"{ref}: static inspection could not read this source ({type(exc).__name__}: {exc})"
        ) from exc


def _inspect(project_dir: Path, ref: str, mode: str, batch: rules.BatchOverride = None) -> PredictorInfo:
    file, name = split_ref(ref, mode)
    path = Path(project_dir) / file
    if not path.is_file():
        raise PredictorError(
            f"{file}: file not found in {project_dir}",
            hint=f"create {file} or fix `{mode}:` in cog.yaml",
        )
    resolver = Resolver(Path(project_dir))
    module = resolver.load(path)
    if name is None:
        name = _default_class(module, ref, mode)
    found = resolver.resolve_name(module, name)
    if isinstance(found, Constant):
        raise StaticSchemaUnresolved(f"{file}: '{name}' is assigned at import time and cannot be read statically")
    if isinstance(found, Symbol) and found.module != "builtins":
        raise StaticSchemaUnresolved(f"{file}: '{name}' is imported from '{found.module}', which cannot be read statically")
    if not isinstance(found, (LocalClass, LocalFunction)):
        raise PredictorError(
            f"{file}: predictor not found: {name}",
            hint=f"define a class or function named {name} in {file}, or fix `{mode}:` in cog.yaml",
        )
    full_ref = f"{file}:{name}"
    target, setup, healthcheck = find_target(resolver, found, mode)
    return _describe(resolver, target, found, full_ref, mode, setup, healthcheck, batch)


def _default_class(module: SourceModule, ref: str, mode: str) -> str:
    preferred = ("Trainer",) if mode == "train" else ("Runner", "Predictor")
    for candidate in preferred:
        if candidate in module.bindings:
            return candidate
    raise PredictorError(
        f"{module.display}: predictor not found: no {' or '.join(preferred)} class (from '{ref}')",
        hint=f"name the class in cog.yaml, e.g. \"{module.display}:Predictor\"",
    )


def _describe(
    resolver: Resolver,
    target: Target,
    found: LocalClass | LocalFunction,
    ref: str,
    mode: str,
    setup: ast.FunctionDef | ast.AsyncFunctionDef | None,
    healthcheck: ast.AST | None,
    override: rules.BatchOverride = None,
) -> PredictorInfo:
    types = TypeReader(resolver)
    node, module = target.node, target.module
    is_async = isinstance(node, ast.AsyncFunctionDef)
    streaming, concurrency, batched = decorators(resolver, target, is_async)
    batch = rules.merge_batch(override, batched)
    inputs = InputReader(resolver, types).read_inputs(target, batched=batch is not None)
    fail = target.failer()
    returns = node.returns
    if returns is None or (isinstance(returns, ast.Constant) and returns.value is None):
        raise SchemaError(
            f"{module.line_prefix(node)}{target.label}: missing return type annotation on {target.method}",
            f"Annotate what {target.method}() returns, e.g. `def {target.method}(...) -> str:`.",
        )
    output = types.output_type(module, returns, fail, module.line_prefix(node))
    if batch is not None:
        if not inputs:
            raise fail(rules.BATCH_INPUT.format(method=target.method))
        output = replace(output, type=rules.batch_output(output.type, output.mode is OutputMode.SINGLE,
                                                          target.method, fail))
    if streaming and batch is not None:
        raise fail(rules.BATCH_STREAMING.format(method=target.method))
    if streaming and output.mode is OutputMode.SINGLE:
        raise SchemaError(
            f"{module.line_prefix(node)}{target.label}: @streaming requires Iterator[...], AsyncIterator[...], "
            "ConcatenateIterator[...] or AsyncConcatenateIterator[...] return type",
            "Return an iterator (yield the chunks) or remove @streaming.",
        )
    setup_weights = False
    if setup is not None:
        setup_args = [a.arg for a in setup.args.posonlyargs + setup.args.args + setup.args.kwonlyargs]
        setup_weights = "weights" in setup_args
    return PredictorInfo(
        ref=ref,
        mode=mode,
        method=target.method,
        is_class=isinstance(found, LocalClass),
        is_async=is_async,
        inputs=inputs,
        output=output,
        streaming=streaming,
        concurrency_max=concurrency,
        batch_max_size=batch[0] if batch else None,
        batch_max_wait_ms=float(batch[1]) if batch else None,
        setup_weights=setup_weights,
        has_healthcheck=healthcheck is not None,
    )
