"""Evaluate literal expressions from source: defaults, choices, descriptions, constants.

Only what can be known without running code: literals, containers of literals, names bound to
literals at module (or class) level, in this file or a local module, and simple arithmetic on
them. Anything else raises `NotLiteral`, which callers turn into a precise message.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable

from cog_py.predictor.static.source import Constant, Resolver, Scope, SourceModule, Symbol

_MAX_DEPTH = 40

_BINOPS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


class NotLiteral(Exception):
    """An expression whose value cannot be known statically."""

    def __init__(self, node: ast.AST) -> None:
        super().__init__(ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__)
        self.node = node


def literal_value(
    resolver: Resolver,
    module: SourceModule,
    expr: ast.expr,
    scope: Scope | None = None,
    _depth: int = 0,
) -> Any:
    """Return the Python value of a literal expression, or raise NotLiteral."""
    if _depth > _MAX_DEPTH:
        raise NotLiteral(expr)

    def again(node: ast.expr) -> Any:
        return literal_value(resolver, module, node, scope, _depth + 1)

    if isinstance(expr, ast.Constant):
        if isinstance(expr.value, (str, int, float, bool, type(None))):
            return expr.value
        raise NotLiteral(expr)
    if isinstance(expr, ast.List):
        return [again(e) for e in expr.elts]
    if isinstance(expr, ast.Tuple):
        return tuple(again(e) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        if any(k is None for k in expr.keys):
            raise NotLiteral(expr)
        return {again(k): again(v) for k, v in zip(expr.keys, expr.values)}  # type: ignore[arg-type]
    if isinstance(expr, ast.UnaryOp):
        operand = again(expr.operand)
        if isinstance(expr.op, ast.USub) and _is_number(operand):
            return -operand
        if isinstance(expr.op, ast.UAdd) and _is_number(operand):
            return +operand
        if isinstance(expr.op, ast.Not):
            return not operand
        raise NotLiteral(expr)
    if isinstance(expr, ast.BinOp):
        op = _BINOPS.get(type(expr.op))
        left, right = again(expr.left), again(expr.right)
        numbers = _is_number(left) and _is_number(right)
        strings = isinstance(left, str) and isinstance(right, str) and isinstance(expr.op, ast.Add)
        lists = isinstance(left, list) and isinstance(right, list) and isinstance(expr.op, ast.Add)
        if op is not None and (numbers or strings or lists):
            try:
                return op(left, right)
            except ArithmeticError as exc:
                raise NotLiteral(expr) from exc
        raise NotLiteral(expr)
    if isinstance(expr, (ast.Name, ast.Attribute)):
        found = resolver.resolve(module, expr, scope)
        if isinstance(found, Constant):
            inner_scope = scope if found.module is module else None
            return literal_value(resolver, found.module, found.expr, inner_scope, _depth + 1)
        if isinstance(found, Symbol) and found.module == "builtins" and found.name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[found.name]
        raise NotLiteral(expr)
    if isinstance(expr, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in expr.values):
        return "".join(str(v.value) for v in expr.values)  # type: ignore[attr-defined]
    raise NotLiteral(expr)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
