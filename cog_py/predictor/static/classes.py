"""Read output classes from source: cog `BaseModel`, dataclasses, pydantic models, `TypedDict`.

Fields come out as the runtime inspector sees them (`annotations.object_fields`): inherited
fields first, `ClassVar`s skipped, literal defaults, pydantic `Field(...)` and dataclass
`field(...)` understood, TypedDict keys required unless `total=False` or `NotRequired`.
A class that refers to itself degrades to a plain object.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Callable

from cog_py.errors import SchemaError
from cog_py.predictor.adt import MISSING, Kind, ObjectField, TypeRef
from cog_py.predictor.static.errors import StaticSchemaUnresolved, unresolved_type
from cog_py.predictor.static.source import LocalClass, Resolver, Symbol
from cog_py.predictor.static.values import NotLiteral, literal_value

if TYPE_CHECKING:
    from cog_py.predictor.static.types import TypeReader

Fail = Callable[[str], SchemaError]

_MODEL_BASES = {("cog", "BaseModel"): "dataclass", ("pydantic", "BaseModel"): "pydantic"}
_FACTORIES: dict[str, Any] = {"list": [], "dict": {}, "str": "", "int": 0, "float": 0.0}


def _key(found: object) -> tuple[str, str] | None:
    return (found.module, found.name) if isinstance(found, Symbol) else None


class ClassReader:
    """Classifies local classes and reads their fields."""

    def __init__(self, resolver: Resolver, types: TypeReader) -> None:
        self.resolver = resolver
        self.types = types
        self._in_progress: list[ast.ClassDef] = []

    def kind(self, cls: LocalClass, depth: int = 0) -> str | None:
        """Return "dataclass", "pydantic", "typeddict", "path" or None (a plain class)."""
        for deco in cls.node.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if _key(self.resolver.resolve(cls.module, target)) == ("dataclasses", "dataclass"):
                return "dataclass"
        for base in cls.node.bases:
            found = self.resolver.resolve(cls.module, base)
            key = _key(found)
            if key in _MODEL_BASES:
                return _MODEL_BASES[key]
            if key == ("typing", "TypedDict"):
                return "typeddict"
            if key in (("cog", "Path"), ("pathlib", "Path"), ("pathlib", "PosixPath")):
                return "path"
            if isinstance(found, LocalClass) and depth < 20:
                inherited = self.kind(found, depth + 1)
                if inherited is not None:
                    return inherited
            if isinstance(found, Symbol) and not found.known:
                raise unresolved_type(found.name, found.module, cls.module.line_prefix(base))
        return None

    def is_typeddict(self, cls: LocalClass) -> bool:
        return self.kind(cls) == "typeddict"

    def is_path_class(self, cls: LocalClass) -> bool:
        return self.kind(cls) == "path"

    @staticmethod
    def training_output() -> TypeRef:
        """`cog.TrainingOutput`: a BaseModel with one `weights: Path` field."""
        return TypeRef(Kind.OBJECT, fields=(ObjectField("weights", TypeRef(Kind.PATH)),), name="TrainingOutput")

    def object_type(self, cls: LocalClass, fail: Fail) -> TypeRef | None:
        """The OBJECT type of a structured class, or None when `cls` is not one."""
        kind = self.kind(cls)
        if kind not in ("dataclass", "pydantic", "typeddict"):
            return None
        if cls.node in self._in_progress:
            return TypeRef(Kind.ANY)
        self._in_progress.append(cls.node)
        try:
            fields = self._fields(cls, kind, fail, total=True)
        finally:
            self._in_progress.pop()
        return TypeRef(Kind.OBJECT, fields=tuple(fields.values()), name=cls.node.name)

    def _fields(self, cls: LocalClass, kind: str, fail: Fail, *, total: bool) -> dict[str, ObjectField]:
        fields: dict[str, ObjectField] = {}
        for base in reversed(cls.node.bases):  # the MRO puts the first base last among the inherited
            found = self.resolver.resolve(cls.module, base)
            if isinstance(found, LocalClass) and self.kind(found) == kind:
                fields.update(self._fields(found, kind, fail, total=self._total(found)))
        own_total = self._total(cls) if kind == "typeddict" else total
        for stmt in cls.node.body:
            if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
                continue
            name = stmt.target.id
            if kind == "pydantic" and name.startswith("_"):
                continue
            ann = self.types.view(cls.module, stmt.annotation)
            if ann.key == ("typing", "ClassVar"):
                continue
            required: bool | None = None
            if kind == "typeddict":
                required = None if own_total else False
                if ann.key in (("typing", "Required"), ("typing", "NotRequired")):
                    required = None if ann.key[1] == "Required" else False
                    ann = self.types.view(cls.module, ann.args[0])
            prefix = cls.module.line_prefix(stmt)
            where = f"field '{name}' of {cls.node.name} at {prefix.rstrip(': ')}"
            ftype = self.types.output_ref(ann, _within(fail, where), prefix)
            default = MISSING
            if stmt.value is not None and kind != "typeddict":
                default = self._default(cls, stmt.value, kind, f"field '{name}' of {cls.node.name}", prefix)
            fields.pop(name, None)
            fields[name] = ObjectField(name, ftype, default, required)
        return fields

    def _total(self, cls: LocalClass) -> bool:
        for kw in cls.node.keywords:
            if kw.arg == "total" and isinstance(kw.value, ast.Constant):
                return bool(kw.value.value)
        return True

    def _default(self, cls: LocalClass, value: ast.expr, kind: str, what: str, prefix: str) -> Any:
        module = cls.module
        if isinstance(value, ast.Call):
            func = _key(self.resolver.resolve(module, value.func))
            if func in (("pydantic", "Field"), ("dataclasses", "field")):
                keywords = {kw.arg: kw.value for kw in value.keywords if kw.arg}
                if "default" in keywords:
                    value = keywords["default"]
                elif func == ("pydantic", "Field") and value.args:
                    value = value.args[0]
                elif "default_factory" in keywords:
                    if kind == "pydantic":
                        return None  # pydantic reports "no default" for factories; the runtime shows None
                    factory = keywords["default_factory"]
                    if isinstance(factory, ast.Name) and factory.id in _FACTORIES:
                        return type(_FACTORIES[factory.id])(_FACTORIES[factory.id])
                    raise StaticSchemaUnresolved(f"{prefix}default_factory of {what} cannot be statically resolved")
                else:
                    return MISSING
        if isinstance(value, ast.Constant) and value.value is Ellipsis:
            return MISSING
        try:
            return literal_value(self.resolver, module, value)
        except NotLiteral as exc:
            raise StaticSchemaUnresolved(f"{prefix}default of {what} cannot be statically resolved: {exc}") from exc


def _within(fail: Fail, where: str) -> Fail:
    """Prefix problems with the place they were found (a field of an output class)."""
    return lambda problem: fail(f"{where}: {problem}")
