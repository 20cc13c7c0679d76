"""Checks of the model's Python source, read with `ast` (nothing is imported): imports Cog
removed, pydantic outputs that need cog.BaseModel under Cog, missing return annotations, and
`Input(default=None)` on a non-Optional type (information only)."""

from __future__ import annotations

import ast

from cog_py.doctor.edits import import_from_source, remove_statements, replace_statement
from cog_py.doctor.model import Edit, Finding, Fix, Project, Skipped
from cog_py.doctor.sources import Source, entry_functions, parents, project_sources, read_source, targets

REMOVED_IMPORTS = {
    "ExperimentalFeatureWarning": (
        "ExperimentalFeatureWarning was removed in cog 0.17; current_scope().record_metric() replaces "
        "the experimental metrics it warned about (cog_py still exports it, Cog >= 0.17 fails on this import)",
        "Remove the import and the warnings.filterwarnings(...) that uses it; record metrics with "
        "current_scope().record_metric()",
    ),
}


def _holders(tree: ast.Module) -> dict[int, list[ast.stmt]]:
    return {key: body for key, (_, body) in parents(tree).items()}


def _is_cog_module(module: str | None) -> bool:
    return module is not None and (module == "cog" or module.startswith("cog."))


def check_deprecated_imports(project: Project) -> list[Finding]:
    findings = []
    for source in project_sources(project):
        for node in ast.walk(source.tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and _is_cog_module(node.module):
                for alias in node.names:
                    if alias.name in REMOVED_IMPORTS:
                        message, remediation = REMOVED_IMPORTS[alias.name]
                        findings.append(Finding("python-deprecated-imports", "warning", message, source.rel,
                                                node.lineno, remediation=remediation,
                                                fix=_removed_import_fix(source, node, alias)))
            elif isinstance(node, ast.Attribute) and node.attr in REMOVED_IMPORTS \
                    and isinstance(node.value, ast.Name) and node.value.id == "cog":
                message, remediation = REMOVED_IMPORTS[node.attr]
                findings.append(Finding("python-deprecated-imports", "warning", message, source.rel, node.lineno,
                                        remediation=remediation))
    return findings


def _removed_import_fix(source: Source, node: ast.ImportFrom, alias: ast.alias) -> Fix | None:
    lines = source.lines
    local = alias.asname or alias.name
    rest = [a for a in node.names if a is not alias]
    uses = [n for n in ast.walk(source.tree) if isinstance(n, ast.Name) and n.id == local]
    statements: list[ast.stmt] = []
    for stmt in ast.walk(source.tree):
        # the statements that use the name: only plain call statements (warnings.filterwarnings(...))
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and any(isinstance(n, ast.Name) and n.id == local for n in ast.walk(stmt)):
            statements.append(stmt)
    covered = {id(n) for s in statements for n in ast.walk(s)}
    if any(id(u) not in covered for u in uses):
        return None   # used some other way: removing it would break the code
    edits: list[Edit] = []
    if rest:
        edit = replace_statement(lines, node, import_from_source(node, rest), source.rel)
        if edit is None:
            return None
        edits.append(edit)
    else:
        statements.append(node)
    if statements:
        removal = remove_statements(lines, sorted(statements, key=lambda s: s.lineno), _holders(source.tree), source.rel)
        if removal is None:
            return None
        edits.extend(removal)
    return Fix(f"removed the import of {alias.name}" + (" and its uses" if len(statements) > 1 or (rest and statements) else ""),
               edits=tuple(edits))


# -- pydantic.BaseModel with arbitrary_types_allowed ---------------------------------------------

def _pydantic_bases(tree: ast.Module) -> tuple[dict[str, ast.ImportFrom], set[str]]:
    """Names bound to pydantic.BaseModel (with their import) and names bound to the module."""
    names: dict[str, ast.ImportFrom] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in ("pydantic", "pydantic.main"):
            for alias in node.names:
                if alias.name == "BaseModel":
                    names[alias.asname or alias.name] = node
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pydantic":
                    modules.add(alias.asname or alias.name)
    return names, modules


def _config_statement(cls: ast.ClassDef) -> ast.stmt | None:
    """The `model_config = ConfigDict(arbitrary_types_allowed=True)` or `class Config:` that allows it."""
    for item in cls.body:
        if isinstance(item, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "model_config" for t in item.targets):
            value = item.value
            if isinstance(value, ast.Call) and any(k.arg == "arbitrary_types_allowed" and _true(k.value)
                                                   for k in value.keywords):
                return item
            if isinstance(value, ast.Dict) and any(isinstance(k, ast.Constant) and k.value == "arbitrary_types_allowed"
                                                   and _true(v) for k, v in zip(value.keys, value.values)):
                return item
        if isinstance(item, ast.ClassDef) and item.name == "Config":
            for inner in item.body:
                if isinstance(inner, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "arbitrary_types_allowed"
                                                         for t in inner.targets) and _true(inner.value):
                    return item
    return None


def _true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def check_pydantic_basemodel(project: Project) -> list[Finding]:
    findings = []
    for source in project_sources(project):
        names, modules = _pydantic_bases(source.tree)
        if not names and not modules:
            continue
        flagged: list[tuple[ast.ClassDef, ast.stmt, str | None]] = []
        users: list[ast.ClassDef] = []
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.ClassDef):
                continue
            base = next((b.id for b in node.bases if isinstance(b, ast.Name) and b.id in names), None)
            via_module = any(isinstance(b, ast.Attribute) and b.attr == "BaseModel" and isinstance(b.value, ast.Name)
                             and b.value.id in modules for b in node.bases)
            if base is None and not via_module:
                continue
            users.append(node)
            config = _config_statement(node)
            if config is not None:
                flagged.append((node, config, base))
        for cls, config, base in flagged:
            fix = _basemodel_fix(source, cls, config, base, names, users) if base == "BaseModel" else None
            findings.append(Finding(
                "python-pydantic-basemodel", "warning",
                f"{cls.name} inherits from pydantic.BaseModel with arbitrary_types_allowed; use cog.BaseModel instead "
                "(cog_py accepts the pydantic form, Cog's newer SDK does not)",
                source.rel, cls.lineno,
                remediation=f"class {cls.name}(BaseModel) with `from cog import BaseModel`, and drop the "
                "arbitrary_types_allowed setting: cog.BaseModel takes Path and File fields as they are",
                fix=fix))
    return findings


def _basemodel_fix(source: Source, cls: ast.ClassDef, config: ast.stmt, base: str | None,
                   names: dict[str, ast.ImportFrom], users: list[ast.ClassDef]) -> Fix | None:
    """Only the plain shape: `from pydantic import BaseModel[, ConfigDict]` on one line, every class
    built on it flagged... one class at a time, and a config that sets nothing else."""
    if base != "BaseModel" or len(users) != 1:
        return None
    if isinstance(config, ast.Assign) and isinstance(config.value, ast.Call) and \
            (len(config.value.keywords) != 1 or config.value.args):
        return None
    if isinstance(config, ast.ClassDef) and len(config.body) != 1:
        return None
    lines = source.lines
    pydantic_import = names["BaseModel"]
    removal = remove_statements(lines, [config], _holders(source.tree), source.rel)
    if removal is None:
        return None
    drop = {"BaseModel"}
    config_dict_uses = [n for n in ast.walk(source.tree) if isinstance(n, ast.Name) and n.id == "ConfigDict"]
    inside = {id(n) for n in ast.walk(config)}
    if config_dict_uses and all(id(n) in inside for n in config_dict_uses):
        drop.add("ConfigDict")
    kept = [a for a in pydantic_import.names if (a.asname or a.name) not in drop]
    cog_import = next((n for n in source.tree.body if isinstance(n, ast.ImportFrom) and n.module == "cog"
                       and n.level == 0 and not any(a.name == "*" for a in n.names)), None)
    edits: list[Edit] = list(removal)
    new_pydantic = (import_from_source(pydantic_import, kept),) if kept else ()
    if cog_import is not None:
        if not any(a.name == "BaseModel" and not a.asname for a in cog_import.names):
            added = import_from_source(cog_import, [*cog_import.names, ast.alias(name="BaseModel")])
            edit = replace_statement(lines, cog_import, added, source.rel)
            if edit is None:
                return None
            edits.append(edit)
        extra: tuple[str, ...] = ()
    else:
        extra = ("from cog import BaseModel",)
    if cog_import is not None and cog_import.lineno == pydantic_import.lineno:
        return None
    old = lines[pydantic_import.lineno - 1]
    if pydantic_import.end_lineno != pydantic_import.lineno or old.strip() != ast.get_source_segment(source.text, pydantic_import):
        return None
    indent = old[: len(old) - len(old.lstrip())]
    edits.append(Edit(source.rel, pydantic_import.lineno, old, tuple(indent + s for s in (*new_pydantic, *extra))))
    return Fix(f"{cls.name} now inherits from cog.BaseModel", edits=tuple(edits))


# -- annotations ---------------------------------------------------------------------------------

def check_missing_annotations(project: Project) -> list[Finding]:
    findings = []
    for target in targets(project):
        source = read_source(project.root, target.file)
        if source is None:
            continue
        for shown, func in entry_functions(source.tree, target):
            if func.returns is None:
                selfarg = "self, " if "." in shown else ""
                findings.append(Finding(
                    "python-missing-type-annotations", "warning", f"{shown} has no return type annotation",
                    source.rel, func.lineno,
                    remediation=f"Annotate the return type: def {func.name}({selfarg}...) -> YourType:"))
    return findings


def _optional(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation).replace(" ", "")
    return ("Optional[" in text or "|None" in text or "None|" in text or text in ("Any", "typing.Any", "None")
            or (text.startswith(("Union[", "typing.Union[")) and "None" in text))


def _default_none(default: ast.expr) -> str | None:
    """`None` or `Input(default=None, ...)`: how it is written, else None."""
    if isinstance(default, ast.Constant) and default.value is None:
        return "None"
    if isinstance(default, ast.Call) and getattr(default.func, "id", getattr(default.func, "attr", None)) == "Input":
        if any(k.arg == "default" and isinstance(k.value, ast.Constant) and k.value.value is None for k in default.keywords):
            return "Input(default=None)"
    return None


def check_optional_inputs(project: Project) -> list[Finding]:
    """Information: inputs that are optional here but required under Cog >= 0.17."""
    if not targets(project):
        raise Skipped("no predictor in cog.yaml")
    findings = []
    for target in targets(project):
        source = read_source(project.root, target.file)
        if source is None:
            continue
        for shown, func in entry_functions(source.tree, target):
            args = func.args.args + func.args.kwonlyargs
            defaults = [None] * (len(func.args.args) - len(func.args.defaults)) + list(func.args.defaults) \
                + list(func.args.kw_defaults)
            for arg, default in zip(args, defaults):
                written = _default_none(default) if default is not None else None
                if written is None or arg.annotation is None or _optional(arg.annotation):
                    continue
                kind = ast.unparse(arg.annotation)
                findings.append(Finding(
                    "python-optional-input", "info",
                    f"{shown}: `{arg.arg}: {kind} = {written}` is optional in cog_py but required in Cog >= 0.17",
                    source.rel, arg.lineno,
                    remediation=f"Annotate it Optional[{kind}] (or {kind} | None) to keep it optional under Cog too"))
    return findings
