"""The fixer changes the affected lines only: line endings, a missing final newline and every other
byte survive; stale or overlapping fixes are not applied."""

from __future__ import annotations

from pathlib import Path

from cog_py.doctor.diagnose import run_checks
from cog_py.doctor.fixer import apply_fixes
from cog_py.doctor.load import load_project
from cog_py.doctor.model import Edit, Finding, Fix, NewFile


def _finding(*edits: Edit, new_files: tuple[NewFile, ...] = ()) -> Finding:
    return Finding("x", "warning", "m", fix=Fix("d", edits=edits, new_files=new_files))


def test_crlf_and_a_missing_final_newline_are_kept(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a\r\nb\r\nc")
    result = apply_fixes(tmp_path, [_finding(Edit("f.txt", 2, "b", ("B1", "B2")), Edit("f.txt", 3, "c", ("C",)))])
    assert len(result.fixed) == 1
    assert (tmp_path / "f.txt").read_bytes() == b"a\r\nB1\r\nB2\r\nC"


def test_a_stale_fix_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a\nb\n")
    result = apply_fixes(tmp_path, [_finding(Edit("f.txt", 1, "a"), Edit("f.txt", 2, "not b"))])
    assert result.fixed == [] and result.failed[0][1] == "the file changed since it was checked"
    assert (tmp_path / "f.txt").read_bytes() == b"a\nb\n"


def test_overlapping_fixes_wait_for_the_next_round(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a\nb\n")
    first, second = _finding(Edit("f.txt", 1, "a", ("A",))), _finding(Edit("f.txt", 1, "a"))
    result = apply_fixes(tmp_path, [first, second])
    assert result.fixed == [first] and result.deferred == [second]
    assert (tmp_path / "f.txt").read_bytes() == b"A\nb\n"


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("keep\n")
    result = apply_fixes(tmp_path, [_finding(new_files=(NewFile("requirements.txt", "new\n"),))])
    assert result.fixed == [] and (tmp_path / "requirements.txt").read_text() == "keep\n"


def _fixes(tmp_path: Path, config: str, predict: str | None = None) -> list[Finding]:
    (tmp_path / "cog.yaml").write_text(config)
    if predict is not None:
        (tmp_path / "predict.py").write_text(predict)
    findings = [f for r in run_checks(load_project(tmp_path, environ={})) for f in r.findings]
    return [f for f in findings if f.fix is not None]


def test_flow_style_python_packages(tmp_path: Path) -> None:
    [finding] = _fixes(tmp_path, 'build:\n  python_version: "3.12"\n  python_packages: ["numpy==1.26.4", "six"]  # deps\n')
    apply_fixes(tmp_path, [finding])
    assert (tmp_path / "cog.yaml").read_text() == (
        'build:\n  python_version: "3.12"\n  python_requirements: "requirements.txt"  # deps\n')
    assert (tmp_path / "requirements.txt").read_text() == "numpy==1.26.4\nsix\n"


def test_pre_install_next_to_run_is_not_merged_automatically(tmp_path: Path) -> None:
    config = 'build:\n  python_version: "3.12"\n  run:\n    - echo a\n  pre_install:\n    - echo b\n'
    assert _fixes(tmp_path, config) == []


def test_an_import_still_used_elsewhere_is_not_removed(tmp_path: Path) -> None:
    predict = ("from cog import BasePredictor, ExperimentalFeatureWarning\n\n"
               "CATEGORY = ExperimentalFeatureWarning\n\n\nclass Predictor(BasePredictor):\n"
               "    def predict(self) -> str:\n        return ''\n")
    assert _fixes(tmp_path, 'build:\n  python_version: "3.12"\npredict: "predict.py:Predictor"\n', predict) == []


def test_a_block_left_empty_gets_pass(tmp_path: Path) -> None:
    predict = ("import warnings\n\nfrom cog import BasePredictor, ExperimentalFeatureWarning\n\n\n"
               "class Predictor(BasePredictor):\n    def setup(self) -> None:\n"
               "        warnings.simplefilter('ignore', ExperimentalFeatureWarning)\n\n"
               "    def predict(self) -> str:\n        return ''\n")
    [finding] = _fixes(tmp_path, 'build:\n  python_version: "3.12"\npredict: "predict.py:Predictor"\n', predict)
    apply_fixes(tmp_path, [finding])
    assert (tmp_path / "predict.py").read_text() == (
        "import warnings\n\nfrom cog import BasePredictor\n\n\nclass Predictor(BasePredictor):\n"
        "    def setup(self) -> None:\n        pass\n\n    def predict(self) -> str:\n        return ''\n")


def test_pydantic_fix_leaves_a_file_whose_other_models_need_pydantic(tmp_path: Path) -> None:
    predict = ("from cog import BasePredictor, Path\nfrom pydantic import BaseModel, ConfigDict\n\n\n"
               "class Output(BaseModel):\n    model_config = ConfigDict(arbitrary_types_allowed=True)\n\n"
               "    image: Path\n\n\nclass Meta(BaseModel):\n    name: str\n\n\n"
               "class Predictor(BasePredictor):\n    def predict(self) -> Output:\n        raise NotImplementedError\n")
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.12"\npredict: "predict.py:Predictor"\n')
    (tmp_path / "predict.py").write_text(predict)
    findings = [f for r in run_checks(load_project(tmp_path, environ={})) for f in r.findings
                if f.check == "python-pydantic-basemodel"]
    assert [(f.line, f.fix) for f in findings] == [(5, None)]


def test_attribute_use_of_a_removed_name_is_found(tmp_path: Path) -> None:
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.12"\npredict: "predict.py:Predictor"\n')
    (tmp_path / "predict.py").write_text(
        "import warnings\n\nimport cog\n\nwarnings.simplefilter('ignore', cog.ExperimentalFeatureWarning)\n")
    findings = [f for r in run_checks(load_project(tmp_path, environ={})) for f in r.findings
                if f.check == "python-deprecated-imports"]
    assert [(f.file, f.line, f.fix) for f in findings] == [("predict.py", 5, None)]
