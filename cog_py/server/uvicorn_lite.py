"""uvicorn's `Config` and `Server` without running `uvicorn/__init__.py` at start.

The package's `__init__` imports `uvicorn.main` for `main`/`run`: click, the reload and
multiprocess supervisors (multiprocessing), ~12-15 ms of the parent's start in a container,
competing for the CPU with the worker's own start. The server needs none of it. When nothing
has imported uvicorn yet, `uvicorn` is registered as its package (same spec, same `__path__`,
so `uvicorn.config`, `uvicorn.protocols...` import as usual) holding `Config`, `Server` and
`__version__`; any other name (`uvicorn.run`, `uvicorn.main`) runs the real `__init__` into
that module first, so code that uses the full package still gets it.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any


def _install() -> None:
    if "uvicorn" in sys.modules:
        return
    spec = importlib.util.find_spec("uvicorn")
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return   # not a regular package: let `import uvicorn` below do what it does
    package = importlib.util.module_from_spec(spec)
    loader = spec.loader
    state = {"full": False}

    def __getattr__(name: str) -> Any:
        if not state["full"] and not name.startswith("__"):
            state["full"] = True
            loader.exec_module(package)   # the real __init__, into this module
            return getattr(package, name)
        raise AttributeError(f"module 'uvicorn' has no attribute {name!r}")

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules["uvicorn"] = package
    try:
        from uvicorn._version import __version__
    except ImportError:   # an older uvicorn (its version lives in __init__): the package as usual
        del sys.modules["uvicorn"]
        return
    try:
        from uvicorn.config import Config
        from uvicorn.server import Server
    except BaseException:
        del sys.modules["uvicorn"]
        raise
    package.__version__ = __version__  # type: ignore[attr-defined]
    package.Config = Config  # type: ignore[attr-defined]
    package.Server = Server  # type: ignore[attr-defined]


_install()

from uvicorn.config import Config  # noqa: E402
from uvicorn.server import Server  # noqa: E402

__all__ = ["Config", "Server"]
