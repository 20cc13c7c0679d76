"""Every fixture predictor: its schema fragments or its error, and cog == cog_py."""

from __future__ import annotations

import json

import pytest

from cog_py.errors import PredictorError
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.openapi import openapi_json, render_openapi

from .fixtures import FIXTURES, Fixture, all_fixtures, lookup, to_cog_py

CASES = all_fixtures()
SCHEMA_CASES = [f for f in CASES if f.error is None and f.error_prefix is None]
ERROR_CASES = [f for f in CASES if f not in SCHEMA_CASES]


def _document(fixture: Fixture, project_dir=FIXTURES) -> str:
    info = load_predictor(fixture.ref, project_dir=project_dir, mode=fixture.mode).info
    if fixture.mode == "train":
        return openapi_json(render_openapi(None, info, version="0.1.0"))
    return openapi_json(render_openapi(info, version="0.1.0"))


def test_there_are_enough_fixtures() -> None:
    assert len(CASES) >= 40
    assert len(ERROR_CASES) >= 15
    assert all(f.expects for f in SCHEMA_CASES), "every schema fixture states what it expects"


@pytest.mark.parametrize("fixture", SCHEMA_CASES, ids=lambda f: f.path.stem)
def test_schema_fragment(fixture: Fixture) -> None:
    doc = json.loads(_document(fixture))
    for where, expected in fixture.expects:
        assert lookup(doc, where) == expected, where


@pytest.mark.parametrize("fixture", ERROR_CASES, ids=lambda f: f.path.stem)
def test_error_message(fixture: Fixture) -> None:
    with pytest.raises(PredictorError) as info:
        load_predictor(fixture.ref, project_dir=FIXTURES, mode=fixture.mode)
    if fixture.error is not None:
        assert info.value.message == fixture.error
    else:
        assert info.value.message.startswith(fixture.error_prefix)
    assert info.value.hint, "every error says what to do"


@pytest.mark.parametrize("fixture", SCHEMA_CASES, ids=lambda f: f.path.stem)
def test_cog_and_cog_py_imports_give_identical_schemas(fixture: Fixture, tmp_path) -> None:
    source = fixture.path.read_text()
    variant = to_cog_py(source)
    if "from cog import" in source or "import cog\n" in source:
        assert variant != source
    copy = tmp_path / fixture.path.name
    copy.write_text(variant)
    assert _document(fixture, tmp_path) == _document(fixture)
