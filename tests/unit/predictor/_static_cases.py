"""Fixture discovery for the static-inspection tests: single files and small projects."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "static"


@dataclass(frozen=True)
class Case:
    """One predictor to inspect: where its files are and how cog.yaml would name it."""

    name: str
    source: Path  # a single .py file, or a project directory
    ref: str
    mode: str
    headers: dict[str, str]

    @property
    def is_file(self) -> bool:
        return self.source.is_file()

    def materialise(self, dest: Path, *, against_cog_py: bool = False) -> Path:
        """Copy the case into `dest` (a single file becomes predict.py) and return the project dir."""
        if self.source.is_dir():
            shutil.copytree(self.source, dest, dirs_exist_ok=True)
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.source, dest / "predict.py")
        if against_cog_py:
            for path in dest.rglob("*.py"):
                path.write_text(to_cog_py(path.read_text()))
        return dest


def headers(path: Path) -> dict[str, str]:
    """Read the `# key: value` lines at the top of a fixture file."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = re.match(r"#\s*(\w+):\s*(.*)$", line)
        if not match:
            break
        found[match.group(1)] = match.group(2).strip()
    return found


def _case(name: str, source: Path, main: Path) -> Case:
    head = headers(main)
    ref = head.get("ref", "Predictor")
    if ":" not in ref:
        ref = f"predict.py:{ref}"
    return Case(name, source, ref, head.get("mode", "predict"), head)


def cases(kind: str) -> list[Case]:
    """The fixtures under `ok/` or `errors/`, plus `projects/` for `ok`."""
    found = [_case(p.stem, p, p) for p in sorted((FIXTURES / kind).glob("*.py"))]
    if kind == "ok":
        for project in sorted((FIXTURES / "projects").iterdir()):
            mains = list(project.rglob("predict.py"))
            found.append(_case(f"project_{project.name}", project, mains[0]))
    return found


def to_cog_py(source: str) -> str:
    """Rewrite a model written against `cog` to import `cog_py` instead."""
    source = re.sub(r"^from cog(\.types)? import", r"from cog_py\1 import", source, flags=re.M)
    source = re.sub(r"^import cog\.types$", "import cog_py.types", source, flags=re.M)
    source = re.sub(r"\bcog\.types\.", "cog_py.types.", source)
    source = re.sub(r"^import cog$", "import cog_py", source, flags=re.M)
    return re.sub(r"\bcog\.(?=[A-Za-z])", "cog_py.", source)


@contextmanager
def isolated_imports() -> Iterator[None]:
    """Forget modules and sys.path entries a runtime load adds, so fixtures do not leak."""
    modules = set(sys.modules)
    path = list(sys.path)
    try:
        yield
    finally:
        for name in set(sys.modules) - modules:
            del sys.modules[name]
        sys.path[:] = path
