"""Pick the function to inspect in a predictor class or module, and read its decorators.

For a class, methods are looked up along its local base classes (first definition wins), up to
the SDK's `BasePredictor`/`BaseRunner`: `run()` or the legacy `predict()` in predict mode,
`train()` in train mode. `@streaming` and `@concurrent(max=N)` are read from the method.
"""

from __future__ import annotations

import ast

from cog_py.errors import PredictorError
from cog_py.predictor.static.errors import StaticSchemaUnresolved
from cog_py.predictor.static.inputs import Target
from cog_py.predictor.static.source import LocalClass, LocalFunction, Resolver, Scope, Symbol
from cog_py.predictor.static.values import NotLiteral, literal_value

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def _mro(resolver: Resolver, cls: LocalClass) -> tuple[list[LocalClass], bool]:
    """Local classes in lookup order, and whether some base could not be read."""
    order: list[LocalClass] = []
    opaque = False
    pending = [cls]
    while pending:
        current = pending.pop(0)
        if any(c.node is current.node for c in order):
            continue
        order.append(current)
        for base in current.node.bases:
            found = resolver.resolve(current.module, base)
            if isinstance(found, LocalClass):
                pending.append(found)
            elif isinstance(found, Symbol) and found.known:
                continue  # BasePredictor, BaseRunner, object, Generic, ...
            else:
                opaque = True
    return order, opaque


def _methods(order: list[LocalClass]) -> dict[str, tuple[LocalClass, FunctionNode]]:
    methods: dict[str, tuple[LocalClass, FunctionNode]] = {}
    for cls in order:
        for stmt in cls.node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name not in methods:
                methods[stmt.name] = (cls, stmt)
    return methods


def _class_scope(cls: LocalClass) -> Scope:
    scope: dict[str, ast.AST] = {}
    for stmt in cls.node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            scope[stmt.targets[0].id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            scope[stmt.target.id] = stmt.value
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope[stmt.name] = stmt  # a helper called in a default: `steps: int = _steps_input()`
    return scope


def find_target(
    resolver: Resolver, found: LocalClass | LocalFunction, mode: str
) -> tuple[Target, FunctionNode | None, FunctionNode | None]:
    """Return the target function, and the class's setup() and healthcheck() if any."""
    if isinstance(found, LocalFunction):
        node = found.node
        return Target(found.module, node, node.name, None, False, f"{node.name}()"), None, None
    name = found.node.name
    order, opaque = _mro(resolver, found)
    methods = _methods(order)
    where = found.module.line_prefix(found.node)
    if mode == "train":
        wanted = "train"
        if wanted not in methods:
            if opaque:
                raise StaticSchemaUnresolved(f"{where}{name} inherits from a class that cannot be read statically")
            raise PredictorError(f"{where}train method not found: {name}", hint=f"define train() on {name}")
    else:
        if "run" in methods and "predict" in methods:
            raise PredictorError(f"{where}{name} must define either run() or predict(), not both",
                                 hint="rename one of them")
        wanted = "run" if "run" in methods else "predict"
        if wanted not in methods:
            if opaque:
                raise StaticSchemaUnresolved(f"{where}{name} inherits from a class that cannot be read statically")
            raise PredictorError(f"{where}run or predict method not found: {name}",
                                 hint=f"define run() (or predict()) on {name}")
    owner, node = methods[wanted]
    is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
    target = Target(owner.module, node, wanted, _class_scope(owner), not is_static, f"{name}.{wanted}()")
    setup = methods.get("setup")
    health = methods.get("healthcheck")
    return target, (setup[1] if setup else None), (health[1] if health else None)


def decorators(resolver: Resolver, target: Target,
               is_async: bool) -> tuple[bool, int | None, tuple[int, float] | None]:
    """Read `@streaming`, `@concurrent(max=N)` and `@batch(...)` from the target:
    (streaming, max or None, (max_size, max_wait_ms) or None)."""
    streaming = False
    concurrency: int | None = None
    batch: tuple[int, float] | None = None
    for deco in target.node.decorator_list:
        call = deco if isinstance(deco, ast.Call) else None
        found = resolver.resolve(target.module, call.func if call else deco)
        key = (found.module, found.name) if isinstance(found, Symbol) else None
        if key == ("cog", "streaming"):
            streaming = True
        elif key == ("cog", "batch"):
            batch = _batch_args(resolver, target, call)
        elif key == ("cog", "concurrent"):
            concurrency = _concurrent_max(resolver, target, call)
            if concurrency > 1 and not is_async:
                raise PredictorError(
                    f"{target.module.line_prefix(deco)}{target.label}: concurrent max greater than 1 requires "
                    "an async function",
                    hint=f"make it `async def {target.method}` or use @concurrent(max=1)",
                )
    return streaming, concurrency, batch


def _batch_args(resolver: Resolver, target: Target, call: ast.Call | None) -> tuple[int, float]:
    """`@batch(max_size=16, max_wait_ms=10)`: literal numbers (the SDK's defaults when left out)."""
    values: dict[str, object] = {"max_size": 16, "max_wait_ms": 10.0}
    if call is not None:
        given = dict(zip(("max_size", "max_wait_ms"), call.args))
        given.update({kw.arg: kw.value for kw in call.keywords if kw.arg in values})
        for name, expr in given.items():
            try:
                values[name] = literal_value(resolver, target.module, expr)
            except NotLiteral as exc:
                raise StaticSchemaUnresolved(
                    f"{target.module.line_prefix(call)}@batch({name}=...) must be a number literal: {exc}") from exc
    size, wait = values["max_size"], values["max_wait_ms"]
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise PredictorError(f"{target.module.line_prefix(call or target.node)}batch max_size must be an integer >= 1, "
                             f"got {size!r}", hint="e.g. @batch(max_size=16, max_wait_ms=10)")
    if isinstance(wait, bool) or not isinstance(wait, (int, float)) or wait < 0:
        raise PredictorError(f"{target.module.line_prefix(call or target.node)}batch max_wait_ms must be a number >= 0, "
                             f"got {wait!r}", hint="e.g. @batch(max_size=16, max_wait_ms=10)")
    return size, float(wait)


def _concurrent_max(resolver: Resolver, target: Target, call: ast.Call | None) -> int:
    if call is None:
        return 1
    exprs = [kw.value for kw in call.keywords if kw.arg == "max"] + list(call.args[:1])
    if not exprs:
        return 1
    try:
        value = literal_value(resolver, target.module, exprs[0])
    except NotLiteral as exc:
        raise StaticSchemaUnresolved(
            f"{target.module.line_prefix(call)}@concurrent(max=...) must be an integer literal: {exc}"
        ) from exc
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise PredictorError(f"{target.module.line_prefix(call)}concurrent max must be an integer >= 1, got {value!r}")
    return value
