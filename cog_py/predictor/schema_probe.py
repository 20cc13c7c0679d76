"""Print a predictor's OpenAPI schema by importing it: run INSIDE a built image.

    python -m cog_py.predictor.schema_probe --predict predict.py:Predictor [--train train.py:T]

The build uses it when static inspection cannot resolve the source (types from installed
packages). Standard library only: it runs in the user's Python next to their packages.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cog_py.predictor.schema_probe")
    parser.add_argument("--predict")
    parser.add_argument("--train")
    parser.add_argument("--version", required=True)
    parser.add_argument("--project-dir", default="/src")
    parser.add_argument("--batch", help="cog.yaml's batch: MAX_SIZE:MAX_WAIT_MS")
    args = parser.parse_args(argv)
    batch = None
    if args.batch:
        size, _, wait = args.batch.partition(":")
        batch = (int(size), float(wait) if wait else None)

    from cog_py.errors import CogError
    from cog_py.predictor.loader import load_predictor
    from cog_py.predictor.openapi import openapi_json, render_openapi

    project = Path(args.project_dir)
    sys.path.insert(0, str(project))
    try:
        predict = (load_predictor(args.predict, project_dir=project, mode="predict", batch=batch).info
                   if args.predict else None)
        train = load_predictor(args.train, project_dir=project, mode="train").info if args.train else None
        doc = render_openapi(predict, train, version=args.version)
    except CogError as err:
        print(f"{err.message}" + (f"\n{err.hint}" if err.hint else ""), file=sys.stderr)
        return 1
    # A trailing newline: the engine may drop a last partial line when its log is read at exit.
    sys.stdout.write(openapi_json(doc) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
