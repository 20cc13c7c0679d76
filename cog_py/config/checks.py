"""Checks of cog.yaml that a schema cannot express, with Cog's messages.

They read the plain data and skip values of the wrong type (the model validation reports
those), so one load reports every problem at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cog_py.config.environment import check_environment_entry
from cog_py.config.problems import PYTHON_VERSION_REQUIRED, quote
from cog_py.config.requirements import requirement_lines, requirement_problem
from cog_py.config.yamlsource import Loc, Problem, YamlSource

MIN_PYTHON = (3, 8)
END_OF_LIFE_BELOW = (3, 10)  # 3.8 and 3.9 build, with a warning
MIN_CUDA_MAJOR = 11
_REF = re.compile(r"^[^:]+\.py:[A-Za-z_][A-Za-z0-9_]*$")
_REF_EXAMPLES = {"predict": "predict.py:Predictor", "run": "run.py:Runner", "train": "train.py:Trainer"}


@dataclass
class Findings:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def problem(self, source: YamlSource, loc: Loc, message: str) -> None:
        self.problems.append(Problem(source.line_of(loc), loc, message))

    def warning(self, source: YamlSource, loc: Loc, message: str) -> None:
        self.warnings.append(Problem(source.line_of(loc), (), message))


def python_version_tuple(version: str) -> tuple[int, int] | None:
    """Return (major, minor) of "3.11" / "3.11.4", or None when it is not such a version."""
    match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", version.strip())
    return (int(match[1]), int(match[2])) if match else None


def check_document(data: dict[str, Any], source: YamlSource, project_dir: Path) -> Findings:
    """Run every semantic check on a document whose root is a mapping."""
    found = Findings()
    _check_refs(data, source, found)
    build = data.get("build")
    if isinstance(build, dict):
        _check_build(build, source, project_dir, found)
    elif build is None:
        found.problem(source, ("build", "python_version"), PYTHON_VERSION_REQUIRED)
    _check_environment(data.get("environment"), source, found)
    _check_concurrency(data.get("concurrency"), build, source, found)
    _check_batch(data.get("batch"), source, found)
    return found


def _check_refs(data: dict[str, Any], source: YamlSource, found: Findings) -> None:
    if "predict" in data and "run" in data:
        later = max(("predict", "run"), key=lambda k: source.line_of((k,)))
        found.problem(source, (later,), "only one of run or predict can be set")
    for key, example in _REF_EXAMPLES.items():
        value = data.get(key)
        if isinstance(value, str) and not _REF.match(value.strip()):
            found.problem(source, (key,), f"must be in the form '{example}' (got {quote(value)})")


def _check_build(build: dict[str, Any], source: YamlSource, project_dir: Path, found: Findings) -> None:
    _check_python_version(build.get("python_version"), source, found)
    if "python_packages" in build and "python_requirements" in build:
        found.problem(
            source,
            ("build", "python_packages"),
            "only one of python_packages or python_requirements can be set, not both",
        )
    requirements = build.get("python_requirements")
    if isinstance(requirements, str) and not (project_dir / requirements).is_file():
        found.problem(source, ("build", "python_requirements"), f'file does not exist (got {quote(requirements)})')
    elif isinstance(requirements, str):
        _check_requirements_file(project_dir / requirements, requirements, source, found)
    packages = build.get("python_packages")
    for index, package in enumerate(packages if isinstance(packages, list) else []):
        problem = requirement_problem(package) if isinstance(package, str) else None
        if problem:
            found.problem(source, ("build", "python_packages", index), f"{problem} (got {quote(package)})")
    for key in ("run", "pre_install"):
        items = build.get(key)
        if isinstance(items, list):
            for index, item in enumerate(items):
                _check_run_item(item, ("build", key, index), source, found)
    _check_cuda(build, source, found)
    if "python_packages" in build:
        found.warning(
            source,
            ("build", "python_packages"),
            'deprecated field "build.python_packages": use "build.python_requirements" instead',
        )
    if "pre_install" in build:
        found.warning(source, ("build", "pre_install"), 'deprecated field "build.pre_install": use "build.run" instead')


def _check_requirements_file(path: Path, name: str, source: YamlSource, found: Findings) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return   # reported when the file is read for the build
    for number, line in requirement_lines(text):
        problem = requirement_problem(line)
        if problem:
            found.problem(source, ("build", "python_requirements"), f"{name}:{number}: {problem} (got {quote(line)})")


def _check_python_version(version: Any, source: YamlSource, found: Findings) -> None:
    loc = ("build", "python_version")
    if version is None:
        found.problem(source, loc, PYTHON_VERSION_REQUIRED)
        return
    if not isinstance(version, str):
        return
    parsed = python_version_tuple(version)
    if parsed is None:
        if re.fullmatch(r"\d+", version.strip()):
            found.problem(source, loc, f"must include major and minor version (e.g., '3.11') (got {quote(version)})")
        else:
            found.problem(source, loc, f'invalid major/minor version number (got {quote(version)})')
    elif parsed < MIN_PYTHON:
        found.problem(source, loc, f'minimum supported Python version is 3.8 (got {quote(version)})')
    elif parsed < END_OF_LIFE_BELOW:
        found.warning(source, loc, f"Python {parsed[0]}.{parsed[1]} has reached end of life; "
                      "move to Python 3.10 or newer")


def _check_run_item(item: Any, loc: Loc, source: YamlSource, found: Findings) -> None:
    command = item.get("command") if isinstance(item, dict) else item
    if isinstance(item, dict) and "command" not in item:
        found.problem(source, (*loc, "command"), "required key is missing")
    if isinstance(command, str) and "\n" in command.rstrip("\n"):
        found.problem(source, loc, "command must not contain a newline: write each command as its own item")
    mounts = item.get("mounts") if isinstance(item, dict) else None
    for index, mount in enumerate(mounts if isinstance(mounts, list) else []):
        if not isinstance(mount, dict):
            continue
        for key in ("type", "id", "target"):
            if key not in mount:
                found.problem(source, (*loc, "mounts", index, key), "required key is missing")
        kind = mount.get("type")
        if isinstance(kind, str) and kind != "secret":
            found.problem(source, (*loc, "mounts", index, "type"), f'must be "secret" (got {quote(kind)})')


def _check_cuda(build: dict[str, Any], source: YamlSource, found: Findings) -> None:
    cuda = build.get("cuda")
    if isinstance(cuda, str):
        loc = ("build", "cuda")
        match = re.fullmatch(r"(\d+)\.(\d+)(?:\.\d+)?", cuda.strip())
        if re.fullmatch(r"\d+", cuda.strip()):
            found.problem(source, loc, f"must include both major and minor versions (e.g., '11.8') (got {quote(cuda)})")
        elif match is None:
            found.problem(source, loc, f'invalid major version number (got {quote(cuda)})')
        elif int(match[1]) < MIN_CUDA_MAJOR:
            found.problem(source, loc, f'minimum supported CUDA version is 11 (got {quote(cuda)})')
    cudnn = build.get("cudnn")
    if isinstance(cudnn, str) and not re.fullmatch(r"\d+(\.\d+)*", cudnn.strip()):
        found.problem(source, ("build", "cudnn"), f'must be a version number such as "8" or "9" (got {quote(cudnn)})')


def _check_environment(entries: Any, source: YamlSource, found: Findings) -> None:
    if not isinstance(entries, list):
        return
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if isinstance(entry, str):
            message = check_environment_entry(entry, seen)
            if message:
                found.problem(source, ("environment", index), message)


def _check_concurrency(concurrency: Any, build: Any, source: YamlSource, found: Findings) -> None:
    if not isinstance(concurrency, dict):
        return
    queue = concurrency.get("queue")
    if isinstance(queue, int) and not isinstance(queue, bool) and queue < 1:
        found.problem(source, ("concurrency", "queue"), f"must be at least 1 (got {queue})")
    if "max" not in concurrency:
        if "queue" not in concurrency:   # a queue alone keeps one slot
            found.problem(source, ("concurrency", "max"), "required key is missing")
        return
    maximum = concurrency["max"]
    if not isinstance(maximum, int) or isinstance(maximum, bool):
        return
    if maximum < 1:
        found.problem(source, ("concurrency", "max"), f"must be at least 1 (got {maximum})")
        return
    version = build.get("python_version") if isinstance(build, dict) else None
    parsed = python_version_tuple(version) if isinstance(version, str) else None
    if maximum > 1 and parsed is not None and parsed < (3, 11):
        found.problem(source, ("concurrency", "max"), "concurrency requires Python 3.11 or higher")


def _check_batch(batch: Any, source: YamlSource, found: Findings) -> None:
    if not isinstance(batch, dict):
        return
    if "max_size" not in batch:
        found.problem(source, ("batch", "max_size"), "required key is missing")
    size = batch.get("max_size")
    if isinstance(size, int) and not isinstance(size, bool) and size < 1:
        found.problem(source, ("batch", "max_size"), f"must be at least 1 (got {size})")
    wait = batch.get("max_wait_ms")
    if isinstance(wait, (int, float)) and not isinstance(wait, bool) and wait < 0:
        found.problem(source, ("batch", "max_wait_ms"), f"must not be negative (got {wait})")


def check_predictor_refs(predict: str | None, train: str | None, project_dir: Path,
                         keys: tuple[str, str] = ("predict", "train")) -> list[str]:
    """Problems with the files and names that `predict`/`train` point at (no import, no Docker).

    Each reference `file.py:Name` must name an existing file in the project that defines
    `Name` at its top level (a class, a function, an assignment or an import); a file that
    star-imports is given the benefit of the doubt. Used by `cog build`/`cog debug` (and meant
    for `cog doctor`).
    """
    import ast

    problems: list[str] = []
    for key, ref in zip(keys, (predict, train)):
        if not ref or not _REF.match(ref.strip()):
            continue   # absent, or malformed (reported when the file is loaded)
        file_part, name = ref.strip().rsplit(":", 1)
        path = project_dir / file_part
        if not path.is_file():
            problems.append(f"{key}: {quote(ref)}: the file {file_part} does not exist in {project_dir}")
            continue
        try:
            tree = ast.parse(path.read_bytes(), filename=str(path))
        except (SyntaxError, ValueError) as exc:
            line = getattr(exc, "lineno", None)
            problems.append(f"{key}: {quote(ref)}: {file_part}{f':{line}' if line else ''} does not parse: "
                            f"{getattr(exc, 'msg', exc)}")
            continue
        except (OSError, RecursionError) as exc:
            problems.append(f"{key}: {quote(ref)}: cannot read {file_part}: {exc}")
            continue
        if name not in _top_level_names(tree) and not _star_imports(tree):
            problems.append(f"{key}: {quote(ref)}: {file_part} defines no class or function named {name}")
    return problems


def _top_level_names(tree: Any) -> set[str]:
    import ast

    names: set[str] = set()
    for node in tree.body:
        for child in [node, *(_guarded(node))]:
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                names.add(child.name)
            elif isinstance(child, (ast.Import, ast.ImportFrom)):
                names.update((alias.asname or alias.name).split(".")[0] for alias in child.names)
            elif isinstance(child, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def _guarded(node: Any) -> list[Any]:
    """Statements one level inside a top-level if/try (`try: import x except ImportError: ...`)."""
    import ast

    inner: list[Any] = []
    if isinstance(node, ast.If):
        inner = [*node.body, *node.orelse]
    elif isinstance(node, ast.Try):
        inner = [*node.body, *node.orelse, *node.finalbody, *(s for h in node.handlers for s in h.body)]
    return inner


def _star_imports(tree: Any) -> bool:
    import ast

    return any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in tree.body)
