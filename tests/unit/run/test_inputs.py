"""`-i`/`--json` parsing, coercion and Cog's validation messages."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest

from cog_py.errors import CogError, InputValidationError
from cog_py.run.inputs import build_payload, parse_input_flags
from cog_py.run.schema import ModelSchema
from tests.unit.run.docs import document, rich_document


@pytest.fixture
def schema() -> ModelSchema:
    return ModelSchema(rich_document())


def payload(schema: ModelSchema, *flags: str, cwd: Path | None = None) -> dict:
    return build_payload(schema, flags=["prompt=hi", *flags], cwd=cwd)


def test_split_on_first_equals_and_strip_quotes() -> None:
    assert parse_input_flags(["a=b=c", 'q="x y"', "a=d"]) == {"a": ["b=c", "d"], "q": ["x y"]}


def test_flag_without_equals() -> None:
    with pytest.raises(CogError, match="^Failed to parse input 'oops', expected format is 'name=value'$"):
        parse_input_flags(["oops"])


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("count=3", {"count": 3}),
        ("scale=10", {"scale": 10}),
        ("scale=0.25", {"scale": 0.25}),
        ("flag=true", {"flag": True}),
        ("size=medium", {"size": "medium"}),
        ("words=world", {"words": ["world"]}),
        ('words=["a","b"]', {"words": ["a", "b"]}),
        ("nums=7", {"nums": [7]}),
        ('data={"k": [1, 2]}', {"data": {"k": [1, 2]}}),
        ("either=hello", {"either": "hello"}),
        ("either=1.5", {"either": 1.5}),
        ("either=1", {"either": 1}),
        ("prompt=https://example.com/a.png", {"prompt": "https://example.com/a.png"}),
    ],
)
def test_coercion_by_schema(schema: ModelSchema, flag: str, expected: dict) -> None:
    result = build_payload(schema, flags=["prompt=hi", flag] if not flag.startswith("prompt=") else [flag])
    for key, value in expected.items():
        assert result[key] == value
        assert type(result[key]) is type(value)


def test_repeated_flag_builds_list_with_item_type(schema: ModelSchema) -> None:
    assert payload(schema, "nums=1", "nums=2", "nums=3")["nums"] == [1, 2, 3]
    assert payload(schema, "words=a", "words=b")["words"] == ["a", "b"]


def test_file_input_sent_as_data_url(schema: ModelSchema, tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(b"\x89PNG fake")
    result = payload(schema, "image=@cat.png", cwd=tmp_path)
    assert result["image"] == "data:image/png;base64," + base64.b64encode(b"\x89PNG fake").decode()


def test_list_of_files(schema: ModelSchema, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("A")
    (tmp_path / "b.txt").write_text("B")
    result = payload(schema, "files=@a.txt", "files=@b.txt", cwd=tmp_path)
    assert result["files"] == ["data:text/plain;base64,QQ==", "data:text/plain;base64,Qg=="]
    assert payload(schema, "files=@a.txt", cwd=tmp_path)["files"] == ["data:text/plain;base64,QQ=="]


def test_missing_file(schema: ModelSchema, tmp_path: Path) -> None:
    with pytest.raises(CogError, match="Failed to read file .*nope.png"):
        payload(schema, "image=@nope.png", cwd=tmp_path)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["prompt=x", "nope=1"], 'unknown input "nope"; valid inputs are: count, data, either, files, flag, image, name, nums, prompt, scale, size, words'),
        (["prompt=x", "a=1", "b=2"], 'unknown inputs "a", "b"; valid inputs are: count, data, either'),
        (["count=2"], 'missing required input "prompt"'),
        (["prompt=x", "count=many"], 'invalid input "count": expected integer, got string'),
        (["prompt=x", "size=huge"], 'invalid input "size": must be one of: small, medium, large'),
        (["prompt=x", "count=0"], 'invalid input "count": number must be at least 1'),
        (["prompt=x", "count=11"], 'invalid input "count": number must be at most 10'),
        (["prompt=x", "name=a"], 'invalid input "name": minimum string length is 2'),
        (["prompt=x", "name=AB"], 'invalid input "name": string doesn\'t match the regular expression "^[a-z]+$"'),
        (["prompt=x", "flag=yes"], 'invalid input "flag": expected boolean, got string'),
        (["prompt=x", "nums=a"], 'invalid input "nums.0": expected integer, got string'),
    ],
)
def test_messages(schema: ModelSchema, flags: list[str], message: str) -> None:
    with pytest.raises(InputValidationError) as info:
        build_payload(schema, flags=flags)
    assert str(info.value).startswith(message)


def test_several_errors_listed(schema: ModelSchema) -> None:
    with pytest.raises(InputValidationError) as info:
        build_payload(schema, flags=["count=x", "size=huge"])
    assert str(info.value) == (
        "input validation failed:\n"
        '- missing required input "prompt"\n'
        '- invalid input "count": expected integer, got string\n'
        '- invalid input "size": must be one of: small, medium, large'
    )
    assert len(info.value.errors) == 3


def test_model_without_inputs() -> None:
    schema = ModelSchema(document({}, [], {"type": "string"}))
    with pytest.raises(InputValidationError, match='^unknown input "x"; model does not accept inputs$'):
        build_payload(schema, flags=["x=1"])


def test_json_and_input_together(schema: ModelSchema) -> None:
    with pytest.raises(CogError, match="^Must use one of --json or --input to provide model inputs$"):
        build_payload(schema, flags=["prompt=x"], json_source='{"prompt": "y"}')


def test_json_three_forms(schema: ModelSchema, tmp_path: Path) -> None:
    doc = {"prompt": "hi", "count": 2}
    assert build_payload(schema, json_source=json.dumps(doc)) == doc
    (tmp_path / "in.json").write_text(json.dumps(doc))
    assert build_payload(schema, json_source="@in.json", cwd=tmp_path) == doc
    assert build_payload(schema, json_source="-", stdin=io.StringIO(json.dumps(doc))) == doc
    assert build_payload(schema, json_source="@-", stdin=io.StringIO(json.dumps(doc))) == doc


def test_json_files_and_null(schema: ModelSchema, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("X")
    result = build_payload(schema, json_source='{"prompt": "a", "image": "@x.txt"}', cwd=tmp_path)
    assert result["image"] == "data:text/plain;base64,WA=="
    with pytest.raises(InputValidationError, match='^invalid input "image": must not be null \\(omit the input to use its default\\)$'):
        build_payload(schema, json_source='{"prompt": "a", "image": null}')


def test_json_unknown_checked_before_files(schema: ModelSchema) -> None:
    # The unknown name is reported even though the @file does not exist.
    with pytest.raises(InputValidationError, match='^unknown input "bogus"'):
        build_payload(schema, json_source='{"bogus": "@missing.png"}')


@pytest.mark.parametrize("text", ["[1, 2]", "not json", '"str"'])
def test_json_must_be_object(schema: ModelSchema, text: str) -> None:
    with pytest.raises(CogError, match="JSON inputs from --json"):
        build_payload(schema, json_source=text)


def test_json_types_not_coerced(schema: ModelSchema) -> None:
    with pytest.raises(InputValidationError, match='expected integer, got string'):
        build_payload(schema, json_source='{"prompt": "a", "count": "3"}')
    with pytest.raises(InputValidationError, match='expected number, got boolean'):
        build_payload(schema, json_source='{"prompt": "a", "scale": true}')


def test_training_input_preferred() -> None:
    doc = document({"steps": {"type": "integer", "x-order": 0}}, ["steps"], {"type": "string"}, mode="train")
    doc["components"]["schemas"]["Input"] = {"type": "object", "properties": {"other": {"type": "string"}}}
    assert build_payload(ModelSchema(doc, mode="train"), flags=["steps=4"]) == {"steps": 4}
