"""Turn annotation expressions from source into `TypeRef`s, exactly as the runtime inspector would.

The rules are `cog_py.predictor.typerules`, shared with `cog_py.predictor.annotations` (runtime): inputs are scalars, Path/File/Secret,
flat lists, dict/TypedDict as opaque objects, Optional and unions of JSON-native members;
outputs add BaseModel/pydantic/TypedDict classes, typed dicts, nested lists and the iterator
flavours. Names are resolved through `Resolver`, so `cog.Path`, `from cog import Path as P`,
`typing.Optional`, string annotations and classes in local modules all work. A type imported
from a package we cannot read raises `StaticSchemaUnresolved`; a type the schema cannot express
raises `SchemaError`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from cog_py.errors import SchemaError
from cog_py.predictor import typerules as rules
from cog_py.predictor.adt import Kind, OutputMode, OutputType, TypeRef
from cog_py.predictor.static.classes import ClassReader
from cog_py.predictor.static.errors import StaticSchemaUnresolved, unresolved_type
from cog_py.predictor.static.source import (
    Constant,
    LocalClass,
    ModuleSymbol,
    Resolved,
    Resolver,
    SourceModule,
    Symbol,
)

Fail = rules.Fail

_SCALARS = {
    ("builtins", "str"): Kind.STR,
    ("builtins", "int"): Kind.INT,
    ("builtins", "float"): Kind.FLOAT,
    ("builtins", "bool"): Kind.BOOL,
    ("typing", "Any"): Kind.ANY,
    ("builtins", "object"): Kind.ANY,
    ("cog", "Path"): Kind.PATH,
    ("cog", "URLPath"): Kind.PATH,
    ("pathlib", "Path"): Kind.PATH,
    ("pathlib", "PosixPath"): Kind.PATH,
    ("cog", "File"): Kind.FILE,
    ("cog", "URLFile"): Kind.FILE,
    ("cog", "Secret"): Kind.SECRET,
}
_DICTS = {("builtins", "dict"), ("typing", "Dict"), ("typing", "Mapping"), ("typing", "MutableMapping")}
_LISTS = {("builtins", "list"), ("typing", "List")}
_ITERATORS = {("typing", n) for n in ("Iterator", "AsyncIterator", "Generator", "AsyncGenerator")}
_CONCATENATE = {("cog", "ConcatenateIterator"), ("cog", "AsyncConcatenateIterator")}


@dataclass
class Ann:
    """An annotation seen through aliases and quotes: its origin, arguments or union parts."""

    module: SourceModule
    expr: ast.expr
    origin: Resolved = None
    args: list[ast.expr] = field(default_factory=list)
    union: list[Ann] | None = None
    is_none: bool = False
    subscripted: bool = False

    @property
    def key(self) -> tuple[str, str] | None:
        return (self.origin.module, self.origin.name) if isinstance(self.origin, Symbol) else None

    @property
    def text(self) -> str:
        return ast.unparse(self.expr)


class TypeReader:
    """Reads the annotations of one project."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.classes = ClassReader(resolver, self)

    # -- viewing an annotation ------------------------------------------------------------
    def view(self, module: SourceModule, expr: ast.expr, depth: int = 0) -> Ann:
        """Unquote, follow type aliases and split unions of an annotation expression."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            try:
                parsed = ast.parse(expr.value.strip(), mode="eval").body
            except SyntaxError as exc:
                raise SchemaError(f"{module.line_prefix(expr)}invalid string annotation {expr.value!r}") from exc
            expr = ast.copy_location(parsed, expr)
        if isinstance(expr, ast.Constant) and expr.value is None:
            return Ann(module, expr, is_none=True)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            parts = self._flatten(self.view(module, expr.left, depth)) + self._flatten(self.view(module, expr.right, depth))
            return Ann(module, expr, union=parts)
        if isinstance(expr, ast.Subscript):
            inner = expr.slice
            args = list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]
            ann = Ann(module, expr, self.resolver.resolve(module, expr.value), args, subscripted=True)
            if ann.key == ("typing", "Optional"):
                return Ann(module, expr, union=self._flatten(self.view(module, args[0], depth)) + [Ann(module, expr, is_none=True)])
            if ann.key == ("typing", "Union"):
                return Ann(module, expr, union=[p for a in args for p in self._flatten(self.view(module, a, depth))])
            if isinstance(ann.origin, Constant):
                raise StaticSchemaUnresolved(f"{module.line_prefix(expr)}cannot resolve generic alias '{ann.text}'")
            return ann
        found = self.resolver.resolve(module, expr)
        if isinstance(found, Constant) and depth < 20:  # a type alias: `Prompt = str`
            return self.view(found.module, found.expr, depth + 1)
        if isinstance(found, Symbol) and (found.module, found.name) in (("builtins", "None"), ("typing", "NoneType")):
            return Ann(module, expr, is_none=True)
        return Ann(module, expr, found)

    @staticmethod
    def _flatten(ann: Ann) -> list[Ann]:
        return ann.union if ann.union is not None else [ann]

    def _opaque(self, ann: Ann) -> TypeRef | None:
        """`Annotated[T, Opaque]` -> passthrough; other `Annotated` -> None (caller reads T)."""
        if ann.key != ("typing", "Annotated"):
            return None
        metadata = [self.resolver.resolve(ann.module, m.func if isinstance(m, ast.Call) else m) for m in ann.args[1:]]
        if not any(isinstance(m, Symbol) and (m.module, m.name) == ("cog", "Opaque") for m in metadata):
            return None
        inner = self.view(ann.module, ann.args[0])
        nullable = False
        if inner.union is not None:
            members = [m for m in inner.union if not m.is_none]
            nullable = len(members) < len(inner.union)
            inner = members[0] if len(members) == 1 else inner
        if inner.key in _LISTS:
            return TypeRef(Kind.LIST, item=TypeRef(Kind.ANY), nullable=nullable)
        return TypeRef(Kind.ANY, nullable=nullable)

    def _unknown(self, ann: Ann, fail: Fail, prefix: str, label: str = "type") -> Exception:
        """The error for an annotation no rule matched: unresolvable, or unsupported."""
        origin = ann.origin
        if isinstance(origin, Symbol) and not origin.known:
            return unresolved_type(origin.name, origin.module, prefix)
        if isinstance(origin, ModuleSymbol) and origin.name not in ("cog", "typing", "builtins", "pydantic"):
            return unresolved_type(ann.text, origin.name, prefix)
        if origin is None and not ann.is_none:
            return StaticSchemaUnresolved(
                f"{prefix}cannot resolve type '{ann.text}': the name is not defined or imported in a way "
                "that can be read statically"
            )
        return fail(f"unsupported {label} {ann.text}")

    def _leaf(self, ann: Ann) -> TypeRef | None:
        if ann.subscripted:
            return None
        kind = _SCALARS.get(ann.key) if ann.key else None
        if kind is not None:
            return TypeRef(kind)
        if ann.key == ("cog", "TrainingOutput"):
            return self.classes.training_output()
        if isinstance(ann.origin, LocalClass) and self.classes.is_path_class(ann.origin):
            return TypeRef(Kind.PATH)
        return None

    # -- inputs ---------------------------------------------------------------------------
    def input_type(self, module: SourceModule, expr: ast.expr, fail: Fail, prefix: str) -> TypeRef:
        """Convert a parameter annotation (mirrors `annotations.input_typeref`)."""
        return self._input(self.view(module, expr), fail, prefix)

    def _input(self, ann: Ann, fail: Fail, prefix: str) -> TypeRef:
        opaque = self._opaque(ann)
        if opaque is not None:
            return opaque
        if ann.key == ("typing", "Annotated"):
            return self._input(self.view(ann.module, ann.args[0]), fail, prefix)
        if ann.union is not None:
            members = [m for m in ann.union if not m.is_none]
            nullable = len(members) < len(ann.union)
            if not members:
                raise rules.unsupported(ann.text, fail)
            if len(members) == 1:
                return replace(self._input(members[0], fail, prefix), nullable=True)
            refs = []
            for member in members:
                refs.append(rules.union_member(self._input(member, fail, prefix), member.text, fail))
            return TypeRef(Kind.UNION, members=tuple(refs), nullable=nullable)
        if ann.is_none:
            raise rules.unsupported(ann.text, fail)
        leaf = self._leaf(ann)
        if leaf is not None:
            return leaf
        if ann.key in _DICTS or (isinstance(ann.origin, LocalClass) and self.classes.is_typeddict(ann.origin)):
            return TypeRef(Kind.DICT)
        if ann.key in _LISTS:
            if not ann.subscripted:
                return TypeRef(Kind.LIST, item=TypeRef(Kind.ANY))
            return rules.input_list(self._input(self.view(ann.module, ann.args[0]), fail, prefix), fail)
        raise self._unknown(ann, fail, prefix)

    # -- outputs --------------------------------------------------------------------------
    def output_type(self, module: SourceModule, expr: ast.expr, fail: Fail, prefix: str) -> OutputType:
        """Convert a return annotation (mirrors `annotations.output_type`)."""
        ann = self.view(module, expr)
        opaque = self._opaque(ann)
        if opaque is not None:
            if opaque.nullable:
                raise fail(rules.OPTIONAL_OUTPUT)
            return OutputType(opaque)
        if ann.key == ("typing", "Annotated"):
            return self.output_type(ann.module, ann.args[0], fail, prefix)
        if ann.key in _CONCATENATE:
            if ann.subscripted:
                arg = self.view(ann.module, ann.args[0])
                rules.concatenate_element(arg.key == ("builtins", "str") and not arg.subscripted, arg.text, fail)
            return OutputType(TypeRef(Kind.STR), OutputMode.CONCATENATE)
        if ann.key in _ITERATORS:
            item = self.output_ref(self.view(ann.module, ann.args[0]), fail, prefix) if ann.subscripted else TypeRef(Kind.ANY)
            return OutputType(item, OutputMode.ITERATOR)
        if ann.union is not None and any(m.is_none for m in ann.union):
            raise fail(rules.OPTIONAL_OUTPUT)
        return OutputType(self.output_ref(ann, fail, prefix))

    def output_ref(self, ann: Ann, fail: Fail, prefix: str) -> TypeRef:
        """Convert a type inside an output: top level, list item, dict value or object field."""
        opaque = self._opaque(ann)
        if opaque is not None:
            return opaque
        if ann.key == ("typing", "Annotated"):
            return self.output_ref(self.view(ann.module, ann.args[0]), fail, prefix)
        if ann.union is not None:
            members = [m for m in ann.union if not m.is_none]
            if len(members) == 1 and len(members) < len(ann.union):
                return replace(self.output_ref(members[0], fail, prefix), nullable=True)
            return TypeRef(Kind.UNION, members=tuple(self.output_ref(m, fail, prefix) for m in members),
                           nullable=len(members) < len(ann.union))
        leaf = self._leaf(ann)
        if leaf is not None:
            return leaf
        if ann.key in _DICTS:
            if ann.subscripted and len(ann.args) == 2:
                return TypeRef(Kind.DICT, item=self.output_ref(self.view(ann.module, ann.args[1]), fail, prefix))
            return TypeRef(Kind.ANY)
        if ann.key in _LISTS or ann.key == ("typing", "Sequence"):
            if not ann.subscripted:
                return TypeRef(Kind.LIST, item=TypeRef(Kind.ANY))
            return TypeRef(Kind.LIST, item=self.output_ref(self.view(ann.module, ann.args[0]), fail, prefix))
        if isinstance(ann.origin, LocalClass) and not ann.subscripted:
            obj = self.classes.object_type(ann.origin, fail)
            if obj is not None:
                return obj
        raise self._unknown(ann, fail, prefix, "output type")
