"""The import rule of ARCHITECTURE.md: every layer imports only downward.

Each cog_py subpackage or top-level module ("unit") has a layer in LAYERS; a unit may import a
unit of a lower layer, never one above, and one of its own layer only when SAME_LAYER names the
pair. FORBIDDEN adds the few edges the layers alone would allow but the design does not (the
server never reaches the docker adapter or user config; server and worker meet only in
`cog_py.protocol`). Every `import` counts: top of module, inside functions, under TYPE_CHECKING.

A new package must be placed here: one the table does not know fails `test_every_unit_is_placed`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lowest first. A unit may import units of earlier (lower) layers.
LAYER_ORDER = ("base", "sdk", "core", "runtime", "app", "cli")

LAYERS: dict[str, str] = {
    # base: no cog_py imports but each other's (errors, version, label keys, the UI protocol)
    "cog_py._version": "base",
    "cog_py._record": "base",
    "cog_py.errors": "base",
    "cog_py.labels": "base",
    "cog_py.ui": "base",
    # sdk: the public SDK (the package root re-exports it), standard library only
    "cog_py": "sdk",
    "cog_py.sdk": "sdk",
    "cog_py.scope": "sdk",
    "cog_py.types": "sdk",
    # core: reading config and predictors, the docker adapter, the parent/worker messages
    "cog_py.config": "core",
    "cog_py.predictor": "core",
    "cog_py.docker": "core",
    "cog_py.protocol": "core",
    "cog_py.templates": "core",
    "cog_py.playground": "core",     # static assets + a tiny proxy; imported by server and cli
    # runtime: the two processes inside the image
    "cog_py.server": "runtime",
    "cog_py.worker": "runtime",
    # app: what the CLI drives on the user's machine
    "cog_py.build": "app",
    "cog_py.run": "app",
    "cog_py.deploy": "app",          # reads config, renders manifests
    "cog_py.doctor": "app",
    "cog_py.ray": "app",
    # cli: typer commands, the one error boundary
    "cog_py.cli": "cli",
}

# Same-layer imports that are allowed (importer, imported).
SAME_LAYER: set[tuple[str, str]] = {
    ("cog_py", "cog_py.sdk"),            # the package root re-exports the SDK ...
    ("cog_py", "cog_py.scope"),
    ("cog_py", "cog_py.types"),
    ("cog_py.sdk", "cog_py.scope"),      # ... whose runner base class reads the current scope
    ("cog_py.run", "cog_py.build"),      # a local run builds the dev image
    ("cog_py.doctor", "cog_py.build"),   # doctor asks the build plan and its version tables
    ("cog_py.build", "cog_py.ray"),      # --with-ray installs the Ray release cog_py.ray is made for
}

# Downward imports that are still not allowed (importer, imported).
FORBIDDEN: set[tuple[str, str]] = {
    ("cog_py.server", "cog_py.docker"),
    ("cog_py.server", "cog_py.config"),
    ("cog_py.server", "cog_py.predictor"),   # user code is imported by the worker only
    ("cog_py.worker", "cog_py.docker"),
    ("cog_py.worker", "cog_py.config"),
}


def unit_of(module: str) -> str | None:
    """The longest LAYERS key that is `module` or a package above it; None outside cog_py."""
    parts = module.split(".")
    if parts[0] != "cog_py":
        return None
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name
    return None


def module_name(package_root: Path, path: Path) -> str:
    parts = list(path.relative_to(package_root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, module: str, *, full: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in the file, at any depth; `full` gives
    `from a import b` as `a.b` always (b may be a module or a name in a)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                # `from cog_py import protocol` imports the unit cog_py.protocol, not the package root
                name = f"{base}.{alias.name}"
                yield node.lineno, name if full or unit_of(name) != unit_of(base) else base


def violations(package_root: Path) -> list[str]:
    """Every import that breaks the rule, as `file:line: importer (layer) -> imported (layer)`."""
    found: list[str] = []
    for path in sorted(package_root.rglob("*.py")):
        module = module_name(package_root, path)
        src = unit_of(module)
        if src is None:
            continue  # reported by test_every_unit_is_placed
        for line, target in imported_modules(path, module):
            dst = unit_of(target)
            if dst is None or dst == src:
                continue
            lo, hi = LAYER_ORDER.index(LAYERS[dst]), LAYER_ORDER.index(LAYERS[src])
            upward = lo > hi or (lo == hi and (src, dst) not in SAME_LAYER)
            if upward or (src, dst) in FORBIDDEN:
                rel = path.relative_to(package_root.parent)
                why = "forbidden" if not upward else ("same layer" if lo == hi else "upward")
                message = f"{rel}:{line}: {src} ({LAYERS[src]}) -> {dst} ({LAYERS[dst]}): {why}"
                if message not in found:
                    found.append(message)
    return found


def unplaced(package_root: Path) -> list[str]:
    """Top-level modules and subpackages of cog_py that LAYERS does not name."""
    names = []
    for child in sorted(package_root.iterdir()):
        if child.name.startswith((".", "__")):
            continue
        if child.is_dir() and (child / "__init__.py").is_file():
            name = f"cog_py.{child.name}"
        elif child.suffix == ".py":
            name = f"cog_py.{child.stem}"
        else:
            continue
        if name not in LAYERS:
            names.append(name)
    return names


def test_every_unit_is_placed() -> None:
    missing = unplaced(ROOT / "cog_py")
    assert not missing, f"place these in LAYERS (tests/unit/test_architecture.py) and ARCHITECTURE.md: {missing}"


def test_every_import_goes_downward() -> None:
    bad = violations(ROOT / "cog_py")
    assert not bad, "imports against the layering of ARCHITECTURE.md:\n" + "\n".join(bad)


def test_the_rule_catches_a_reverse_import(tmp_path: Path) -> None:
    """The checker itself can fail: a config module that imports the CLI, a server module that
    imports the worker, a function-level import and a relative one are all caught."""
    pkg = tmp_path / "cog_py"
    for sub in ("config", "cli", "server", "worker", "run", "build"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "config" / "bad.py").write_text("from cog_py.cli.options import read_config\n")
    (pkg / "server" / "bad.py").write_text("def f():\n    import cog_py.worker.runtime\n")
    (pkg / "build" / "bad.py").write_text("from ..run import flow\n")
    (pkg / "run" / "good.py").write_text("from cog_py.build import image\nfrom cog_py.config import models\n")
    (pkg / "mystery").mkdir()
    (pkg / "mystery" / "__init__.py").write_text("")
    bad = violations(pkg)
    assert [b.split(":")[0] for b in bad] == ["cog_py/build/bad.py", "cog_py/config/bad.py", "cog_py/server/bad.py"]
    assert "cog_py.config (core) -> cog_py.cli (cli): upward" in bad[1]
    assert "same layer" in bad[2]
    assert unplaced(pkg) == ["cog_py.mystery"]


def test_the_documented_rule_matches_the_table() -> None:
    """ARCHITECTURE.md names every unit of the table (so the two cannot drift apart)."""
    text = (ROOT / "ARCHITECTURE.md").read_text()
    missing = [name for name in LAYERS if f"`{name}`" not in text]
    assert not missing, f"ARCHITECTURE.md does not place: {missing}"


def test_the_test_tree_mirrors_the_package_tree() -> None:
    """tests/unit/X/ holds the tests of cog_py/X/ (examples/ tests the repository's examples)."""
    strays = [d.name for d in sorted((ROOT / "tests" / "unit").iterdir())
              if d.is_dir() and not d.name.startswith((".", "_")) and d.name != "examples"
              and not (ROOT / "cog_py" / d.name / "__init__.py").is_file()]
    assert not strays, f"tests/unit/ folders that name no cog_py package: {strays}"


def test_cli_commands_share_options_through_one_module() -> None:
    """Command modules import cli.console and cli.options, never each other (one floor)."""
    bad = sibling_imports(ROOT / "cog_py")
    assert not bad, "shared options belong in cog_py/cli/options.py:\n" + "\n".join(bad)


def sibling_imports(package_root: Path) -> list[str]:
    shared = ("cog_py.cli.console", "cog_py.cli.options")
    bad = []
    for path in sorted((package_root / "cli").glob("*.py")):
        module = module_name(package_root, path)
        for line, target in imported_modules(path, module, full=True):
            if not target.startswith("cog_py.cli.") or target.startswith(module + "."):
                continue
            if not any(target == s or target.startswith(s + ".") for s in shared):
                bad.append(f"{path.relative_to(package_root.parent)}:{line}: imports {target}")
    return bad


def test_a_command_importing_a_sibling_is_caught(tmp_path: Path) -> None:
    cli = tmp_path / "cog_py" / "cli"
    cli.mkdir(parents=True)
    (cli / "serve.py").write_text("from cog_py.cli import console\nfrom cog_py.cli.options import EnvOpt\n"
                                  "from cog_py.cli import predict\nfrom cog_py.cli.build import say\n")
    assert sibling_imports(tmp_path / "cog_py") == ["cog_py/cli/serve.py:3: imports cog_py.cli.predict",
                                                    "cog_py/cli/serve.py:4: imports cog_py.cli.build.say"]
