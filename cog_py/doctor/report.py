"""Render doctor results as Cog does: a NOTE, groups of checks, findings with their remediation,
and a summary (`no issues found` / `Found N error(s), M warning(s).`)."""

from __future__ import annotations

from cog_py.doctor.diagnose import CheckResult
from cog_py.doctor.model import Finding

EXPERIMENTAL = "NOTE: cog doctor is experimental. Behavior and checks may change in future versions."
FIX_HINT = ' Run "cog doctor --fix" to auto-fix.'


def render_results(results: list[CheckResult], *, fixing: bool) -> list[str]:
    lines: list[str] = []
    group = None
    for result in results:
        if result.check.group != group:
            group = result.check.group
            lines.append("")
            lines.append(group)
        head = f"  {result.status:<8} {result.check.title} ({result.check.name})"
        if result.skipped is not None:
            head += f": {result.skipped}"
        lines.append(head)
        for finding in result.findings:
            lines.extend(render_finding(finding, fixing=fixing))
    return lines


def render_finding(finding: Finding, *, fixing: bool) -> list[str]:
    where = f"{finding.where} — " if finding.where else ""
    out = [f"    {finding.severity}: {where}{finding.message}"]
    if finding.remediation:
        out.append(f"      Remediation: {finding.remediation}")
    if finding.fix is not None and not fixing:
        out.append("      (cog doctor --fix can fix this)")
    return out


def summary(results: list[CheckResult]) -> tuple[str, bool]:
    """(the last line, whether it is a success)."""
    findings = [f for r in results for f in r.findings]
    errors = sum(f.severity == "error" for f in findings)
    warnings = sum(f.severity == "warning" for f in findings)
    if not errors and not warnings:
        return "no issues found", True
    line = f"Found {errors} error(s), {warnings} warning(s)."
    if any(f.fix is not None for f in findings):
        line += FIX_HINT
    return line, False


def exit_code(results: list[CheckResult]) -> int:
    return 1 if any(f.severity == "error" for r in results for f in r.findings) else 0
