"""load_predictor: references, subdirectories, hooks, defaults, flags."""

from __future__ import annotations

import asyncio
import inspect
import sys
from pathlib import Path

import pytest

from cog_py.errors import PredictorError
from cog_py.predictor.adt import OutputMode
from cog_py.predictor.loader import load_predictor

from .fixtures import FIXTURES

PROJECTS = FIXTURES / "projects"


def test_predictor_in_a_subdirectory_imports_from_the_project_root() -> None:
    loaded = load_predictor("models/predict.py:Predictor", project_dir=PROJECTS / "subdir")
    assert loaded.predict(a="x") == "x!"
    assert [f.name for f in loaded.info.inputs] == ["a", "b"]


def test_input_defaults_are_unwrapped() -> None:
    loaded = load_predictor("input_str.py:Predictor", project_dir=FIXTURES)
    assert loaded.predict() == "hello world"
    assert inspect.signature(loaded.predict).parameters["text"].default == "world"


def test_default_none_input_is_optional_and_predict_gets_none() -> None:
    # issue 12 row "default-none": Cog 0.16 passed None to `seed: int = Input(default=None)`
    loaded = load_predictor("input_seed_none_default.py:Predictor", project_dir=FIXTURES)
    assert loaded.predict() is None
    assert not loaded.info.inputs[0].required and loaded.info.inputs[0].type.nullable


@pytest.mark.skipif(sys.version_info < (3, 10), reason="its fixture predictor writes `str | None` (Python 3.10+)")
def test_setup_weights_and_healthcheck_are_found() -> None:
    loaded = load_predictor("predict.py:Predictor", project_dir=PROJECTS / "train")
    assert loaded.info.setup_weights and loaded.info.has_healthcheck
    assert loaded.setup is not None and loaded.healthcheck is not None
    loaded.setup(weights=None)
    assert loaded.healthcheck() is True


def test_base_class_setup_does_not_count_as_a_hook() -> None:
    loaded = load_predictor("input_str.py:Predictor", project_dir=FIXTURES)
    assert loaded.setup is None and loaded.healthcheck is None
    assert not loaded.info.setup_weights


def test_train_mode_picks_train_and_the_trainer_class(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    loaded = load_predictor("train.py", project_dir=PROJECTS / "train", mode="train")
    assert loaded.info.ref == "train.py:Trainer" and loaded.info.method == "train"
    assert loaded.info.mode == "train"
    result = loaded.predict()
    assert result.weights.read_text() == "2"


def test_runner_is_preferred_without_a_name(tmp_path) -> None:
    (tmp_path / "run.py").write_text(
        "from cog import BaseRunner\n"
        "class Runner(BaseRunner):\n    def run(self) -> str:\n        return 'runner'\n"
        "class Predictor(BaseRunner):\n    def run(self) -> str:\n        return 'predictor'\n"
    )
    loaded = load_predictor("run.py", project_dir=tmp_path)
    assert loaded.predict() == "runner" and loaded.info.method == "run"


def test_async_and_concurrency_flags() -> None:
    loaded = load_predictor("async_predictor.py:Predictor", project_dir=FIXTURES)
    assert loaded.info.is_async and loaded.info.concurrency_max == 4
    assert inspect.iscoroutinefunction(loaded.setup)
    assert asyncio.run(loaded.predict(delay=0)) == "done"


def test_streaming_and_output_modes() -> None:
    concat = load_predictor("output_concatenate.py:Predictor", project_dir=FIXTURES).info
    assert concat.streaming and concat.output.mode is OutputMode.CONCATENATE
    iterator = load_predictor("output_iterator.py:Predictor", project_dir=FIXTURES).info
    assert not iterator.streaming and iterator.output.mode is OutputMode.ITERATOR


def test_function_predictor() -> None:
    loaded = load_predictor("function_predictor.py:predict", project_dir=FIXTURES)
    assert not loaded.info.is_class and loaded.predict(text="abc") == "cba"


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("nope.py:Predictor", "nope.py: file not found in"),
        ("predict:Predictor", "invalid predict reference 'predict:Predictor' — expected format: file.py:ClassName or file.py:function_name"),
        ("input_str.py:", "invalid predict reference 'input_str.py:'"),
    ],
)
def test_reference_errors(ref: str, message: str) -> None:
    with pytest.raises(PredictorError) as err:
        load_predictor(ref, project_dir=FIXTURES)
    assert err.value.message.startswith(message)
    assert err.value.hint


def test_constructor_errors_say_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "predict.py").write_text(
        "class Predictor:\n    def __init__(self, model):\n        pass\n    def predict(self) -> str:\n        return ''\n"
    )
    with pytest.raises(PredictorError) as err:
        load_predictor("predict.py:Predictor", project_dir=tmp_path)
    assert err.value.message.startswith("predict.py: creating Predictor() failed: TypeError")
    assert "setup()" in (err.value.hint or "")


def test_import_error_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "predict.py").write_text("x = 1\nraise ValueError('broken model')\n")
    with pytest.raises(PredictorError) as err:
        load_predictor("predict.py:Predictor", project_dir=tmp_path)
    assert err.value.message == (
        f"predict.py: importing it failed: ValueError: broken model (at {tmp_path / 'predict.py'}:2)"
    )


@pytest.mark.parametrize(("module", "line"), [("pydantic", "pydantic<2"), ("fastapi", "fastapi"), ("attr", "attrs")])
def test_undeclared_package_cog_0_16_provided_names_the_line_to_add(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, line: str) -> None:
    # issue 12 row "cog-provided-packages": a setup error naming the package and the line to add
    monkeypatch.setitem(sys.modules, module, None)  # importing it raises ModuleNotFoundError
    (tmp_path / "predict.py").write_text(
        f"from cog import BasePredictor\nimport {module}\n\n\nclass Predictor(BasePredictor):\n"
        "    def predict(self) -> str:\n        return ''\n")
    with pytest.raises(PredictorError) as info:
        load_predictor("predict.py:Predictor", project_dir=tmp_path)
    assert f"add the line '{line}' to your requirements" in info.value.message
