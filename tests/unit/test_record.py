"""cog_py._record: the run-time stand-in for @dataclass(frozen=True) behaves as dataclasses do."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from cog_py import _record


@_record.dataclass(frozen=True)
class Light:
    a: int
    b: str = "x"
    secret: str | None = _record.field(default=None, repr=False)
    c: float = 1.5


@dataclasses.dataclass(frozen=True)
class Real:
    a: int
    b: str = "x"
    secret: str | None = dataclasses.field(default=None, repr=False)
    c: float = 1.5


def test_same_init_repr_eq_hash_as_dataclasses():
    for args, kwargs in [((1,), {}), ((1, "y"), {"c": 2.0}), ((), {"a": 3, "secret": "s"})]:
        light, real = Light(*args, **kwargs), Real(*args, **kwargs)
        assert repr(light).replace("Light", "Real") == repr(real)
        assert "secret" not in repr(light)
        assert (light.a, light.b, light.secret, light.c) == (real.a, real.b, real.secret, real.c)
        assert light == Light(*args, **kwargs) and hash(light) == hash(Light(*args, **kwargs))
    assert Light(1) != Light(2) and Light(1) != Real(1)
    assert Light.__match_args__ == Real.__match_args__
    assert Light.b == "x" and not hasattr(Light, "a")   # defaults stay class attributes
    with pytest.raises(TypeError):
        Light()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Light(1, d=2)  # type: ignore[call-arg]


def test_frozen_and_copyable():
    light = Light(1)
    with pytest.raises(AttributeError, match="cannot assign to field 'a'"):
        light.a = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del light.b  # type: ignore[misc]
    assert copy.copy(light) == light and pickle.loads(pickle.dumps(light)) == light


def test_what_dataclasses_refuses_is_refused():
    with pytest.raises(TypeError, match="non-default argument 'b'"):
        @_record.dataclass(frozen=True)
        class Bad:
            a: int = 1
            b: int
    with pytest.raises(ValueError, match="mutable default"):
        @_record.dataclass(frozen=True)
        class Mutable:
            a: list[int] = []  # noqa: RUF012
    with pytest.raises(TypeError):
        _record.dataclass(frozen=False)


def test_replace_copies_a_record_with_changes_and_refuses_unknown_fields():
    from cog_py import protocol
    from cog_py._record import replace
    from cog_py.server.settings import Settings

    msg = protocol.Predict("p", 1.0, "predictions", None, False, False)
    acked = replace(msg, ack=True)
    assert acked.ack is True and acked.id == "p" and msg.ack is False
    assert type(acked) is protocol.Predict
    import pytest

    with pytest.raises(TypeError):
        replace(msg, nope=1)
    assert hasattr(Settings, "__record_fields__")
