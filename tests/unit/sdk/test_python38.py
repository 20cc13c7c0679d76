"""What runs in the model's Python works on Python 3.8+ (checked statically with PyPI's vermin).

The SDK behind `from cog import ...`, the worker, coercion and the in-image schema probe run in
the model's interpreter, which may be 3.8. No 3.8 interpreter is assumed on the test machine:
vermin (`-t=3.8-`) reads the sources. Annotations are evaluated at import time unless the module
has `from __future__ import annotations`; so modules without it are checked with
`--eval-annotations` (where `dict[str, Any]` needs 3.9), and modules with it are checked with
their annotations removed, so that only what really runs on import is judged (a runtime
`X = dict[str, int]` alias still fails).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
# Entry points into the model's Python: everything they import from cog/cog_py, at any depth and
# also inside functions, is model-side.
ENTRY_FILES = ("cog/__init__.py", "cog/types.py", "cog/server/http.py", "cog_py/worker/__main__.py",
               "cog_py/predictor/schema_probe.py")
# The HTTP parent: cog/server/http.py execs it on its own interpreter (Python 3.9+, see
# SERVER_MIN_PYTHON in cog_py/build/planner.py), so its imports of the server are not followed.
PARENT_ONLY = ("cog_py.server",)


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] not in ("cog", "cog_py") or name.startswith(PARENT_ONLY):
        return None
    base = REPO.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    rel = path.relative_to(REPO).with_suffix("")
    package = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    # a module's parent packages run on import too
    for name in list(names):
        parts = name.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return names


def model_side_files() -> list[Path]:
    todo = [REPO / f for f in ENTRY_FILES]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            found = _module_file(name)
            if found is not None and found not in seen:
                todo.append(found)
    return sorted(seen)


class _StripAnnotations(ast.NodeTransformer):
    """Drop annotations that `from __future__ import annotations` keeps from being evaluated."""

    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        self.generic_visit(node)
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is None:
            return ast.Pass()
        return ast.Assign(targets=[node.target], value=self.visit(node.value), lineno=node.lineno)


_TYPE_NAMES = {"int", "str", "float", "bool", "bytes", "list", "dict", "tuple", "set", "frozenset", "type",
               "object", "complex", "bytearray"}


def _is_type_expr(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and node.value is None:
        return True
    if isinstance(node, ast.Name):
        return node.id in _TYPE_NAMES or node.id[:1].isupper() and not node.id.isupper()
    if isinstance(node, ast.Subscript):
        return _is_type_expr(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr[:1].isupper() and not node.attr.isupper()
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and _is_type_expr(node.left)


def pep604_unions(tree: ast.AST) -> list[int]:
    """Lines with `X | Y` of types outside unevaluated annotations (Python 3.10+). vermin's own
    `union-types` feature also flags `select.POLLIN | select.POLLHUP`; this looks for types only:
    None, builtin type names, CapWords names/attributes (not CONSTANTS) and their subscripts."""
    return sorted({n.lineno for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr)
                   and _is_type_expr(n.left) and _is_type_expr(n.right)})


def _has_future_annotations(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
               any(a.name == "annotations" for a in n.names) for n in tree.body)


def test_the_model_side_is_what_we_think() -> None:
    rels = {p.relative_to(REPO).as_posix() for p in model_side_files()}
    for expected in ("cog/__init__.py", "cog_py/sdk/__init__.py", "cog_py/worker/runtime.py",
                     "cog_py/predictor/coerce.py", "cog_py/predictor/schema_probe.py", "cog_py/protocol.py"):
        assert expected in rels, sorted(rels)
    # the parent's and the CLI's modules are not in the model's Python
    assert not any(r.startswith(("cog_py/server/", "cog_py/cli/", "cog_py/docker/")) for r in rels), sorted(rels)


def test_model_side_modules_run_on_python_3_8(tmp_path: Path) -> None:
    vermin = shutil.which("vermin") or (Path(sys.executable).parent / "vermin")
    if not Path(vermin).exists():
        pytest.fail("vermin is not installed: pip install -e '.[test]'")
    copies = []
    for path in model_side_files():
        tree = ast.parse(path.read_text(), str(path))
        if _has_future_annotations(tree):
            tree = ast.fix_missing_locations(_StripAnnotations().visit(tree))
        target = tmp_path / path.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(ast.unparse(tree) + "\n")
        copies.append(str(target))
        unions = pep604_unions(ast.parse(target.read_text()))
        assert not unions, f"{path.relative_to(REPO)}: `X | Y` union evaluated at run time (Python 3.10+): {target.read_text().splitlines()[unions[0] - 1]!r}"
    done = subprocess.run([str(vermin), "-t=3.8-", "--no-tips", "--violations", "--eval-annotations",
                           "--no-parse-comments", *copies], capture_output=True, text=True, timeout=300)
    report = done.stdout.replace(str(tmp_path) + "/", "")
    assert done.returncode == 0, f"needs a Python newer than 3.8 (file names relative to the repo):\n{report}"


def test_the_checker_catches_what_breaks_on_3_8(tmp_path: Path) -> None:
    """A test must be able to fail: the idioms that break a 3.8 import are caught."""
    vermin = shutil.which("vermin") or str(Path(sys.executable).parent / "vermin")
    cases = {
        "annotation.py": "from typing import Any\ndef f(x: dict[str, Any]) -> None: ...\n",
        "alias.py": "Pairs = list[tuple[int, int]]\n",
        "api.py": "import asyncio\nasync def f(g):\n    return await asyncio.to_thread(g)\n",
    }
    unions = "from typing import Optional\nX = str | None\ndef f(x: int | None, y: Optional[str]) -> Foo | Bar: ...\n"
    assert pep604_unions(ast.parse(unions)) == [2, 3]
    assert pep604_unions(ast.parse("import select\nflags = select.POLLIN | select.POLLHUP | 4\n")) == []
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        done = subprocess.run([vermin, "-t=3.8-", "--no-tips", "--violations", "--eval-annotations",
                               str(tmp_path / name)], capture_output=True, text=True, timeout=120)
        assert done.returncode != 0, f"{name} passed the 3.8 check:\n{done.stdout}"
