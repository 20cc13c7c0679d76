"""Runtime inspection (importing) and static inspection (ast) agree on every fixture predictor:
the same OpenAPI document, or the same error message."""

from __future__ import annotations

import pytest

from cog_py.errors import PredictorError
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.openapi import openapi_json, render_openapi
from cog_py.predictor.static import inspect_source
from cog_py.predictor.static.errors import StaticSchemaUnresolved

from .fixtures import FIXTURES, Fixture, all_fixtures


def _outcome(inspect, fixture: Fixture) -> str:
    try:
        info = inspect(fixture)
    except StaticSchemaUnresolved:
        pytest.skip("static inspection defers this predictor to the image (by design)")
    except PredictorError as exc:
        return "error: " + exc.message
    predict, train = (None, info) if fixture.mode == "train" else (info, None)
    return openapi_json(render_openapi(predict, train, version="0.1.0"))


def _runtime(fixture: Fixture):
    return load_predictor(fixture.ref, project_dir=FIXTURES, mode=fixture.mode).info


def _static(fixture: Fixture):
    return inspect_source(FIXTURES, fixture.ref, mode=fixture.mode)


CASES = [f for f in all_fixtures() if f.error_prefix is None]  # import errors only exist at runtime


@pytest.mark.parametrize("fixture", CASES, ids=lambda f: f.path.stem)
def test_runtime_and_static_agree(fixture: Fixture) -> None:
    assert _outcome(_static, fixture) == _outcome(_runtime, fixture)
