"""encode_output: files, structured objects (ours, dataclasses, pydantic v2 and v1), iterators."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import io
from pathlib import Path
from typing import Optional

import pydantic
import pytest

from cog_py import BaseModel, Secret
from cog_py.predictor.encode import encode_data_uri, encode_output
from cog_py.types import Path as CogPath


@pytest.fixture
def png(tmp_path) -> CogPath:
    path = CogPath(tmp_path / "out.png")
    path.write_bytes(b"\x89PNG data")
    return path


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []

    def __call__(self, path: Path) -> str:
        self.seen.append((path.name, path.read_bytes()))
        return f"https://uploads.test/{path.name}"


def test_data_uri_uses_the_mime_type_of_the_name(png, tmp_path) -> None:
    assert encode_data_uri(png) == "data:image/png;base64," + base64.b64encode(b"\x89PNG data").decode()
    odd = tmp_path / "blob.zzzunknown"
    odd.write_bytes(b"x")
    assert encode_data_uri(odd).startswith("data:application/octet-stream;base64,")


def test_top_level_file_goes_through_the_file_encoder(png) -> None:
    upload = Recorder()
    assert encode_output(png, file_encoder=upload) == "https://uploads.test/out.png"
    assert upload.seen == [("out.png", b"\x89PNG data")]


def test_default_file_encoder_inlines_data_uris(png) -> None:
    assert encode_output(png).startswith("data:image/png;base64,")


def test_items_of_a_list_or_iterator_go_through_the_file_encoder(png) -> None:
    upload = Recorder()
    assert encode_output([png, png], file_encoder=upload) == ["https://uploads.test/out.png"] * 2
    assert encode_output((p for p in [png]), file_encoder=upload) == ["https://uploads.test/out.png"]
    assert len(upload.seen) == 3


def test_file_objects_are_read_from_the_start_and_keep_their_extension() -> None:
    buffer = io.BytesIO(b"hello")
    buffer.name = "greeting.txt"
    buffer.read()
    upload = Recorder()
    assert encode_output(buffer, file_encoder=upload) == "https://uploads.test/greeting.txt"
    assert upload.seen == [("greeting.txt", b"hello")]
    assert encode_output(io.BytesIO(b"raw"), file_encoder=upload) == "https://uploads.test/output.bin"


class Result(BaseModel):
    label: str
    image: CogPath
    scores: list[float]
    note: Optional[str] = None


def test_our_base_model_becomes_an_object_with_files_inlined(png) -> None:
    upload = Recorder()
    out = encode_output(Result(label="cat", image=png, scores=[0.5]), file_encoder=upload)
    assert out == {"label": "cat", "image": encode_data_uri(png), "scores": [0.5], "note": None}
    assert upload.seen == []  # nested files are inlined, as Cog does


class PydanticResult(pydantic.BaseModel):
    text: str
    count: int
    tags: list[str] = []


def test_real_pydantic_v2_model() -> None:
    assert encode_output(PydanticResult(text="a", count=2)) == {"text": "a", "count": 2, "tags": []}
    assert encode_output([PydanticResult(text="b", count=1)]) == [{"text": "b", "count": 1, "tags": []}]


def test_pydantic_v1_style_model() -> None:
    from pydantic import v1

    class Old(v1.BaseModel):
        name: str
        size: int = 3

    assert encode_output(Old(name="x")) == {"name": "x", "size": 3}


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Plain:
    when: datetime.datetime
    color: Color


def test_plain_values() -> None:
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5)
    value = {
        "plain": Plain(when=moment, color=Color.RED),
        "set": {1},
        "tuple": (1, "a"),
        "date": datetime.date(2024, 1, 2),
        "secret": Secret("hunter2"),
        "nested": {"gen": (i * i for i in range(3))},
        "none": None,
    }
    assert encode_output(value) == {
        "plain": {"when": "2024-01-02T03:04:05", "color": "red"},
        "set": [1],
        "tuple": [1, "a"],
        "date": "2024-01-02",
        "secret": "**********",
        "nested": {"gen": [0, 1, 4]},
        "none": None,
    }


def test_none_stays_none() -> None:
    assert encode_output(None) is None


class FakeArray:
    """Quacks like a numpy array."""

    def tolist(self) -> list[list[int]]:
        return [[1, 2], [3, 4]]


class FakeScalar:
    def item(self) -> float:
        return 0.25


def test_numpy_likes() -> None:
    assert encode_output({"a": FakeArray(), "s": FakeScalar()}) == {"a": [[1, 2], [3, 4]], "s": 0.25}


def test_unknown_types_fail_clearly() -> None:
    with pytest.raises(TypeError, match="cannot encode an output of type object"):
        encode_output({"x": object()})
