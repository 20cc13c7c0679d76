"""What only static inspection can do: read a predictor without importing it or its packages."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from cog_py.errors import PredictorError
from cog_py.predictor.adt import MISSING, Kind, OutputMode
from cog_py.predictor.static import StaticSchemaUnresolved, inspect_source, split_ref


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_nothing_is_imported_or_executed(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    _write(tmp_path, {
        "predict.py": f"""
            import side_effects
            open({str(marker)!r}, "w").write("predict.py ran")
            from cog import BasePredictor

            class Predictor(BasePredictor):
                def predict(self, x: int = side_effects.DEFAULT) -> int:
                    return x
            """,
        "side_effects.py": f"""
            open({str(marker)!r}, "w").write("side_effects.py ran")
            DEFAULT = 7
            """,
    })
    info = inspect_source(tmp_path, "predict.py:Predictor")
    assert info.inputs[0].default == 7
    assert not marker.exists()
    assert "side_effects" not in sys.modules and "predict" not in sys.modules


def test_heavy_dependencies_need_not_be_installed(tmp_path: Path) -> None:
    _write(tmp_path, {"predict.py": """
        import torch
        import numpy as np
        from transformers import AutoModel
        from cog import BasePredictor, Input, Path

        class Predictor(BasePredictor):
            def setup(self) -> None:
                self.model = AutoModel.from_pretrained("x").to(torch.device("cuda"))

            def predict(self, image: Path, steps: int = Input(default=np.int64 if False else 4)) -> Path:
                return image
        """})
    with pytest.raises(StaticSchemaUnresolved, match="parameter 'steps'"):  # not a literal
        inspect_source(tmp_path, "predict.py:Predictor")
    (tmp_path / "predict.py").write_text((tmp_path / "predict.py").read_text().replace("np.int64 if False else 4", "4"))
    info = inspect_source(tmp_path, "predict.py:Predictor")
    assert [f.name for f in info.inputs] == ["image", "steps"] and info.inputs[1].default == 4


def test_relative_imports_in_a_package_are_followed(tmp_path: Path) -> None:
    _write(tmp_path, {
        "model/__init__.py": "",
        "model/predict.py": """
            from cog import BasePredictor
            from . import schema
            from .schema import Result as R
            from .consts import LIMIT

            class Predictor(BasePredictor):
                def predict(self, n: int = LIMIT) -> list[schema.Result]:
                    return []

            class Other(BasePredictor):
                def predict(self) -> R:
                    return R(ok=True)
            """,
        "model/schema.py": """
            from cog import BaseModel

            class Result(BaseModel):
                ok: bool
            """,
        "model/consts.py": "LIMIT = 5\n",
    })
    info = inspect_source(tmp_path, "model/predict.py:Predictor")
    assert info.inputs[0].default == 5
    item = info.output.type.item
    assert item is not None and item.kind is Kind.OBJECT and item.name == "Result"
    other = inspect_source(tmp_path, "model/predict.py:Other")
    assert other.output.type.name == "Result" and other.inputs == ()


def test_defaults_without_a_name_and_bare_file_refs(tmp_path: Path) -> None:
    _write(tmp_path, {"predict.py": """
        from typing import Iterator
        from cog import BasePredictor, BaseRunner

        class Predictor(BasePredictor):
            def predict(self) -> str:
                return ""

        class Runner(BaseRunner):
            def run(self, seed: int = None) -> Iterator[int]:
                yield 1
        """})
    info = inspect_source(tmp_path, "predict.py")  # no name: Runner is preferred
    assert info.ref == "predict.py:Runner" and info.method == "run"
    assert info.output.mode is OutputMode.ITERATOR and info.inputs[0].default is None
    assert info.inputs[0].type.nullable and not info.inputs[0].required
    assert split_ref("sub/predict.py:Predictor") == ("sub/predict.py", "Predictor")


def test_unresolved_is_a_predictor_error_with_a_hint(tmp_path: Path) -> None:
    _write(tmp_path, {"predict.py": """
        from cog import BasePredictor
        from mypackage import Output

        class Predictor(BasePredictor):
            def predict(self) -> Output:
                return Output()
        """})
    with pytest.raises(StaticSchemaUnresolved) as info:
        inspect_source(tmp_path, "predict.py:Predictor")
    assert isinstance(info.value, PredictorError)
    assert "cannot resolve type 'Output' (imported from 'mypackage')" in info.value.message
    assert info.value.hint and "inside the built image" in info.value.hint


def test_star_import_names_match_the_sdk() -> None:
    import cog_py
    from cog_py.predictor.static.source import SDK_NAMES

    assert SDK_NAMES == set(cog_py.__all__) - {"__version__"}
