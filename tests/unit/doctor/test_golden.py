"""`cog doctor` over the fixture projects in tests/fixtures/doctor/<case>/: the report, and with
`--fix` the report and every file the fix wrote are golden (tests/golden/doctor/); every other
file stays byte-identical, and a second `--fix` finds nothing more to fix."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.golden import assert_golden

from tests.unit.cli.conftest import CliResult

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "doctor"
CASES = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
# Hermetic: no machine checks, and a fixed "today" for the end-of-life check.
HERMETIC = {"COG_SKIP_DOCKER_CHECK": "1", "COG_SKIP_PYTHON_CHECK": "1", "COG_SKIP_GPU_CHECK": "1",
            "COG_DOCTOR_TODAY": "2026-06-01", "NO_COLOR": "1"}


def _project(case: str, tmp_path: Path) -> Path:
    project = tmp_path / case
    shutil.copytree(FIXTURES / case, project)
    if case == "project-large-files":   # 11 MiB, sparse: not worth a file in git
        weights = project / "weights"
        weights.mkdir()
        with open(weights / "model.safetensors", "wb") as handle:
            handle.truncate(11 * 1024 * 1024)
    return project


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.stat().st_size < 1024 * 1024}


@pytest.fixture
def doctor(cog: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    for key, value in HERMETIC.items():
        monkeypatch.setenv(key, value)

    def run(project: Path, *args: str) -> str:
        monkeypatch.chdir(project)
        result = cog("doctor", *args)
        assert result.stdout == ""   # a report, not a result: all of it on stderr
        return f"$ cog doctor{''.join(' ' + a for a in args)}\n{result.stderr}exit status {result.code}\n"

    return run


@pytest.mark.parametrize("case", CASES)
def test_report(doctor: Callable[..., str], tmp_path: Path, case: str) -> None:
    project = _project(case, tmp_path)
    before = _files(project)
    assert_golden(f"doctor/{case}.txt", doctor(project))
    assert _files(project) == before, "cog doctor without --fix changed a file"


@pytest.mark.parametrize("case", CASES)
def test_fix(doctor: Callable[..., str], tmp_path: Path, case: str) -> None:
    project = _project(case, tmp_path)
    before = _files(project)
    assert_golden(f"doctor/{case}.fix.txt", doctor(project, "--fix"))
    after = _files(project)
    for rel, content in after.items():
        if before.get(rel) != content:
            assert_golden(f"doctor/{case}.fixed/{rel}", content.decode("utf-8"))
    assert set(before) <= set(after), "--fix removed a file"
    again = doctor(project, "--fix")
    assert "Fixed: " not in again and "can fix this" not in doctor(project)


def test_clean_project_has_no_issues(doctor: Callable[..., str], tmp_path: Path) -> None:
    report = doctor(_project("clean", tmp_path))
    assert report.endswith("no issues found\nexit status 0\n")
    assert report.splitlines()[1] == "NOTE: cog doctor is experimental. Behavior and checks may change in future versions."


def test_missing_config_is_an_error(doctor: Callable[..., str], tmp_path: Path) -> None:
    report = doctor(tmp_path, "-f", "sub/cog.yaml")
    assert "error: sub/cog.yaml — sub/cog.yaml not found" in report
    assert 'Remediation: Run "cog init" to create a cog.yaml' in report
    assert report.endswith("exit status 1\n")


def test_errors_exit_1_and_warnings_exit_0(doctor: Callable[..., str], tmp_path: Path) -> None:
    assert doctor(_project("config-schema", tmp_path)).endswith("exit status 1\n")
    assert doctor(_project("python-missing-type-annotations", tmp_path)).endswith("exit status 0\n")
