"""Exit 0 when this checkout's cog_py and every requirement of the given extras are installed.

    python scripts/deps_check.py server test

scripts/test and scripts/demo call it to decide whether `pip install -e '.[EXTRAS]'` is needed
(a no-op install costs seconds; this check costs ~0.2 s). It reads pyproject.toml, so an extra
added there is noticed before the next run. Prints what is missing, one line each.
"""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def missing(extras: list[str]) -> list[str]:
    try:
        import tomllib
    except ImportError:  # Python 3.10: let pip decide
        return ["cannot check (tomllib needs Python 3.11)"]
    try:
        from packaging.requirements import Requirement
    except ImportError:  # a bare venv: pip carries its own copy
        try:
            from pip._vendor.packaging.requirements import Requirement  # type: ignore[assignment]
        except ImportError as exc:
            return [f"cannot check ({exc.name} is not importable)"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project.get("dependencies", []))
    for extra in extras:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    problems = []
    for line in wanted:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req.name}: not installed")
            continue
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}: {version} installed, {req.specifier} wanted")
    try:
        import cog_py
    except ImportError:
        problems.append("cog_py: not installed")
    else:
        location = Path(cog_py.__file__).resolve()
        if ROOT not in location.parents:
            problems.append(f"cog_py: imported from {location.parent}, not from this checkout")
    return problems


if __name__ == "__main__":
    found = missing(sys.argv[1:])
    for problem in found:
        print(problem)
    sys.exit(1 if found else 0)
