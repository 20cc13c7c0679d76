"""Evaluate literal expressions from source: defaults, choices, descriptions, constants.

Only what can be known without running code: literals, containers of literals, names bound to
literals at module (or class) level, in this file or a local module, and simple arithmetic on
them; also the common idioms of public models: `list(D.keys())`, `list(D)`, `sorted(...)`,
`len(...)`, subscripts, Enum members (`E.X`, `E.X.value`, `[e.value for e in E]`) and
f-strings of such values. Anything else raises `NotLiteral`, which callers turn into a precise
message.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Callable, NamedTuple

from cog_py.predictor.static.source import Constant, LocalClass, Resolver, Scope, SourceModule, Symbol

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


class EnumMember(NamedTuple):
    """A member of an Enum class defined in the source, while an expression is evaluated."""

    name: str
    value: Any


_ENUM_BASES = {"Enum", "IntEnum", "StrEnum"}


def _plain(value: Any) -> Any:
    """Enum members stand for their values in defaults and choices (str/int enums compare equal)."""
    if isinstance(value, EnumMember):
        return _plain(value.value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return value


def literal_value(
    resolver: Resolver,
    module: SourceModule,
    expr: ast.expr,
    scope: Scope | None = None,
    _depth: int = 0,
) -> Any:
    """Return the Python value of a literal expression, or raise NotLiteral."""
    return _plain(_evaluate(resolver, module, expr, scope, _depth, {}))


def _enum_members(resolver: Resolver, cls: LocalClass, depth: int) -> list[EnumMember] | None:
    """The members of an Enum class in the source, or None when `cls` is no Enum."""
    bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in cls.node.bases}
    if not bases & _ENUM_BASES:
        return None
    members = []
    for stmt in cls.node.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name = stmt.targets[0].id
            if not name.startswith("_"):
                members.append(EnumMember(name, _evaluate(resolver, cls.module, stmt.value, None, depth + 1, {})))
    return members


def _call(resolver: Resolver, module: SourceModule, expr: ast.Call, again: Callable[[ast.expr], Any]) -> Any:
    """`list(x)`, `tuple(x)`, `sorted(x)`, `len(x)`, `D.keys()`, `D.values()`, `D.items()`."""
    if isinstance(expr.func, ast.Attribute) and not expr.args and not expr.keywords:
        method = expr.func.attr
        if method in ("keys", "values", "items"):
            base = again(expr.func.value)
            if isinstance(base, dict):
                return list(getattr(base, method)())
        raise NotLiteral(expr)
    func = resolver.resolve(module, expr.func) if isinstance(expr.func, ast.Name) else None
    if not isinstance(func, Symbol) or func.module != "builtins" or len(expr.args) != 1:
        raise NotLiteral(expr)
    keywords = {kw.arg: again(kw.value) for kw in expr.keywords if kw.arg is not None}
    if len(keywords) != len(expr.keywords) or (keywords and func.name != "sorted") or set(keywords) - {"reverse"}:
        raise NotLiteral(expr)
    arg = again(expr.args[0])
    if isinstance(arg, LocalEnum):
        arg = arg.members
    if not isinstance(arg, (list, tuple, dict, str)):
        raise NotLiteral(expr)
    try:
        if func.name == "list":
            return list(arg)
        if func.name == "tuple":
            return tuple(arg)
        if func.name == "sorted":
            return sorted(arg, key=_plain, reverse=bool(keywords.get("reverse", False)))
        if func.name == "len":
            return len(arg)
    except TypeError as exc:
        raise NotLiteral(expr) from exc
    raise NotLiteral(expr)


class LocalEnum(NamedTuple):
    """An Enum class of the source, as an iterable of its members."""

    name: str
    members: list[EnumMember]


def _evaluate(
    resolver: Resolver,
    module: SourceModule,
    expr: ast.expr,
    scope: Scope | None,
    _depth: int,
    env: dict[str, Any],
) -> Any:
    if _depth > _MAX_DEPTH:
        raise NotLiteral(expr)

    def again(node: ast.expr) -> Any:
        return _evaluate(resolver, module, node, scope, _depth + 1, env)

    if isinstance(expr, ast.Name) and expr.id in env:
        return env[expr.id]
    if isinstance(expr, ast.Call):
        return _call(resolver, module, expr, again)
    if isinstance(expr, ast.Subscript):
        base, index = again(expr.value), again(expr.slice)
        if isinstance(base, (list, tuple, dict, str)) and isinstance(index, (int, str)) and not isinstance(index, bool):
            try:
                return base[index]  # type: ignore[index]
            except (IndexError, KeyError, TypeError) as exc:
                raise NotLiteral(expr) from exc
        raise NotLiteral(expr)
    if isinstance(expr, ast.ListComp) and len(expr.generators) == 1:
        gen = expr.generators[0]
        if gen.is_async or not isinstance(gen.target, ast.Name):
            raise NotLiteral(expr)
        items = again(gen.iter)
        if isinstance(items, LocalEnum):
            items = items.members
        elif isinstance(items, dict):
            items = list(items)
        if not isinstance(items, (list, tuple, str)):
            raise NotLiteral(expr)
        out = []
        for item in items:
            inner = {**env, gen.target.id: item}
            if all(_evaluate(resolver, module, cond, scope, _depth + 1, inner) for cond in gen.ifs):
                out.append(_evaluate(resolver, module, expr.elt, scope, _depth + 1, inner))
        return out
    if isinstance(expr, ast.Attribute) and expr.attr in ("value", "name"):
        try:
            base = again(expr.value)
        except NotLiteral:
            base = None
        if isinstance(base, EnumMember):
            return base.value if expr.attr == "value" else base.name
    if isinstance(expr, ast.Attribute):
        owner = resolver.resolve(module, expr.value, scope)
        if isinstance(owner, LocalClass):
            members = _enum_members(resolver, owner, _depth)
            for member in members or ():
                if member.name == expr.attr:
                    return member
    if isinstance(expr, ast.Name):
        found_class = resolver.resolve(module, expr, scope)
        if isinstance(found_class, LocalClass):
            members = _enum_members(resolver, found_class, _depth)
            if members is not None:
                return LocalEnum(found_class.node.name, members)

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
            return _evaluate(resolver, found.module, found.expr, inner_scope, _depth + 1, {})
        if isinstance(found, Symbol) and found.module == "builtins" and found.name in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[found.name]
        raise NotLiteral(expr)
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for part in expr.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            elif isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion in (-1, 115):
                value = _plain(again(part.value))
                if not isinstance(value, (str, int, float, bool, type(None))):
                    raise NotLiteral(expr)
                parts.append(str(value))
            else:
                raise NotLiteral(expr)
        return "".join(parts)
    raise NotLiteral(expr)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
