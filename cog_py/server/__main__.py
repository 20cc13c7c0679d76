"""`python -m cog_py.server`: start the worker first, then serve HTTP on uvicorn.

The worker is spawned before FastAPI and uvicorn are imported, so the model's import and
setup() overlap the parent's own start-up. Signals: SIGTERM drains and exits 0 (ignored with
--await-explicit-shutdown), SIGINT drains (twice: exits at once).
"""

from __future__ import annotations

import os
import sys

# `python -m` put the working directory (the model's project) first on sys.path; the parent
# never imports the model, and a model file named like a stdlib module must not shadow it.
if __name__ == "__main__" and sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]


def main(argv: list[str] | None = None) -> int:
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

    try:
        spawned = spawn(settings, render_schema=not settings.schema_path.is_file())
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
