"""Static inspection (ast) gives exactly what importing the predictor gives, for every fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cog_py.predictor.adt import PredictorInfo
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.openapi import openapi_json, render_openapi
from cog_py.predictor.static import inspect_source
from tests.golden import assert_golden_json
from tests.unit.predictor._static_cases import Case, cases, isolated_imports, to_cog_py

OK = cases("ok")
WITH_COG = [c for c in OK if any(to_cog_py(p.read_text()) != p.read_text()
                                 for p in ([c.source] if c.is_file else c.source.rglob("*.py")))]


def _runtime(project: Path, case: Case) -> PredictorInfo:
    with isolated_imports():
        return load_predictor(case.ref, project_dir=project, mode=case.mode).info


def _document(info: PredictorInfo) -> dict:
    if info.mode == "train":
        return render_openapi(None, info, version="test")
    return render_openapi(info, version="test")


def test_there_are_enough_fixtures() -> None:
    assert len(OK) >= 40


@pytest.mark.parametrize("case", OK, ids=[c.name for c in OK])
def test_static_equals_runtime(case: Case, tmp_path: Path) -> None:
    project = case.materialise(tmp_path / "p")
    static = inspect_source(project, case.ref, mode=case.mode)
    runtime = _runtime(project, case)
    assert static == runtime
    assert _document(static) == _document(runtime)


@pytest.mark.parametrize("case", OK, ids=[c.name for c in OK])
def test_schema_fragment_is_golden(case: Case, tmp_path: Path) -> None:
    project = case.materialise(tmp_path / "p")
    doc = json.loads(openapi_json(_document(inspect_source(project, case.ref, mode=case.mode))))
    schemas = doc["components"]["schemas"]
    prefix = "Training" if case.mode == "train" else ""
    fragment = {name: schemas[name] for name in schemas
                if name in (f"{prefix or ''}Input", f"{prefix}Output") or name not in _FIXED}
    fragment["x-cog-streaming"] = doc["paths"].get("/predictions", {}).get("post", {}).get("x-cog-streaming", False)
    assert_golden_json(f"schemas/static/{case.name}.json", fragment)


_FIXED = {"PredictionRequest", "PredictionResponse", "TrainingRequest", "TrainingResponse", "Status",
          "HTTPValidationError", "ValidationError", "Input", "Output", "TrainingInput", "TrainingOutput"}


def test_most_fixtures_import_cog() -> None:
    assert len(WITH_COG) >= len(OK) - 3


@pytest.mark.parametrize("case", WITH_COG, ids=[c.name for c in WITH_COG])
def test_cog_and_cog_py_imports_give_the_same_schema(case: Case, tmp_path: Path) -> None:
    with_cog = case.materialise(tmp_path / "cog")
    with_cog_py = case.materialise(tmp_path / "cog_py", against_cog_py=True)
    a = inspect_source(with_cog, case.ref, mode=case.mode)
    b = inspect_source(with_cog_py, case.ref, mode=case.mode)
    assert a == b
    assert _document(b) == _document(_runtime(with_cog_py, case))
