"""Read a pip requirements file into the lines the image build installs.

As Cog does: comments and blank lines dropped, `\\` continuations joined, inline ` # ...`
stripped, `-e .` dropped; everything else (options, local wheel paths) kept as written.
"""

from __future__ import annotations

import re

# pip starts a comment at "#" at the start of a line or after whitespace ("pkg#frag" is a URL)
_COMMENT = re.compile(r"(^|\s+)#.*$")
_EDITABLE_SELF = re.compile(r"^(-e|--editable)\s+\.$")


_OP = r"(?:===|==|!=|<=|>=|~=|<|>)"
_SPEC = _OP + r"\s*[A-Za-z0-9.*+!_-]+"
_REQUIREMENT = re.compile(
    r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?\s*"
    rf"(?:\(?\s*{_SPEC}(?:\s*,\s*{_SPEC})*\s*\)?)?\s*(?:;.*?)?(?:\s--\S.*)?$"   # per-line --hash etc.
)


def parse_requirements(text: str) -> tuple[str, ...]:
    """Return the requirement lines of a requirements file's `text`."""
    return tuple(line for _, line in requirement_lines(text))


def requirement_lines(text: str) -> list[tuple[int, str]]:
    """The requirement lines of `text`, each with the (1-based) line number it starts on."""
    lines: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw_line in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        line = raw_line.strip() if pending else raw_line.rstrip()
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line, ""
        _add(lines, start, line)
    if pending:
        _add(lines, start, pending)
    return lines


def requirement_problem(line: str) -> str | None:
    """Why pip would refuse the requirement `line`, or None. Options, URLs and paths pass."""
    if line.startswith(("-", ".", "git+")) or "://" in line or "/" in line or "@" in line:
        return None
    if _REQUIREMENT.match(line):
        return None
    return "invalid requirement: expected a name, then optional [extras], versions such as ==2.1 or >=1,<2, and ; markers"


def _add(lines: list[tuple[int, str]], number: int, line: str) -> None:
    line = _COMMENT.sub("", line).strip()
    if line and not _EDITABLE_SELF.match(line):
        lines.append((number, line))
