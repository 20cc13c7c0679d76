"""Every example: a valid cog.yaml, a README, and an OpenAPI schema that is golden-tested.

The schema is the one the image label holds: static (ast) inspection of predict.py (and
train.py), rendered by `render_openapi` and written by `openapi_json`. Where the example's
dependencies are installed here, importing it gives the same schema.
"""

from __future__ import annotations

import importlib.util

import pytest

from cog_py.config.loader import load_config
from cog_py.predictor.adt import PredictorInfo
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.openapi import openapi_json, render_openapi
from cog_py.predictor.static import inspect_source
from tests.golden import assert_golden
from tests.unit.examples._run import EXAMPLES
from tests.unit.predictor._static_cases import isolated_imports

NAMES = ["hello-world", "blur", "thumbnails", "streaming-text", "async-concurrency", "resnet", "train",
         "batch-embeddings"]
NEEDS = {"blur": "PIL", "thumbnails": "PIL", "resnet": "torch", "batch-embeddings": "torch"}


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_example_project_files(name: str) -> None:
    project = EXAMPLES / name
    loaded = load_config(project / "cog.yaml")
    assert loaded.warnings == []
    config = loaded.config
    assert 'python_version: "3.11"' in (project / "cog.yaml").read_text()
    assert config.predict is not None
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# {name}\n")
    assert "cog predict" in readme or "cog train" in readme
    predict_py = (project / config.predict.split(":")[0]).read_text()
    assert "from cog import" in predict_py
    requirements = project / "requirements.txt"
    assert requirements.exists() == (config.build.python_requirements is not None)


def _infos(name: str, inspect: object) -> tuple[PredictorInfo, PredictorInfo | None]:
    config = load_config(EXAMPLES / name / "cog.yaml").config
    assert config.predict is not None
    predict = inspect(config.predict, "predict")  # type: ignore[operator]
    train = inspect(config.train, "train") if config.train else None  # type: ignore[operator]
    return predict, train


def _static(name: str) -> tuple[PredictorInfo, PredictorInfo | None]:
    return _infos(name, lambda ref, mode: inspect_source(EXAMPLES / name, ref, mode=mode))


@pytest.mark.parametrize("name", NAMES)
def test_example_schema_is_golden(name: str) -> None:
    predict, train = _static(name)
    text = openapi_json(render_openapi(predict, train, version="0.0.0-test"))
    assert_golden(f"schemas/{name}.json", text + "\n")


@pytest.mark.parametrize("name", NAMES)
def test_static_schema_equals_imported_schema(name: str) -> None:
    module = NEEDS.get(name)
    if module and importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed here (pip install it to import this example)")

    def runtime(ref: str, mode: str) -> PredictorInfo:
        with isolated_imports():
            return load_predictor(ref, project_dir=EXAMPLES / name, mode=mode).info

    assert _static(name) == _infos(name, runtime)


def test_example_features_reach_the_schema() -> None:
    streaming, _ = _static("streaming-text")
    assert streaming.streaming and streaming.output.mode.value == "concatenate"
    concurrent, _ = _static("async-concurrency")
    assert concurrent.is_async
    assert load_config(EXAMPLES / "async-concurrency" / "cog.yaml").config.concurrency_max == 4
    assert load_config(EXAMPLES / "resnet" / "cog.yaml").config.build.gpu is True
    predict, train = _static("train")
    assert predict.setup_weights and train is not None and train.output.type.name == "TrainingOutput"
