"""Runtime type annotations -> our TypeRef model (standard library only).

Input types follow Cog's rules (§3.6): scalars, Path/File/Secret, list[T] of those, dict and
TypedDict as opaque objects, Optional/`X | None`, unions of JSON-native members, Any and
`Annotated[T, Opaque]`. Output types add structured objects (our BaseModel, dataclasses,
pydantic v1/v2 models, TypedDict), typed dicts and the iterator flavours.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import io
import os
import pathlib
import sys
import types
import typing
from typing import Any

from cog_py.predictor.adt import MISSING, Kind, ObjectField, OutputMode, OutputType, TypeRef
from cog_py.predictor import typerules as rules
from cog_py.predictor.typerules import Fail
from cog_py.types import AsyncConcatenateIterator, ConcatenateIterator, File, Opaque, Secret

_SCALARS = {str: Kind.STR, int: Kind.INT, float: Kind.FLOAT, bool: Kind.BOOL}
_ITERATORS = (abc.Iterator, abc.AsyncIterator, abc.Generator, abc.AsyncGenerator)
_CONCATENATE = (ConcatenateIterator, AsyncConcatenateIterator)
# Python 3.8 compatibility (the model's Python): these appeared in 3.9 / 3.10.
_GENERIC_ALIAS: Any = getattr(types, "GenericAlias", ())
_UNIONS: tuple[Any, ...] = (typing.Union, getattr(types, "UnionType", typing.Union))
_ANNOTATED: Any = getattr(typing, "Annotated", object())
_EXTRAS: dict[str, Any] = {"include_extras": True} if sys.version_info >= (3, 9) else {}


def type_hints(obj: Any) -> dict[str, Any]:
    """typing.get_type_hints keeping `Annotated[...]` (where the Python has it)."""
    return typing.get_type_hints(obj, **_EXTRAS)


def _is_class(tp: Any) -> bool:
    """A plain class (Python 3.10 also calls `list[int]` a type)."""
    return isinstance(tp, type) and not isinstance(tp, _GENERIC_ALIAS)


def type_name(tp: Any) -> str:
    """Render an annotation the way a user wrote it (`list[int]`, `Optional[str]`, `Foo`)."""
    if _is_class(tp) and not typing.get_args(tp):
        return str(tp.__name__)
    text = repr(tp)
    for prefix in ("typing.", "cog_py.types.", "collections.abc."):
        text = text.replace(prefix, "")
    return text


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in _UNIONS


def _split_optional(tp: Any) -> tuple[list[Any], bool]:
    args = typing.get_args(tp)
    members = [a for a in args if a is not type(None)]
    return members, len(members) < len(args)


def _strip_annotated(tp: Any) -> tuple[Any, bool]:
    """Remove `Annotated[...]`; report whether `Opaque` was among its metadata."""
    if typing.get_origin(tp) is _ANNOTATED:
        inner = typing.get_args(tp)[0]
        opaque = any(m is Opaque or isinstance(m, Opaque) for m in tp.__metadata__)
        inner, nested = _strip_annotated(inner)
        return inner, opaque or nested
    return tp, False


def _opaque(tp: Any) -> TypeRef:
    nullable = False
    if _is_union(tp):
        members, nullable = _split_optional(tp)
        tp = members[0] if len(members) == 1 else tp
    origin = typing.get_origin(tp) or tp
    if origin in (list, typing.List):
        return TypeRef(Kind.LIST, item=TypeRef(Kind.ANY), nullable=nullable)
    return TypeRef(Kind.ANY, nullable=nullable)


def _is_typeddict(tp: Any) -> bool:
    return _is_class(tp) and issubclass(tp, dict) and hasattr(tp, "__total__") and hasattr(tp, "__annotations__")


def _is_path(tp: Any) -> bool:
    return _is_class(tp) and (issubclass(tp, os.PathLike) or tp is pathlib.Path) and not issubclass(tp, io.IOBase)


def _leaf(tp: Any) -> TypeRef | None:
    """The types shared by inputs and outputs that need no recursion."""
    if tp in _SCALARS:
        return TypeRef(_SCALARS[tp])
    if tp is typing.Any or tp is object:
        return TypeRef(Kind.ANY)
    if _is_class(tp):
        if issubclass(tp, Secret):
            return TypeRef(Kind.SECRET)
        if issubclass(tp, (File, io.IOBase)):
            return TypeRef(Kind.FILE)
        if _is_path(tp):
            return TypeRef(Kind.PATH)
    return None


def input_typeref(tp: Any, fail: Fail) -> TypeRef:
    """Convert a parameter annotation; `fail(problem)` builds the error to raise."""
    tp, opaque = _strip_annotated(tp)
    if opaque:
        return _opaque(tp)
    if _is_union(tp):
        members, nullable = _split_optional(tp)
        if len(members) == 1:
            return dataclasses.replace(input_typeref(members[0], fail), nullable=True)
        refs = []
        for member in members:
            refs.append(rules.union_member(input_typeref(member, fail), type_name(member), fail))
        return TypeRef(Kind.UNION, members=tuple(refs), nullable=nullable)
    leaf = _leaf(tp)
    if leaf is not None:
        return leaf
    origin = typing.get_origin(tp)
    if tp in (dict, typing.Dict) or origin in (dict, abc.Mapping, abc.MutableMapping) or _is_typeddict(tp):
        return TypeRef(Kind.DICT)
    if tp in (list, typing.List):
        return TypeRef(Kind.LIST, item=TypeRef(Kind.ANY))
    if origin is list:
        (arg,) = typing.get_args(tp)
        return rules.input_list(input_typeref(arg, fail), fail)
    raise rules.unsupported(type_name(tp), fail)


def output_type(tp: Any, fail: Fail) -> OutputType:
    """Convert a return annotation into the output type and how it is produced."""
    stripped, opaque = _strip_annotated(tp)
    if opaque:
        if _is_union(stripped) and _split_optional(stripped)[1]:
            raise fail(rules.OPTIONAL_OUTPUT)
        return OutputType(_opaque(stripped))
    tp = stripped
    origin = typing.get_origin(tp)
    if _is_class(origin) and issubclass(origin, _CONCATENATE):
        (arg,) = typing.get_args(tp)
        rules.concatenate_element(arg is str, type_name(arg), fail)
        return OutputType(TypeRef(Kind.STR), OutputMode.CONCATENATE)
    if tp in _CONCATENATE:
        return OutputType(TypeRef(Kind.STR), OutputMode.CONCATENATE)
    if origin in _ITERATORS:
        args = typing.get_args(tp)
        item = output_typeref(args[0], fail) if args else TypeRef(Kind.ANY)
        return OutputType(item, OutputMode.ITERATOR)
    if _is_union(tp):
        if _split_optional(tp)[1]:
            raise fail(rules.OPTIONAL_OUTPUT)
    return OutputType(output_typeref(tp, fail))


def output_typeref(tp: Any, fail: Fail, seen: frozenset[Any] = frozenset()) -> TypeRef:
    """Convert a type appearing in an output (top level, list item, object field)."""
    tp, opaque = _strip_annotated(tp)
    if opaque:
        return _opaque(tp)
    if _is_union(tp):
        members, nullable = _split_optional(tp)
        if nullable and len(members) == 1:
            return dataclasses.replace(output_typeref(members[0], fail, seen), nullable=True)
        # Union[str, Path]: anyOf in the schema (Cog 0.16); the value's own type decides its encoding
        return TypeRef(Kind.UNION, members=tuple(output_typeref(m, fail, seen) for m in members), nullable=nullable)
    leaf = _leaf(tp)
    if leaf is not None:
        return leaf
    origin = typing.get_origin(tp)
    if tp in (dict, typing.Dict):
        return TypeRef(Kind.ANY)
    if origin in (dict, abc.Mapping, abc.MutableMapping):
        args = typing.get_args(tp)
        if len(args) == 2:
            return TypeRef(Kind.DICT, item=output_typeref(args[1], fail, seen))
        return TypeRef(Kind.ANY)
    if tp in (list, typing.List):
        return TypeRef(Kind.LIST, item=TypeRef(Kind.ANY))
    if origin in (list, abc.Sequence):
        (arg,) = typing.get_args(tp)
        return TypeRef(Kind.LIST, item=output_typeref(arg, fail, seen))
    if _is_class(tp):
        fields = object_fields(tp)
        if fields is not None:
            if tp in seen:
                return TypeRef(Kind.ANY)
            inner = seen | {tp}
            converted = tuple(
                ObjectField(name, output_typeref(ann, fail, inner), default, required)
                for name, ann, default, required in fields
            )
            return TypeRef(Kind.OBJECT, fields=converted, name=tp.__name__)
    raise rules.unsupported(type_name(tp), fail, output=True)


def object_fields(cls: type) -> list[tuple[str, Any, Any, bool | None]] | None:
    """(name, annotation, default, required) of a structured class, or None if `cls` is not one.

    `required` is None where it follows from the default and the type (Optional => not required).

    Understands dataclasses (our BaseModel), pydantic v2 and v1 models and TypedDicts,
    without importing pydantic.
    """
    if _is_typeddict(cls):
        hints = type_hints(cls)
        required = getattr(cls, "__required_keys__", frozenset(hints))
        out = []
        for name, ann in hints.items():
            ann = _strip_required(ann)
            out.append((name, ann, MISSING, None if name in required else False))
        return out
    model_fields = getattr(cls, "model_fields", None)
    if isinstance(model_fields, dict) and hasattr(cls, "model_dump"):
        out = []
        for name, info in model_fields.items():
            required = info.is_required()
            out.append((name, info.annotation, MISSING if required else _pydantic_default(info.default), None))
        return out
    v1_fields = getattr(cls, "__fields__", None)
    if isinstance(v1_fields, dict) and hasattr(cls, "dict") and hasattr(cls, "parse_obj"):
        out = []
        for name, field in v1_fields.items():
            ann = getattr(field, "annotation", None) or field.outer_type_
            out.append((name, ann, MISSING if field.required else _pydantic_default(field.default), None))
        return out
    if dataclasses.is_dataclass(cls):
        hints = type_hints(cls)
        out = []
        for f in dataclasses.fields(cls):
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:
                default = MISSING
            out.append((f.name, hints.get(f.name, f.type), default, None))
        return out
    return None


def _strip_required(ann: Any) -> Any:
    origin = typing.get_origin(ann)
    if origin is not None and getattr(origin, "_name", None) in ("Required", "NotRequired"):
        return typing.get_args(ann)[0]
    return ann


def _pydantic_default(value: Any) -> Any:
    # pydantic marks "no default" (default_factory fields) with its own sentinel class.
    if type(value).__name__ in ("PydanticUndefinedType", "UndefinedType"):
        return None
    return value
