"""Run the checks over a project, and the `--fix` loop (fix, re-read, re-check)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cog_py.doctor.fixer import apply_fixes
from cog_py.doctor.load import load_project
from cog_py.doctor.model import Check, Finding, Project, Skipped
from cog_py.doctor.registry import CHECKS

MAX_FIX_ROUNDS = 5


@dataclass
class CheckResult:
    check: Check
    findings: list[Finding] = field(default_factory=list)
    skipped: str | None = None

    @property
    def status(self) -> str:
        for severity in ("error", "warning", "info"):
            if any(f.severity == severity for f in self.findings):
                return severity
        return "skipped" if self.skipped is not None else "ok"


def run_checks(project: Project, checks: tuple[Check, ...] = CHECKS) -> list[CheckResult]:
    results = []
    for check in checks:
        try:
            results.append(CheckResult(check, check.run(project)))
        except Skipped as exc:
            results.append(CheckResult(check, skipped=str(exc)))
        except Exception as exc:   # a check must never take the others down
            results.append(CheckResult(check, [Finding(check.name, "warning", f"the check failed: {type(exc).__name__}: "
                                                       f"{exc}", remediation="Report this as a cog_py bug")]))
    return results


def findings_of(results: list[CheckResult]) -> list[Finding]:
    return [f for r in results for f in r.findings]


@dataclass
class FixRun:
    fixed: list[Finding] = field(default_factory=list)
    failed: list[tuple[Finding, str]] = field(default_factory=list)


def fix_project(cwd: Path, config_name: str, say: Callable[[str], None],
                load: Callable[[Path, str], Project] = load_project) -> FixRun:
    """Apply safe fixes round after round (each round re-reads and re-checks the project)."""
    run = FixRun()
    for _ in range(MAX_FIX_ROUNDS):
        project = load(cwd, config_name)
        applied = apply_fixes(project.root, [f for f in findings_of(run_checks(project)) if f.fix is not None])
        for finding in applied.fixed:
            assert finding.fix is not None
            say(f"Fixed: {finding.fix.description} ({finding.where}) [{finding.check}]")
        run.fixed.extend(applied.fixed)
        run.failed = applied.failed
        if not applied.fixed:
            break
    return run
