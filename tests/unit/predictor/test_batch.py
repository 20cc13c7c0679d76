"""@batch and cog.yaml `batch:`: a predictor taking lists is described per item by both inspectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cog_py.errors import PredictorError
from cog_py.predictor.adt import Kind
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.schema_probe import main as probe_main
from cog_py.predictor.static import inspect_source
from tests.unit.predictor._static_cases import isolated_imports

UNDECORATED = '''from typing import List
from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, text: List[str] = Input(max_length=5), k: List[int] = Input(default=2)) -> List[int]:
        return [len(t) * n for t, n in zip(text, k)]
'''


def _project(tmp_path: Path, source: str) -> Path:
    (tmp_path / "predict.py").write_text(source)
    return tmp_path


def test_cog_yaml_batch_makes_a_list_predictor_per_item(tmp_path: Path) -> None:
    project = _project(tmp_path, UNDECORATED)
    static = inspect_source(project, "predict.py:Predictor", batch=(4, 2.0))
    with isolated_imports():
        runtime = load_predictor("predict.py:Predictor", project_dir=project, batch=(4, 2.0)).info
    assert static == runtime
    assert [(f.name, f.type.kind) for f in static.inputs] == [("text", Kind.STR), ("k", Kind.INT)]
    assert static.inputs[1].default == 2
    assert static.inputs[0].max_length == 5
    assert static.output.type.kind is Kind.INT
    assert (static.batch_max_size, static.batch_max_wait_ms) == (4, 2.0)
    with pytest.raises(PredictorError, match="only valid on str"):   # unbatched, max_length would be on a list
        inspect_source(project, "predict.py:Predictor")


def test_cog_yaml_batch_on_a_scalar_predictor_is_a_clear_error(tmp_path: Path) -> None:
    project = _project(tmp_path, "from cog import BasePredictor\n\n\nclass Predictor(BasePredictor):\n"
                                 "    def predict(self, text: str) -> str:\n        return text\n")
    with pytest.raises(PredictorError, match="every parameter of a batched predict\\(\\) must be a list"):
        inspect_source(project, "predict.py:Predictor", batch=(4, 10.0))
    with isolated_imports(), pytest.raises(PredictorError, match="must be a list"):
        load_predictor("predict.py:Predictor", project_dir=project, batch=(4, 10.0))


def test_decorator_numbers_and_checks() -> None:
    from cog import batch

    @batch(max_size=3, max_wait_ms=1)
    def f(x: list) -> list:  # type: ignore[type-arg]
        return x

    assert f.__cog_batch__ == (3, 1.0)  # type: ignore[attr-defined]

    @batch
    def g(x: list) -> list:  # type: ignore[type-arg]
        return x

    assert g.__cog_batch__ == (16, 10.0)  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="max_size"):
        batch(max_size=0)
    with pytest.raises(TypeError, match="max_wait_ms"):
        batch(max_wait_ms=-1)
    with pytest.raises(TypeError, match="generator"):
        batch(lambda: (yield))


def test_schema_probe_takes_cog_yamls_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path, UNDECORATED)
    with isolated_imports():
        assert probe_main(["--predict", "predict.py:Predictor", "--version", "x", "--project-dir", str(project),
                           "--batch", "4:2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["components"]["schemas"]["Input"]["properties"]["text"]["type"] == "string"
    assert doc["components"]["schemas"]["Output"]["type"] == "integer"


def test_cog_yaml_numbers_override_the_decorators_one_by_one() -> None:
    from cog_py.predictor.typerules import merge_batch

    assert merge_batch(None, None) is None
    assert merge_batch((None, 5.0), None) is None            # a wait alone does not batch
    assert merge_batch((8, None), None) == (8, 10.0)
    assert merge_batch(None, (16, 10.0)) == (16, 10.0)
    assert merge_batch((None, 0.0), (16, 10.0)) == (16, 0.0)
    assert merge_batch((4, None), (16, 2.0)) == (4, 2.0)
