"""What a check sees (a `Project`) and what it returns (`Finding`s, each with an optional `Fix`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cog_py.config.yamlsource import YamlSource

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Edit:
    """Replace line `line` (1-based) of `file`, whose text must still be `old`, by `new` lines."""

    file: str                    # relative to the project root
    line: int
    old: str                     # the line's text without its line ending (checked before editing)
    new: tuple[str, ...] = ()    # replacement lines without endings; () deletes the line


@dataclass(frozen=True)
class NewFile:
    """Create `file` with `text` (refused when it exists by the time the fix runs)."""

    file: str
    text: str


@dataclass(frozen=True)
class Fix:
    description: str             # what --fix says it did: "wrote requirements.txt, build.python_requirements"
    edits: tuple[Edit, ...] = ()
    new_files: tuple[NewFile, ...] = ()


@dataclass(frozen=True)
class Finding:
    check: str                   # e.g. "config-deprecated-fields"
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    remediation: str = ""
    fix: Fix | None = None

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Project:
    """The project as files: cog.yaml's text and parse, and the config when it is valid."""

    root: Path
    config_name: str
    config_path: Path | None = None            # None: not found
    text: str | None = None
    source: YamlSource | None = None           # None: not read
    config: Any = None                         # cog_py.config.models.Config when valid
    config_warnings: list[str] = field(default_factory=list)
    config_errors: list[str] = field(default_factory=list)   # rendered lines `cog.yaml:4: ...`
    read_error: str | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    memo: dict[str, Any] = field(default_factory=dict)       # what several checks read (parsed sources)

    @property
    def data(self) -> dict[str, Any] | None:
        """The document as plain data when it is a mapping (also when it does not validate)."""
        if self.source is None or self.source.problems or not isinstance(self.source.data, dict):
            return None
        return self.source.data

    def line_of(self, *loc: str | int) -> int:
        return self.source.line_of(tuple(loc)) if self.source is not None else 1

    def skip(self, switch: str) -> bool:
        """Whether an environment switch such as COG_SKIP_DOCKER_CHECK is on."""
        return self.environ.get(switch, "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Check:
    name: str                    # "config-parse"
    title: str                   # "Config parsing"
    group: str                   # "Config" | "Python" | "Project" | "Environment"
    run: Callable[[Project], list[Finding]]


class Skipped(Exception):
    """Raised by a check that does not apply or was switched off; its text says why."""
