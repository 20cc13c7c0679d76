"""Apply fixes as line edits: only the affected lines change, every other byte stays as it was.

All edits of one fix are checked against the files first (each edited line must still read as
the check saw it); a fix that no longer matches, or that touches a line another fix of this
round already edits, is left for the next round (the caller re-checks and tries again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cog_py.doctor.edits import split_keepends
from cog_py.doctor.model import Edit, Finding, Fix


@dataclass
class Applied:
    fixed: list[Finding] = field(default_factory=list)
    deferred: list[Finding] = field(default_factory=list)    # conflicted with an earlier fix this round
    failed: list[tuple[Finding, str]] = field(default_factory=list)


def _ending(line: str) -> str:
    return line[len(line.rstrip("\r\n")):]


def _read(root: Path, rel: str, cache: dict[str, list[str]]) -> list[str]:
    if rel not in cache:
        cache[rel] = split_keepends((root / rel).read_bytes().decode("utf-8"))
    return cache[rel]


def _matches(lines: list[str], edit: Edit) -> bool:
    return 0 < edit.line <= len(lines) and lines[edit.line - 1].rstrip("\r\n") == edit.old


def apply_fixes(root: Path, findings: list[Finding]) -> Applied:
    """Apply the fixes of `findings` that do not overlap; write each changed file once."""
    result = Applied()
    cache: dict[str, list[str]] = {}
    taken: set[tuple[str, int]] = set()
    accepted: list[Fix] = []
    for finding in findings:
        fix = finding.fix
        if fix is None:
            continue
        try:
            if not all(_matches(_read(root, e.file, cache), e) for e in fix.edits):
                result.failed.append((finding, "the file changed since it was checked"))
                continue
        except (OSError, UnicodeDecodeError) as exc:
            result.failed.append((finding, str(exc)))
            continue
        if any((root / n.file).exists() for n in fix.new_files):
            result.failed.append((finding, ", ".join(n.file for n in fix.new_files) + " already exists"))
            continue
        touched = {(e.file, e.line) for e in fix.edits}
        if touched & taken:
            result.deferred.append(finding)
            continue
        taken |= touched
        accepted.append(fix)
        result.fixed.append(finding)
    edits = sorted((e for fix in accepted for e in fix.edits), key=lambda e: (e.file, -e.line))
    for edit in edits:
        lines = cache[edit.file]
        ending = _ending(lines[edit.line - 1])
        if ending:
            new = [text + ending for text in edit.new]
        else:   # the last line, without an ending: the new last line has none either
            sep = next((_ending(line) for line in lines if _ending(line)), "\n")
            new = [text + sep for text in edit.new[:-1]] + list(edit.new[-1:])
        lines[edit.line - 1: edit.line] = new
    for rel in sorted({e.file for e in edits}):
        (root / rel).write_bytes("".join(cache[rel]).encode("utf-8"))
    for fix in accepted:
        for new_file in fix.new_files:
            (root / new_file.file).write_text(new_file.text, encoding="utf-8")
    return result
