"""`python -m cog_py.predictor.schema_cli`: print a model's OpenAPI document by importing it.

Used inside a built image when the static schema cannot be computed on the host:

    python -m cog_py.predictor.schema_cli --predict predict.py:Predictor [--train train.py:train]
        [--project-dir /src] [--version 0.1.0]

Prints the document (see openapi_json) on stdout; on a problem prints the message (and hint)
on stderr and exits 1. Standard library only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cog_py._version import __version__
from cog_py.errors import CogError
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.openapi import openapi_json, render_openapi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cog_py.predictor.schema_cli")
    parser.add_argument("ref", nargs="?", help="predictor reference (same as --predict)")
    parser.add_argument("--predict", dest="predict")
    parser.add_argument("--train", dest="train")
    parser.add_argument("--project-dir", default=".")
    parser.add_argument("--version", default=__version__)
    args = parser.parse_args(argv)
    predict_ref = args.predict or args.ref
    if not predict_ref and not args.train:
        parser.error("give a predictor reference (predict.py:Predictor) or --train")
    project = Path(args.project_dir)
    try:
        predict = load_predictor(predict_ref, project_dir=project).info if predict_ref else None
        train = load_predictor(args.train, project_dir=project, mode="train").info if args.train else None
    except CogError as exc:
        print(exc.message, file=sys.stderr)
        if exc.hint:
            print(exc.hint, file=sys.stderr)
        return 1
    sys.stdout.write(openapi_json(render_openapi(predict, train, version=args.version)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
