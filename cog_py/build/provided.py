"""Warn at build time about imports of packages Cog 0.16 put in the model's environment.

Cog installed pydantic, fastapi and attrs with its SDK, so predictors written for it often import
them without listing them; cog_py's SDK needs none of them (requests, pyyaml and typing_extensions
are installed for every model, see planner.COG_PROVIDED). Reading the predictor's own files with
`ast` finds such imports before anything is built; the worker's setup error says the same later.
"""

from __future__ import annotations

import ast
from pathlib import Path

from cog_py.build.requirements import normalize_name, package_name
from cog_py.config.models import Config

# The modules of predictor.loader.COG_016_PROVIDED (a test keeps the two equal): importing the
# loader costs a code-only `cog build` ~18 ms, and most predictors import none of them.
_COG_016_NAMES = frozenset({"pydantic", "fastapi", "attr", "attrs"})


def _imports(tree: ast.Module) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".", 1)[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".", 1)[0], node.lineno))
    return found


def undeclared_cog_packages(config: Config) -> list[str]:
    """One warning per package Cog 0.16 provided that the predictor/trainer imports undeclared."""
    declared = {package_name(line.strip()) for line in config.build.requirements}
    warnings: list[str] = []
    seen: set[str] = set()
    for ref in (config.predict, config.train):
        if not ref:
            continue
        rel = ref.split(":", 1)[0]
        path = config.project_dir / rel
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue  # the schema step reports unreadable predictors
        for module, line in _imports(tree):
            if module not in _COG_016_NAMES:
                continue
            from cog_py.predictor.loader import COG_016_PROVIDED   # the predictor loader, only when needed

            requirement = COG_016_PROVIDED.get(module)
            if requirement is None or module in seen:
                continue
            if normalize_name(requirement.split("<")[0]) in declared:
                continue
            seen.add(module)
            warnings.append(
                f"{rel}:{line} imports {module}, which Cog 0.16 installed with its SDK and cog_py does not: "
                f"add '{requirement}' to your requirements, or setup fails with ModuleNotFoundError"
            )
    return warnings
