"""`cog deploy` on the command line: the group, its help (golden), output to stdout or a directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.golden import assert_golden
from tests.unit.cli.conftest import CliResult

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.mark.parametrize("args", [("deploy",), ("deploy", "kubernetes")])
def test_help(cog: Callable[..., CliResult], args: tuple[str, ...]) -> None:
    result = cog(*args, "--help")
    assert result.code == 0 and result.stderr == ""
    assert_golden(f"help/{'-'.join(args)}.txt", result.stdout)


def test_writes_one_file_per_object(cog: Callable[..., CliResult], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "hello-world")
    result = cog("deploy", "kubernetes", "-o", str(tmp_path / "out"), "--read-only-root")
    assert result.code == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["deployment.yaml", "horizontalpodautoscaler.yaml", "poddisruptionbudget.yaml",
                     "service.yaml", "servicemonitor.yaml"]
    deployment = yaml.safe_load((tmp_path / "out" / "deployment.yaml").read_text())
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "cog-hello-world"
    assert "by tag" in result.stderr   # not pinned: told how to pin it


def test_prints_to_stdout_and_refuses_bad_flags(cog: Callable[..., CliResult],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES / "resnet")
    result = cog("deploy", "kubernetes", "--format", "kserve", "--name", "classifier")
    assert result.code == 0, result.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(result.stdout)]
    assert kinds == ["InferenceService", "ServiceMonitor"]
    bad = cog("deploy", "kubernetes", "--replicas", "2", "--max-replicas", "3")
    assert bad.code == 1 and "Error: --replicas fixes the count" in bad.stderr and "Hint:" in bad.stderr
