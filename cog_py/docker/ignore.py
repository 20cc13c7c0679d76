"""`.dockerignore` matching with Docker's own rules (the SDK's pattern matcher)."""

from __future__ import annotations

from pathlib import Path

from docker.utils.build import exclude_paths


def read_dockerignore(root: Path) -> list[str]:
    """Patterns of `root/.dockerignore` (comments and blank lines dropped)."""
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    patterns = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            patterns.append(line)
    return patterns


def included_paths(root: Path, patterns: list[str]) -> list[str]:
    """Project-relative POSIX paths (files and directories) that a build context would send."""
    kept = exclude_paths(str(root), patterns)
    return sorted(p.replace("\\", "/") for p in kept if p not in ("", "."))
