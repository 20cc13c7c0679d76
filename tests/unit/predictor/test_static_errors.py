"""Static inspection rejects broken predictors with Cog's words, and hands unresolvable ones back.

Each fixture under tests/fixtures/static/errors/ says (`# expect:`) the part of the message that
Cog's wording fixes; the full messages (with file and line) are golden-tested together. Fixtures
under unresolved/ must raise `StaticSchemaUnresolved` (the caller then imports the predictor
inside the image); everything else must not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.errors import PredictorError
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.static import StaticSchemaUnresolved, inspect_source
from tests.golden import assert_golden
from tests.unit.predictor._static_cases import Case, cases, isolated_imports

ERRORS = cases("errors")
UNRESOLVED = cases("unresolved")


def _static_error(case: Case, tmp_path: Path) -> PredictorError:
    project = case.materialise(tmp_path / case.name)
    with pytest.raises(PredictorError) as info:
        inspect_source(project, case.ref, mode=case.mode)
    return info.value


@pytest.mark.parametrize("case", ERRORS, ids=[c.name for c in ERRORS])
def test_error_message(case: Case, tmp_path: Path) -> None:
    error = _static_error(case, tmp_path)
    assert not isinstance(error, StaticSchemaUnresolved), error.message
    assert case.headers["expect"] in error.message
    assert "predict.py" in error.message  # names the file
    assert error.hint  # says what to do


@pytest.mark.parametrize("case", ERRORS, ids=[c.name for c in ERRORS])
def test_runtime_inspection_rejects_it_too(case: Case, tmp_path: Path) -> None:
    project = case.materialise(tmp_path / "p")
    with isolated_imports(), pytest.raises(PredictorError):
        load_predictor(case.ref, project_dir=project, mode=case.mode)


def test_error_messages_are_golden(tmp_path: Path) -> None:
    lines = []
    for case in ERRORS + UNRESOLVED:
        error = _static_error(case, tmp_path)
        lines.append(f"{case.name}: {error.message}\n    hint: {error.hint}")
    assert_golden("schemas/static-errors.txt", "\n".join(lines) + "\n")


@pytest.mark.parametrize("case", UNRESOLVED, ids=[c.name for c in UNRESOLVED])
def test_unresolvable_source_asks_for_runtime_inspection(case: Case, tmp_path: Path) -> None:
    error = _static_error(case, tmp_path)
    assert isinstance(error, StaticSchemaUnresolved)
    assert case.headers["expect"] in error.message


def test_parameter_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "predict.py").write_text(
        "from cog import BasePredictor, Input\n\n\nclass Predictor(BasePredictor):\n"
        "    def predict(\n        self,\n        ok: int = 1,\n        bad: int = Input(default=5, le=2),\n"
        "    ) -> int:\n        return ok\n"
    )
    with pytest.raises(PredictorError) as info:
        inspect_source(tmp_path, "predict.py:Predictor")
    assert info.value.message == (
        "predict.py:8: Predictor.predict(): parameter 'bad': invalid default 5: greater than the maximum le=2"
    )


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PredictorError, match=r"^predict\.py: file not found in "):
        inspect_source(tmp_path, "predict.py:Predictor")
