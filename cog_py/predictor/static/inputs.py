"""Read the parameters of predict()/run()/train() from source into `InputField`s.

A default is a literal, a module- or class-level constant, an `Input(...)` call (directly, bound
to a class attribute or a module constant, or returned by a small helper function), with every
keyword argument of `Input` evaluated as a literal.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, fields, replace
from typing import Any, Callable

from cog_py.errors import PredictorError, SchemaError
from cog_py.predictor.adt import MISSING, InputField, InputSpec, Kind, input_field
from cog_py.predictor.static.errors import DEFAULT_LITERAL_HINT, StaticSchemaUnresolved
from cog_py.predictor.static.source import Constant, LocalFunction, Resolver, Scope, SourceModule, Symbol
from cog_py.predictor import typerules as rules
from cog_py.predictor.checks import check_input
from cog_py.predictor.static.types import TypeReader
from cog_py.predictor.static.values import NotLiteral, literal_value

_INPUT_KEYWORDS = tuple(f.name for f in fields(InputSpec))


@dataclass(frozen=True)
class Target:
    """The function being inspected, the module it lives in and its class body (if a method)."""

    module: SourceModule
    node: ast.FunctionDef | ast.AsyncFunctionDef
    method: str
    class_scope: Scope | None
    is_method: bool
    label: str  # "Predictor.predict()" or "predict()", for messages

    def failer(self, param: ast.arg | None = None) -> Callable[[str], SchemaError]:
        """Build errors as the runtime inspector words them, with the line number."""
        node: ast.AST = param if param is not None else self.node
        where = f"{self.module.line_prefix(node)}{self.label}" + (f": parameter '{param.arg}'" if param else "")
        hint = f"Fix the signature in {self.module.display}; see the supported types in the cog_py docs."
        return lambda problem: SchemaError(f"{where}: {problem}", hint)


class InputReader:
    """Reads the inputs of one target function."""

    def __init__(self, resolver: Resolver, types: TypeReader) -> None:
        self.resolver = resolver
        self.types = types

    def read_inputs(self, target: Target, *, batched: bool = False) -> tuple[InputField, ...]:
        """Return the InputFields of `target`, in signature order (per item when `batched`)."""
        node = target.node
        args = node.args
        fail = target.failer()
        m = target.method
        if args.vararg or args.kwarg:
            raise fail(f"*args and **kwargs are not supported in {m}(); declare each input as a parameter")
        if args.kwonlyargs:
            raise fail(f"keyword-only parameters are not supported in {m}(); remove the bare '*'")
        params = list(args.args)
        if args.posonlyargs:
            if not target.is_method or len(args.posonlyargs) > 1:
                raise fail(f"positional-only parameters are not supported in {m}(); remove the '/'")
            params = list(args.posonlyargs) + params  # `def predict(self, /, ...)`: only self is positional
        defaults: list[ast.expr | None] = [None] * (len(params) - len(args.defaults)) + list(args.defaults)
        if target.is_method and params:
            params, defaults = params[1:], defaults[1:]
        result = []
        for order, (param, default) in enumerate(zip(params, defaults)):
            result.append(self._read_param(target, param, default, order, batched))
        return tuple(result)

    def _read_param(self, target: Target, param: ast.arg, default: ast.expr | None, order: int,
                    batched: bool = False) -> InputField:
        module = target.module
        prefix = module.line_prefix(param)
        fail = target.failer(param)
        if param.annotation is None:
            raise target.failer()(f"parameter '{param.arg}' on {target.method} has no type annotation")
        ftype = self.types.input_type(module, param.annotation, fail, prefix)
        if batched:
            ftype = rules.batch_item(ftype, target.method, fail)
        spec = InputSpec() if default is None else self._spec(module, default, target.class_scope, param.arg, prefix)
        value = spec.default
        if value is None and not ftype.nullable:
            # `seed: int = Input(default=None)` (also Secret, Path, List[str]): optional and
            # nullable, predict() gets None when it is left out (Cog 0.16's semantics)
            ftype = replace(ftype, nullable=True)
        choices = spec.choices
        if choices is not None:
            if not isinstance(choices, (list, tuple)):
                raise fail(f"choices must be a list, got {choices!r}")
            choices = tuple(_json(c) for c in choices)
        field = input_field(spec, param.arg, ftype, order, default=value if value is MISSING else _json(value),
                              choices=choices)
        check_input(field, fail)
        return field

    # -- defaults -------------------------------------------------------------------------
    def _spec(
        self,
        module: SourceModule,
        expr: ast.expr,
        scope: Scope | None,
        name: str,
        prefix: str,
        depth: int = 0,
        shown: ast.expr | None = None,
    ) -> InputSpec:
        shown = shown or expr  # what the user wrote at the parameter, for messages
        if depth > 10:
            raise self._unresolved(shown, name, prefix)
        if isinstance(expr, ast.Call):
            func = self.resolver.resolve(module, expr.func, scope)
            if isinstance(func, Symbol) and (func.module, func.name) == ("cog", "Input"):
                return self._input_call(module, expr, scope, name, prefix)
            if isinstance(func, LocalFunction):
                returned, call_scope = self._inline(module, func, expr, scope, name, prefix)
                return self._spec(func.module, returned, call_scope, name, prefix, depth + 1, shown)
            raise self._unresolved(shown, name, prefix)
        if isinstance(expr, (ast.Name, ast.Attribute)):
            found = self.resolver.resolve(module, expr, scope)
            if isinstance(found, Constant) and isinstance(found.expr, ast.Call):
                inner = scope if found.module is module else None
                return self._spec(found.module, found.expr, inner, name, prefix, depth + 1, shown)
        try:
            return InputSpec(default=literal_value(self.resolver, module, expr, scope))
        except NotLiteral as exc:
            raise self._unresolved(shown, name, prefix) from exc

    def _input_call(
        self, module: SourceModule, call: ast.Call, scope: Scope | None, name: str, prefix: str
    ) -> InputSpec:
        values: dict[str, Any] = {}
        if len(call.args) > 1:
            raise PredictorError(f"{prefix}Input() takes at most one positional argument, the default "
                                 f"(parameter '{name}')", hint="pass the other options as keywords")
        if call.args:
            values["default"] = self._literal(module, call.args[0], scope, name, prefix)
        for kw in call.keywords:
            if kw.arg == "default_factory":
                raise PredictorError(
                    f"{prefix}default_factory is not supported in Input() — use a literal default value "
                    f"instead (parameter '{name}')",
                    hint="pass a literal default, e.g. Input(default=[])",
                )
            if kw.arg is None or kw.arg not in _INPUT_KEYWORDS:
                raise PredictorError(
                    f"{prefix}Input() got an unexpected keyword argument '{kw.arg or '**'}' (parameter '{name}')",
                    hint="Input accepts: " + ", ".join(_INPUT_KEYWORDS),
                )
            values[kw.arg] = self._literal(module, kw.value, scope, name, prefix, what=kw.arg)
        return InputSpec(**values)

    def _inline(
        self,
        module: SourceModule,
        func: LocalFunction,
        call: ast.Call,
        scope: Scope | None,
        name: str,
        prefix: str,
    ) -> tuple[ast.expr, dict[str, ast.expr]]:
        """Return the expression a small helper `def f(...): return Input(...)` returns, and its arguments."""
        body = [s for s in func.node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(body) != 1 or not isinstance(body[0], ast.Return) or body[0].value is None:
            raise self._unresolved(call, name, prefix)
        params = [a.arg for a in func.node.args.args]
        bound: dict[str, ast.expr] = {}
        fn_defaults = func.node.args.defaults
        for pname, dexpr in zip(params[len(params) - len(fn_defaults):], fn_defaults):
            bound[pname] = _as_expr(literal_value(self.resolver, func.module, dexpr))
        for pname, arg in zip(params, call.args):
            bound[pname] = _as_expr(self._literal(module, arg, scope, name, prefix))
        for kw in call.keywords:
            if kw.arg is None or kw.arg not in params:
                raise self._unresolved(call, name, prefix)
            bound[kw.arg] = _as_expr(self._literal(module, kw.value, scope, name, prefix))
        return body[0].value, bound

    def _literal(
        self, module: SourceModule, expr: ast.expr, scope: Scope | None, name: str, prefix: str,
        what: str = "default",
    ) -> Any:
        try:
            return literal_value(self.resolver, module, expr, scope)
        except NotLiteral as exc:
            raise self._unresolved(expr, name, prefix, what) from exc

    @staticmethod
    def _unresolved(expr: ast.expr, name: str, prefix: str, what: str = "default") -> StaticSchemaUnresolved:
        """`what`: the Input() argument that could not be read (default, choices, description, ...)."""
        if what == "default":
            return StaticSchemaUnresolved(
                f"{prefix}default value for parameter '{name}' cannot be statically resolved: "
                f"{ast.unparse(expr)}. {DEFAULT_LITERAL_HINT}"
            )
        return StaticSchemaUnresolved(
            f"{prefix}Input({what}=...) for parameter '{name}' cannot be statically resolved: "
            f"{ast.unparse(expr)}. Arguments of Input() must be literals, module constants or simple "
            "expressions of them (list(D.keys()), sorted(...), Enum members, f-strings)."
        )


def _json(value: Any) -> Any:
    """A default as the runtime inspector reports it: tuples become lists."""
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    return value


def _as_expr(value: Any) -> ast.expr:
    return ast.parse(repr(value), mode="eval").body
