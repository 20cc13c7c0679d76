"""Read a pip requirements file into the lines the image build installs.

As Cog does: comments and blank lines dropped, `\\` continuations joined, inline ` # ...`
stripped, `-e .` dropped; everything else (options, local wheel paths) kept as written.
"""

from __future__ import annotations

import re

# pip starts a comment at "#" at the start of a line or after whitespace ("pkg#frag" is a URL)
_COMMENT = re.compile(r"(^|\s+)#.*$")
_EDITABLE_SELF = re.compile(r"^(-e|--editable)\s+\.$")


def parse_requirements(text: str) -> tuple[str, ...]:
    """Return the requirement lines of a requirements file's `text`."""
    lines: list[str] = []
    pending = ""
    for raw_line in text.splitlines():
        line = raw_line.strip() if pending else raw_line.rstrip()
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        line, pending = pending + line, ""
        _add(lines, line)
    if pending:
        _add(lines, pending)
    return tuple(lines)


def _add(lines: list[str], line: str) -> None:
    line = _COMMENT.sub("", line).strip()
    if line and not _EDITABLE_SELF.match(line):
        lines.append(line)
