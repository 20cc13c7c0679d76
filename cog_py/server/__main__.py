"""`python -m cog_py.server`: start the worker first, then serve HTTP on uvicorn.

The worker is started first, before this process reads its settings (`spawn.spawn_early`; it
gets its configuration as the first frame once they are read) and before FastAPI and uvicorn
are imported, so the worker's start, the model's import and setup() overlap the parent's own. Signals: SIGTERM drains and exits 0 (ignored with
--await-explicit-shutdown), SIGINT drains (twice: exits at once).
"""

from __future__ import annotations

import gc
import os
import sys

TYPE_CHECKING = False   # not typing's (imported after the worker is started); mypy reads it as True
if TYPE_CHECKING:
    from cog_py.server.spawn import Spawned

# `python -m` put the working directory (the model's project) first on sys.path; the parent
# never imports the model, and a model file named like a stdlib module must not shadow it.
if __name__ == "__main__" and sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]


def _asks_for_info(argv: list[str]) -> bool:
    """--help / --version (or an abbreviation argparse would take): no worker is started early."""
    return any(arg in ("-h", "-v") or (len(arg) > 3 and ("--help".startswith(arg) or "--version".startswith(arg)))
               for arg in argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # No cyclic garbage collection during the start-up imports (long-lived objects only; the
    # collections cost ~5 ms of it): serve.py enables it again once the server is up.
    gc.disable()
    early = None
    if not _asks_for_info(argv):
        # The worker first, before this process reads its settings: its imports (~30 ms in an
        # image) overlap ours; it waits for its configuration (the CONFIG frame) after them.
        from cog_py.server.spawn import spawn_early

        early = spawn_early()
    try:
        return _main(argv, early)
    finally:
        if early is not None and not early.configured:   # not served (an error, --version)
            early.discard()


def _main(argv: list[str], early: Spawned | None) -> int:
    from cog_py._version import __version__
    from cog_py.errors import CogError
    from cog_py.server.settings import load_settings, parse_args

    args = parse_args(argv)
    if args.version:
        print(f"cog_py {__version__}")
        return 0
    try:
        settings = load_settings(args)
    except CogError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    if not settings.ref:
        which = "COG_TRAIN_TYPE_STUB" if settings.mode == "train" else "COG_PREDICT_TYPE_STUB"
        print(f"error: no predictor to serve: set {which} or run from a directory with a cog.yaml "
              f"that names one", file=sys.stderr)
        return 1
    from cog_py.server.spawn import spawn

    render_schema = not settings.schema_path.is_file()
    spawned = None
    if early is not None and (early.python, early.cwd) == (settings.worker_python, str(settings.project_dir)):
        try:
            early.configure(settings, render_schema=render_schema)
            spawned = early
        except OSError:   # it died already (a broken interpreter): start one the usual way, which says why
            early.discard()
    elif early is not None:
        early.discard()
    if spawned is None:
        try:
            spawned = spawn(settings, render_schema=render_schema)
        except OSError as exc:
            print(f"error: cannot start the worker with {settings.worker_python}: {exc}", file=sys.stderr)
            return 1

    from cog_py.server.spawn import tune_malloc

    tune_malloc()   # after the spawn: the worker's start-up goes first
    from cog_py.server.logs import configure_logging
    from cog_py.server.serve import serve

    configure_logging(settings)
    return serve(settings, spawned)


if __name__ == "__main__":
    sys.exit(main())
