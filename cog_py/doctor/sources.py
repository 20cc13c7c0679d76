"""The project's Python files as `ast` trees (read, never imported), and the predictor targets."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from cog_py.doctor.model import Project

MAX_FILES = 2000
_REF = re.compile(r"^(?P<file>[^:]+\.py):(?P<name>[A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class Source:
    rel: str                     # project-relative POSIX path
    text: str
    tree: ast.Module

    @property
    def lines(self) -> list[str]:
        from cog_py.doctor.edits import lines_of

        return lines_of(self.text)


def read_source(root: Path, rel: str) -> Source | None:
    """The file parsed, or None when it cannot be read or parsed (other checks report that)."""
    try:
        text = (root / rel).read_text(encoding="utf-8")
        return Source(rel, text, ast.parse(text, filename=rel))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError):
        return None


def python_files(project: Project) -> list[str]:
    """The .py files a build would copy into the image (`.dockerignore` respected), sorted."""
    from cog_py.build.context import scan_project

    try:
        files = scan_project(project.root).files()
    except OSError:
        return []
    return [f for f in files if f.endswith(".py")][:MAX_FILES]


def project_sources(project: Project) -> list[Source]:
    """Every Python file of the project that parses (read once per doctor run)."""
    if "sources" not in project.memo:
        found = [read_source(project.root, rel) for rel in python_files(project)]
        project.memo["sources"] = [s for s in found if s is not None]
    sources: list[Source] = project.memo["sources"]
    return sources


@dataclass(frozen=True)
class Target:
    key: str                     # "predict" | "run" | "train"
    file: str
    name: str


def targets(project: Project) -> list[Target]:
    """The predictor/trainer references of cog.yaml that have the `file.py:Name` form."""
    data = project.data or {}
    found = []
    for key in ("run", "predict", "train"):
        ref = data.get(key)
        match = _REF.match(ref.strip()) if isinstance(ref, str) else None
        if match:
            found.append(Target(key, match["file"], match["name"]))
    return found


def top_level(tree: ast.Module, name: str) -> ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    return None


ENTRY_POINTS = ("predict", "run", "train")


def entry_functions(tree: ast.Module, target: Target) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    """(display name, def) of the target's predict/run/train method, or the target function."""
    node = top_level(tree, target.name)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [(f"{node.name}()", node)]
    if isinstance(node, ast.ClassDef):
        return [(f"{node.name}.{item.name}()", item) for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in ENTRY_POINTS]
    return []


def parents(tree: ast.AST) -> dict[int, tuple[ast.AST, list[ast.stmt]]]:
    """id(statement) -> (its parent node, the statement list that holds it)."""
    found: dict[int, tuple[ast.AST, list[ast.stmt]]] = {}
    for node in ast.walk(tree):
        for attr in ("body", "orelse", "finalbody"):
            body = getattr(node, attr, None)
            if isinstance(body, list):
                for stmt in body:
                    if isinstance(stmt, ast.stmt):
                        found[id(stmt)] = (node, body)
    return found


def enclosing_statement(tree: ast.Module, target: ast.AST) -> ast.stmt | None:
    """The innermost statement that contains `target`."""
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and any(child is target for child in ast.walk(node)):
            if best is None or (node.lineno, node.col_offset) >= (best.lineno, best.col_offset):
                if best is None or _contains(best, node):
                    best = node
    return best


def _contains(outer: ast.stmt, inner: ast.stmt) -> bool:
    return any(child is inner for child in ast.walk(outer))
