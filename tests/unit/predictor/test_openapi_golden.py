"""The whole OpenAPI document, byte for byte, for representative predictors (UPDATE_GOLDEN=1 rewrites)."""

from __future__ import annotations

import json

import pytest

from cog_py.predictor.loader import load_predictor
from cog_py.predictor.openapi import openapi_json, render_openapi
from tests.golden import assert_golden

from .fixtures import FIXTURES

VERSION = "0.1.0"


@pytest.mark.parametrize(
    "name", ["input_many", "input_choices_str", "input_union", "output_basemodel", "output_concatenate"]
)
def test_predict_document(name: str) -> None:
    info = load_predictor(f"{name}.py:Predictor", project_dir=FIXTURES).info
    text = openapi_json(render_openapi(info, version=VERSION))
    assert "\n" not in text and ", " not in text.replace('", "', "")  # compact
    assert_golden(f"openapi/{name}.json", text + "\n")


def test_train_only_document() -> None:
    info = load_predictor("train_function.py:train", project_dir=FIXTURES, mode="train").info
    assert_golden("openapi/train_function.json", openapi_json(render_openapi(None, info, version=VERSION)) + "\n")


def test_predict_and_train_document_is_pretty_and_sorted(tmp_path, monkeypatch) -> None:
    project = FIXTURES / "projects" / "train"
    predict = load_predictor("predict.py:Predictor", project_dir=project).info
    train = load_predictor("train.py:Trainer", project_dir=project, mode="train").info
    text = openapi_json(render_openapi(predict, train, version=VERSION))
    doc = json.loads(text)
    assert {"/predictions", "/trainings", "/trainings/{training_id}/cancel"} <= set(doc["paths"])
    assert {"Input", "Output", "TrainingInput", "TrainingOutput", "TrainingRequest"} <= set(doc["components"]["schemas"])
    assert text == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)
    assert_golden("openapi/predict_and_train.json", text + "\n")


def test_key_order_follows_cog() -> None:
    info = load_predictor("input_many.py:Predictor", project_dir=FIXTURES).info
    text = openapi_json(render_openapi(info, version=VERSION))
    assert text.startswith('{"components":{"schemas":{"Input":{"properties":{"text":')
    # properties in parameter order, each property's keys sorted, required in parameter order
    assert '"num":{"default":3,"title":"Num","type":"integer","x-order":1}' in text
    assert '"required":["text","path"]' in text
    assert text.index('"/health-check"') < text.index('"/predictions"') < text.index('"/predictions/{prediction_id}/cancel"')
    assert '"info":{"title":"Cog","version":"0.1.0"},"openapi":"3.0.2","paths":' in text


def test_version_is_the_given_one() -> None:
    info = load_predictor("input_str.py:Predictor", project_dir=FIXTURES).info
    assert render_openapi(info, version="9.9.9")["info"] == {"title": "Cog", "version": "9.9.9"}


@pytest.mark.parametrize("name", ["input_many", "output_basemodel", "input_choices_str"])
def test_rewriting_a_loaded_document_gives_the_same_text(name: str) -> None:
    info = load_predictor(f"{name}.py:Predictor", project_dir=FIXTURES).info
    text = openapi_json(render_openapi(info, version=VERSION))
    assert openapi_json(json.loads(text)) == text


def test_go_style_numbers_and_escapes(tmp_path) -> None:
    (tmp_path / "predict.py").write_text(
        "from cog import Input\n"
        "def predict(x: float = Input(default=2.0, ge=0.0, le=1e3, description='a < b & c > d')) -> float:\n"
        "    return x\n"
    )
    info = load_predictor("predict.py:predict", project_dir=tmp_path).info
    text = openapi_json(render_openapi(info, version=VERSION))
    assert '"x":{"default":2,"description":"a \\u003c b \\u0026 c \\u003e d","maximum":1000,"minimum":0,' in text
