"""The public SDK: names, the `cog` shim, Input, BaseModel, decorators, types."""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
import typing

import pytest

import cog
import cog.types
import cog_py
from cog_py.sdk.spec import MISSING
from cog_py.types import Path, Secret, URLPath, filename_from_url

PUBLIC = {
    "AsyncConcatenateIterator", "BaseModel", "BasePredictor", "BaseRunner", "CancelationException",
    "ConcatenateIterator", "FieldInfo", "File", "Input", "Opaque", "Path", "Secret", "TrainingOutput",
    "URLFile", "URLPath", "__version__", "concurrent", "current_scope", "emit_metric", "streaming",
}


def test_public_names_and_the_cog_shim() -> None:
    assert PUBLIC <= set(cog_py.__all__)
    assert set(cog.__all__) == set(cog_py.__all__)
    for name in cog_py.__all__:
        assert getattr(cog, name) is getattr(cog_py, name)
    assert cog.types.Path is cog_py.Path and cog.types.Secret is cog_py.Secret


def test_predict_names_are_first_class(recwarn) -> None:
    class P(cog.BasePredictor):
        def predict(self) -> str:
            return "x"

    assert P().predict() == "x"
    assert issubclass(cog.BasePredictor, cog.BaseRunner)
    assert len(recwarn) == 0


def test_cancelation_is_not_an_exception() -> None:
    assert issubclass(cog.CancelationException, BaseException)
    assert not issubclass(cog.CancelationException, Exception)


def test_input_returns_field_info() -> None:
    info = cog.Input(default=3, ge=1, description="d", choices=None)
    assert isinstance(info, cog.FieldInfo) and info.default == 3 and info.ge == 1
    assert cog.Input().default is MISSING
    with pytest.raises(TypeError, match="default_factory is not supported"):
        cog.Input(default_factory=list)


def test_base_model_is_a_dataclass() -> None:
    class Out(cog.BaseModel):
        a: int
        b: str = "x"

    assert dataclasses.is_dataclass(Out)
    assert Out(1) == Out(a=1, b="x")
    assert Out(2).model_dump() == {"a": 2, "b": "x"}

    class Frozen(cog.BaseModel, frozen=True):
        a: int

    with pytest.raises(dataclasses.FrozenInstanceError):
        Frozen(1).a = 2  # type: ignore[misc]

    class WithList(cog.BaseModel):
        tags: list[str] = []
        meta: dict = {}

    first, second = WithList(), WithList()
    first.tags.append("a")
    assert second.tags == [] and WithList(tags=["b"]).tags == ["b"]

    class Manual(cog.BaseModel, auto_dataclass=False):
        a: int

    assert not dataclasses.is_dataclass(Manual)


def test_streaming_decorator_forms() -> None:
    @cog.streaming
    def a() -> None: ...

    @cog.streaming()
    def b() -> None: ...

    assert a.__cog_streaming__ and b.__cog_streaming__


def test_concurrent_decorator() -> None:
    @cog.concurrent(max=3)
    async def a() -> None: ...

    assert a.__cog_concurrent_max__ == 3
    asyncio.run(a())
    with pytest.raises(TypeError, match="concurrent max greater than 1 requires an async function"):
        @cog.concurrent(max=2)
        def b() -> None: ...

    @cog.concurrent(max=1)
    def c() -> None: ...

    assert c.__cog_concurrent_max__ == 1
    with pytest.raises(TypeError):
        cog.concurrent(max=0)


def test_secret_never_shows_itself() -> None:
    secret = Secret("hunter2")
    assert secret.get_secret_value() == "hunter2"
    for text in (str(secret), repr(secret), f"{secret}", "%s" % secret, str([secret]), str({"k": secret})):
        assert "hunter2" not in text
    assert repr(secret) == "Secret('**********')"
    assert pickle.loads(pickle.dumps(secret)) == secret
    assert Secret(secret).get_secret_value() == "hunter2"


def test_path_validate() -> None:
    assert Path.validate("/tmp/x.png") == Path("/tmp/x.png")
    url = Path.validate("https://example.test/a/b%20c.jpg?x=1")
    assert isinstance(url, URLPath) and url.filename == "b c.jpg"
    assert Path.validate("data:image/png;base64,AAAA").filename == "file.png"
    with pytest.raises(TypeError):
        Path.validate(3)


def test_long_url_file_names_are_cut_keeping_the_extension() -> None:
    name = filename_from_url("https://x.test/" + "a" * 300 + ".jpeg")
    assert len(name.encode()) <= 200 and name.endswith("~.jpeg")


def test_iterator_types_are_generic() -> None:
    for generic in (cog.ConcatenateIterator, cog.AsyncConcatenateIterator):
        alias = generic[str]
        assert typing.get_origin(alias) is generic and typing.get_args(alias) == (str,)


def test_training_output() -> None:
    out = cog.TrainingOutput(weights=cog.Path("/tmp/w"))
    assert out.weights == cog.Path("/tmp/w")


def test_importing_cog_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, cog; heavy = [m for m in ('urllib.request', 'http.client', 'ssl', 'asyncio', 'pydantic',"
        " 'cog_py.predictor.openapi', 'cog_py.predictor.coerce') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
