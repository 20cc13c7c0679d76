"""Load a predictor reference (`predict.py:Predictor`) from a project directory.

The file is imported under its base name with the project directory on `sys.path` (so a
predictor in a subdirectory can import from the root), the class is instantiated, and the
method is inspected. This module runs inside the user's environment: standard library only.
"""

from __future__ import annotations

import importlib.util
import inspect as pyinspect
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from cog_py.errors import PredictorError
from cog_py.predictor.adt import PredictorInfo
from cog_py.predictor.inspect import def_line, inspect_callable, unwrap_defaults
from cog_py.sdk.predictor import BasePredictor, BaseRunner

_BASES = (BaseRunner, BasePredictor, object)


@dataclass
class LoadedPredictor:
    """A ready-to-call predictor: its description and the callables the worker uses."""

    info: PredictorInfo
    predict: Callable[..., Any]
    setup: Callable[..., Any] | None
    healthcheck: Callable[..., Any] | None
    instance: Any = None


def split_ref(ref: str) -> tuple[str, str | None]:
    """`predict.py:Predictor` -> ("predict.py", "Predictor"); a name is optional."""
    file, sep, name = ref.partition(":")
    if not file.endswith(".py") or (sep and not name):
        raise PredictorError(
            f"invalid predict reference '{ref}' — expected format: file.py:ClassName or file.py:function_name",
            "Set `predict:` in cog.yaml to e.g. predict.py:Predictor.",
        )
    return file, name or None


def import_file(path: Path, project_dir: Path) -> ModuleType:
    """Import a Python file as a module named after its base name."""
    root = str(project_dir.resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    module_name = path.stem
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PredictorError(f"{path.name}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # noqa: BLE001 - SystemExit and friends in user code count too
        sys.modules.pop(module_name, None)
        frames = traceback.extract_tb(exc.__traceback__)
        where = next((f"{f.filename}:{f.lineno}" for f in reversed(frames) if f.filename == str(path)), str(path))
        raise PredictorError(
            f"{path.name}: importing it failed: {type(exc).__name__}: {exc} (at {where})"
            + _cog_provided_note(exc),
            _import_hint(exc, path),
        ) from exc
    return module


# Packages Cog 0.16 installed into the model's environment with its SDK (requests, pyyaml and
# typing_extensions are installed by cog_py too, see build/planner.py): import name -> requirement line.
COG_016_PROVIDED = {"pydantic": "pydantic<2", "fastapi": "fastapi", "attr": "attrs", "attrs": "attrs"}


def _cog_provided_note(exc: BaseException) -> str:
    """For a package Cog 0.16 put in the environment: which line to add to the requirements."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return ""
    line = COG_016_PROVIDED.get(exc.name.split(".", 1)[0])
    if line is None:
        return ""
    return (f". Cog 0.16 installed {line.split('<')[0]} with its SDK; cog_py does not: add the line "
            f"'{line}' to your requirements (python_requirements or python_packages in cog.yaml)"
            + (" ('pydantic' for code written for pydantic 2)" if line == "pydantic<2" else ""))


def _import_hint(exc: BaseException, path: Path) -> str:
    if isinstance(exc, ModuleNotFoundError):
        return f"Add the package that provides '{exc.name}' to python_requirements in cog.yaml, or fix the import in {path.name}."
    return f"Fix the error in {path.name} (or a module it imports), then run again."


def _find_target(module: ModuleType, file: str, name: str | None, mode: str) -> tuple[str, Any]:
    if name is not None:
        if not hasattr(module, name):
            raise PredictorError(
                f"{file}: predictor not found: {name}",
                f"Define `{name}` in {file} or fix the reference in cog.yaml.",
            )
        return name, getattr(module, name)
    preferred = ("Trainer",) if mode == "train" else ("Runner", "Predictor")
    for candidate in preferred:
        if hasattr(module, candidate):
            return candidate, getattr(module, candidate)
    raise PredictorError(
        f"{file}: predictor not found: no {' or '.join(preferred)} class",
        f"Name the class in cog.yaml, e.g. `{file}:MyPredictor`.",
    )


def _user_method(cls: type, mode: str, file: str) -> str:
    """Pick train(), or run() / predict() defined by the user's classes (not our bases)."""
    names = ("train",) if mode == "train" else ("run", "predict")
    line = def_line(cls)
    file = f"{file}:{line}" if line else file
    defined = {n for klass in cls.__mro__ if klass not in _BASES for n in names if n in vars(klass)}
    if mode != "train" and defined == {"run", "predict"}:
        raise PredictorError(
            f"{file}: {cls.__name__} must define either run() or predict(), not both",
            "Rename or remove one of them.",
        )
    for n in names:
        if n in defined:
            return n
    what = "train method" if mode == "train" else "run or predict method"
    raise PredictorError(f"{file}: {what} not found: {cls.__name__}", f"Define `def {names[-1]}(self, ...) -> ...` on {cls.__name__}.")


def load_predictor(ref: str, *, project_dir: Path, mode: str = "predict",
                   batch: tuple[int | None, float | None] | None = None) -> LoadedPredictor:
    """Import `ref` from `project_dir`, instantiate it and describe it (`batch`: cog.yaml's `batch:`)."""
    file, name = split_ref(ref)
    path = Path(project_dir) / file
    if not path.is_file():
        raise PredictorError(
            f"{file}: file not found in {project_dir}",
            f"Create {file} or fix the `{mode}:` reference in cog.yaml.",
        )
    module = import_file(path, Path(project_dir))
    name, target = _find_target(module, file, name, mode)
    full_ref = f"{file}:{name}"
    if pyinspect.isclass(target):
        method = _user_method(target, mode, file)
        try:
            instance = target()
        except Exception as exc:
            raise PredictorError(
                f"{file}: creating {name}() failed: {type(exc).__name__}: {exc}",
                f"{name}.__init__ must take no arguments; load models in setup().",
            ) from exc
        fn = getattr(instance, method)
        setup = _user_hook(instance, target, "setup")
        healthcheck = _user_hook(instance, target, "healthcheck")
        info = inspect_callable(
            fn, ref=full_ref, mode=mode, method=method, is_class=True, setup=setup, healthcheck=healthcheck,
            batch=batch,
        )
        return LoadedPredictor(info, unwrap_defaults(fn), setup, healthcheck, instance)
    if callable(target):
        info = inspect_callable(target, ref=full_ref, mode=mode, method=target.__name__, batch=batch)
        return LoadedPredictor(info, unwrap_defaults(target), None, None, None)
    raise PredictorError(f"{file}: {name} is neither a class nor a function", f"Point the reference at a class or a function in {file}.")


def _user_hook(instance: Any, cls: type, name: str) -> Callable[..., Any] | None:
    """A setup()/healthcheck() defined by the user (our base class's no-op does not count)."""
    for klass in cls.__mro__:
        if klass in _BASES:
            return None
        if name in vars(klass):
            hook: Callable[..., Any] = getattr(instance, name)
            return hook
    return None
