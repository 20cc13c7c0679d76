"""Read Python source files with `ast` and resolve the names they bind, without importing them.

A `SourceModule` is one parsed file with its top-level bindings (classes, functions, constants,
imports). `Resolver.resolve(module, expr)` turns a name or dotted attribute into what it denotes:
a symbol of a well-known module (`Symbol("cog", "Path")`, `Symbol("typing", "Optional")`), a class
or function defined in a local file, a constant's expression, or a symbol of an external package
we do not read. Local modules are found by file path under the project directory, as the
predictor's `sys.path` (the project root) would find them.
"""

from __future__ import annotations

import ast
import builtins
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Union

from cog_py.errors import PredictorError

# Modules whose names we know by heart, mapped to one canonical name.
_SDK_ROOTS = ("cog", "cog_py")
_CANONICAL = {
    "typing": "typing",
    "typing_extensions": "typing",
    "collections.abc": "typing",
    "builtins": "builtins",
    "pathlib": "pathlib",
    "dataclasses": "dataclasses",
    "pydantic": "pydantic",
    "pydantic.v1": "pydantic",
    "pydantic.main": "pydantic",
}


# What `from cog import *` binds (the SDK's public names).
SDK_NAMES = frozenset({
    "AsyncConcatenateIterator", "BaseModel", "BasePredictor", "BatchScope", "BaseRunner", "CancelationException",
    "ConcatenateIterator", "ExperimentalFeatureWarning", "FieldInfo", "File", "Input", "Opaque", "Path",
    "Scope", "Secret", "TrainingOutput", "URLFile", "URLPath", "batch", "concurrent", "current_scope",
    "emit_metric", "streaming",
})


def canonical_module(name: str) -> str | None:
    """Return the canonical name of a module we understand, or None for any other module."""
    root = name.split(".", 1)[0]
    if root in _SDK_ROOTS:
        return "cog"
    if root == "pydantic":
        return "pydantic"
    return _CANONICAL.get(name)


@dataclass(frozen=True)
class Symbol:
    """A name exported by a module we do not read: `cog`, `typing`, `builtins` or a package."""

    module: str
    name: str

    @property
    def known(self) -> bool:
        return canonical_module(self.module) is not None


@dataclass(frozen=True)
class ModuleSymbol:
    """A module we do not read (bound by `import x`)."""

    name: str


@dataclass(frozen=True)
class Import:
    """One imported binding: `module` (absolute or relative with `level` dots), `name` or None."""

    module: str
    name: str | None
    level: int
    node: ast.stmt


@dataclass(eq=False)
class SourceModule:
    """One parsed Python file and its top-level bindings, in source order (last wins)."""

    path: Path
    display: str
    tree: ast.Module
    bindings: dict[str, ast.AST | Import] = field(default_factory=dict)
    star_imports: list[Import] = field(default_factory=list)

    def line_prefix(self, node: ast.AST | None) -> str:
        """Return `file:line: ` for messages about `node`."""
        line = getattr(node, "lineno", None)
        return f"{self.display}:{line}: " if line else f"{self.display}: "


@dataclass(frozen=True)
class LocalClass:
    module: SourceModule
    node: ast.ClassDef


@dataclass(frozen=True)
class LocalFunction:
    module: SourceModule
    node: ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True)
class LocalModule:
    module: SourceModule


@dataclass(frozen=True)
class Constant:
    """A name bound by an assignment: its value expression, evaluated lazily in `module`."""

    module: SourceModule
    expr: ast.expr


# Names bound in a class body (or a helper's parameters) that shadow the module's.
Scope = Mapping[str, ast.AST]

Resolved = Union[Symbol, ModuleSymbol, LocalClass, LocalFunction, LocalModule, Constant, None]


def _collect(module: SourceModule, body: list[ast.stmt], *, override: bool = True) -> None:
    """Record the bindings of a block; branches that only run on failure do not override."""
    for stmt in body:
        names: list[tuple[str, ast.AST | Import]] = []
        if isinstance(stmt, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append((stmt.name, stmt))
        elif isinstance(stmt, ast.Import):
            for alias in stmt.names:
                if alias.asname:
                    names.append((alias.asname, Import(alias.name, None, 0, stmt)))
                else:
                    top = alias.name.split(".", 1)[0]
                    names.append((top, Import(top, None, 0, stmt)))
        elif isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if alias.name == "*":
                    module.star_imports.append(Import(stmt.module or "", None, stmt.level, stmt))
                    continue
                imp = Import(stmt.module or "", alias.name, stmt.level, stmt)
                names.append((alias.asname or alias.name, imp))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                names.append((target.id, stmt.value))
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            names.append((stmt.target.id, stmt.value))
        elif isinstance(stmt, ast.If):
            _collect(module, stmt.body, override=override)
            _collect(module, stmt.orelse, override=False)
        elif isinstance(stmt, ast.Try):
            _collect(module, stmt.body, override=override)
            for handler in stmt.handlers:
                _collect(module, handler.body, override=False)
        for name, value in names:
            if override or name not in module.bindings:
                module.bindings[name] = value


class Resolver:
    """Parses files on demand (once each) and resolves names across local modules."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir.resolve()
        self._modules: dict[Path, SourceModule] = {}

    def load(self, path: Path) -> SourceModule:
        """Parse `path` (once); a syntax error is the user's to fix."""
        path = path.resolve()
        cached = self._modules.get(path)
        if cached is not None:
            return cached
        try:
            display = str(path.relative_to(self.project_dir))
        except ValueError:
            display = str(path)
        try:
            source = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PredictorError(f"{display}: cannot read file: {exc.strerror or exc}") from exc
        try:
            tree = ast.parse(source, filename=display)
        except SyntaxError as exc:
            raise PredictorError(
                f"{display}:{exc.lineno}: invalid Python syntax: {exc.msg}",
                hint=f"fix the syntax error in {display}",
            ) from exc
        module = SourceModule(path=path, display=display, tree=tree)
        _collect(module, tree.body)
        self._modules[path] = module
        return module

    def find_module_file(self, name: str, level: int, importer: SourceModule) -> Path | None:
        """Find the file of a local module, absolute from the project root or relative."""
        parts = [p for p in name.split(".") if p]
        if level:
            base = importer.path.parent
            for _ in range(level - 1):
                base = base.parent
            roots = [base]
        else:
            roots = [self.project_dir, importer.path.parent]
        for root in roots:
            stem = root.joinpath(*parts) if parts else root
            for candidate in (stem.with_suffix(".py") if parts else None, stem / "__init__.py"):
                if candidate is not None and candidate.is_file():
                    return candidate
        return None

    def resolve_import(self, module: SourceModule, imp: Import, seen: frozenset[str]) -> Resolved:
        """Follow an import to what it binds."""
        if imp.level == 0:
            canon = canonical_module(imp.module)
            if canon is not None:
                return ModuleSymbol(canon) if imp.name is None else Symbol(canon, imp.name)
        path = self.find_module_file(imp.module, imp.level, module)
        if path is None:
            if imp.name is None:
                return ModuleSymbol(imp.module)
            return Symbol(("." * imp.level) + imp.module, imp.name)
        target = self.load(path)
        if imp.name is None:
            return LocalModule(target)
        found = self.resolve_name(target, imp.name, seen)
        if found is not None:
            return found
        sub = self.find_module_file(f"{imp.module}.{imp.name}", imp.level, module)
        if sub is not None:
            return LocalModule(self.load(sub))
        return Symbol(("." * imp.level) + imp.module, imp.name)

    def resolve_name(
        self,
        module: SourceModule,
        name: str,
        seen: frozenset[str] = frozenset(),
        scope: Scope | None = None,
    ) -> Resolved:
        """Resolve a bare name: local scope, then module bindings, then builtins."""
        if scope and name in scope:
            bound_here = scope[name]
            if isinstance(bound_here, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return LocalFunction(module, bound_here)
            if isinstance(bound_here, ast.expr):
                return Constant(module, bound_here)
        key = f"{module.path}:{name}"
        if key in seen:
            return None
        seen = seen | {key}
        bound = module.bindings.get(name)
        if isinstance(bound, ast.ClassDef):
            return LocalClass(module, bound)
        if isinstance(bound, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return LocalFunction(module, bound)
        if isinstance(bound, Import):
            return self.resolve_import(module, bound, seen)
        if isinstance(bound, ast.expr):
            return Constant(module, bound)
        for star in module.star_imports:
            found = self._from_star(module, star, name, seen)
            if found is not None:
                return found
        if hasattr(builtins, name):
            return Symbol("builtins", name)
        return None

    def _from_star(self, module: SourceModule, star: Import, name: str, seen: frozenset[str]) -> Resolved:
        """Resolve `name` through `from X import *`, where X is a module we can list."""
        canon = canonical_module(star.module) if star.level == 0 else None
        if canon == "cog":
            return Symbol("cog", name) if name in SDK_NAMES else None
        if canon == "typing":
            return Symbol("typing", name) if hasattr(typing, name) else None
        if canon is not None:
            return None
        path = self.find_module_file(star.module, star.level, module)
        if path is None:
            return None
        return self.resolve_name(self.load(path), name, seen)

    def resolve(
        self, module: SourceModule, expr: ast.expr, scope: Scope | None = None
    ) -> Resolved:
        """Resolve a Name or dotted Attribute expression; anything else resolves to None."""
        if isinstance(expr, ast.Name):
            return self.resolve_name(module, expr.id, scope=scope)
        if isinstance(expr, ast.Attribute):
            base = self.resolve(module, expr.value, scope)
            return self.attribute(base, expr.attr)
        return None

    def attribute(self, base: Resolved, attr: str) -> Resolved:
        """Resolve `base.attr`."""
        if isinstance(base, ModuleSymbol):
            canon = canonical_module(base.name)
            if canon == "cog" and attr == "types":
                return base
            if canon in ("typing", "pydantic", "cog", "builtins", "pathlib", "dataclasses"):
                return Symbol(canon, attr)
            if attr[:1].islower():
                return ModuleSymbol(f"{base.name}.{attr}")
            return Symbol(base.name, attr)
        if isinstance(base, LocalModule):
            found = self.resolve_name(base.module, attr)
            if found is not None:
                return found
            if base.module.path.name != "__init__.py":
                return None
            sub = self.find_module_file(attr, 1, base.module)
            return LocalModule(self.load(sub)) if sub is not None else None
        if isinstance(base, Symbol) and not base.known:
            return Symbol(f"{base.module}.{base.name}", attr)
        return None
