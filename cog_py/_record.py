"""`@dataclass(frozen=True)` for the modules both server processes import at start. Standard library only.

`dataclasses.dataclass` costs ~0.6 ms per class on our VM (it generates and compiles six
functions one by one and asks `inspect.signature` for the docstring) and its import pulls in
`inspect` (~5 ms): the protocol's fifteen message classes and the server's `Settings` cost both
processes ~10 ms before the worker could even start the model's import. Modules write

    if TYPE_CHECKING:
        from dataclasses import dataclass, field
    else:
        from cog_py._record import dataclass, field

so type checkers see real dataclasses (frozen, typed `__init__`), while at run time this module
builds the same class: an `__init__` with the fields in order and their defaults (one small
`exec`), value equality, a hash of the fields, a `repr` that leaves out `field(repr=False)`, and
assignment refused with `FrozenInstanceError` (an AttributeError, as dataclasses' is). Defaults
stay class attributes, as with dataclasses. Only what those modules use is supported: frozen
classes, plain defaults and `field(default=..., repr=...)`; no `dataclasses.fields()`; use this
module's `replace()` (it also takes real dataclasses) instead of `dataclasses.replace()`.
"""

from __future__ import annotations

TYPE_CHECKING = False   # not typing's (~8 ms at start in an image); mypy reads it as True
if TYPE_CHECKING:
    from typing import Any, Callable, TypeVar

    _T = TypeVar("_T")

_MISSING: Any = object()


class FrozenInstanceError(AttributeError):
    """Assignment to a field of a frozen record."""


class _Field:
    __slots__ = ("default", "repr")

    def __init__(self, default: Any, repr: bool) -> None:
        self.default = default
        self.repr = repr


def field(*, default: Any = _MISSING, repr: bool = True) -> Any:
    """A field's options: its default and whether `repr()` shows it."""
    return _Field(default, repr)


def dataclass(*, frozen: bool = False) -> Callable[[type], type]:
    """The decorator: `@dataclass(frozen=True)` (only frozen records are supported)."""
    if not frozen:
        raise TypeError("cog_py._record builds frozen records only")
    return _build


def _is_classvar(annotation: Any) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return text.startswith(("ClassVar", "typing.ClassVar"))


def _build(cls: type) -> type:
    names: list[str] = []
    shown: list[str] = []
    defaults: dict[str, Any] = {}
    for base in reversed(cls.__mro__[1:]):   # a record's fields come after its base record's
        for name in getattr(base, "__record_fields__", ()):
            if name not in names:
                names.append(name)
                if name in getattr(base, "__record_repr__", ()):
                    shown.append(name)
                if hasattr(base, name):
                    defaults[name] = getattr(base, name)
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, _MISSING)
        show = True
        if isinstance(value, _Field):
            show = value.repr
            value = value.default
            if value is _MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value)
        if value is not _MISSING:
            if isinstance(value, (list, dict, set)):
                raise ValueError(f"mutable default {type(value).__name__} for field {name} is not allowed")
            defaults[name] = value
        elif name in defaults:
            del defaults[name]
        if name not in names:
            names.append(name)
        if show and name not in shown:
            shown.append(name)
    seen_default = False
    params = []
    for name in names:
        if name in defaults:
            seen_default = True
            params.append(f"{name}=__d_{name}")
        elif seen_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
        else:
            params.append(name)
    body = "".join(f"    __s[{name!r}] = {name}\n" for name in names) or "    pass\n"
    source = f"def __init__(self, {', '.join(params)}):\n    __s = self.__dict__\n{body}"
    scope = {f"__d_{name}": value for name, value in defaults.items()}
    exec(source, scope)   # noqa: S102 - our own generated source, as dataclasses does
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    fields = tuple(names)
    cls.__init__ = init   # type: ignore[misc]
    cls.__record_fields__ = fields   # type: ignore[attr-defined]
    cls.__record_repr__ = tuple(shown)   # type: ignore[attr-defined]
    cls.__match_args__ = fields   # type: ignore[attr-defined,misc]
    cls.__repr__ = _repr   # type: ignore[assignment]
    cls.__eq__ = _eq   # type: ignore[assignment]
    cls.__hash__ = _hash   # type: ignore[assignment]
    cls.__setattr__ = _setattr   # type: ignore[assignment]
    cls.__delattr__ = _delattr   # type: ignore[assignment]
    return cls


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in self.__record_fields__)


def _repr(self: Any) -> str:
    inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__record_repr__)
    return f"{type(self).__qualname__}({inner})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        return _values(self) == _values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(_values(self))


def _setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def replace(obj: _T, **changes: Any) -> _T:
    """A copy of record `obj` with `changes` (what `dataclasses.replace` does for a dataclass)."""
    names = getattr(type(obj), "__record_fields__", None)
    if names is None:   # a real dataclass (when this module is not the one that built it)
        import dataclasses

        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
    unknown = set(changes) - set(names)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field(s) {sorted(unknown)}")
    return type(obj)(**{name: changes[name] if name in changes else getattr(obj, name) for name in names})
