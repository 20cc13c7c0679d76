"""The model's OpenAPI schema at build time: a given file, static inspection, or (fallback)
importing the predictor inside the built image."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cog_py._version import __version__
from cog_py.config.models import Config
from cog_py.errors import BuildError, PredictorError
from cog_py.predictor.adt import PredictorInfo


@dataclass(frozen=True)
class StaticSchema:
    """`doc` is None when only the image can tell (StaticSchemaUnresolved)."""

    doc: dict[str, Any] | None
    concurrency_max: int | None = None
    reason: str | None = None             # why the static path gave up


def load_schema_file(path: Path) -> dict[str, Any]:
    """Read `--openapi-schema FILE` and check it looks like an OpenAPI 3 document."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BuildError(f"--openapi-schema {path}: cannot read the file: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise BuildError(f"Model schema is invalid: {path} is not JSON ({exc})") from exc
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3.") or "paths" not in doc:
        raise BuildError(
            f"Model schema is invalid: {path} is not an OpenAPI 3 document (needs `openapi: 3.x` and `paths`)",
        )
    return doc


def static_schema(config: Config) -> StaticSchema:
    """Inspect the predictor (and trainer) without importing them; fail fast on real mistakes."""
    from cog_py.predictor.openapi import render_openapi
    from cog_py.predictor.static import inspect_source
    from cog_py.predictor.static.errors import StaticSchemaUnresolved

    if not config.predict and not config.train:
        raise BuildError(
            "no predict or train reference found in cog.yaml",
            hint='Add `predict: "predict.py:Predictor"` to cog.yaml.',
        )
    infos: dict[str, PredictorInfo | None] = {"predict": None, "train": None}
    try:
        for mode, ref in (("predict", config.predict), ("train", config.train)):
            if ref:
                infos[mode] = inspect_source(config.project_dir, ref, mode=mode, batch=_batch(config, mode))
    except StaticSchemaUnresolved as exc:
        return StaticSchema(doc=None, reason=exc.message)
    except PredictorError as exc:
        raise BuildError(f"image build failed: {exc.message}", hint=exc.hint) from exc
    doc = render_openapi(infos["predict"], infos["train"], version=__version__)
    concurrency = infos["predict"].concurrency_max if infos["predict"] else None
    return StaticSchema(doc=doc, concurrency_max=concurrency)


def _batch(config: Config, mode: str) -> tuple[int | None, float | None] | None:
    """cog.yaml's `batch:` as the inspectors take it (it applies to predict only)."""
    if config.batch is None or mode != "predict":
        return None
    return config.batch.max_size, config.batch.max_wait_ms


def probe_command(config: Config) -> list[str]:
    """The in-image command that prints the schema (cog_py/predictor/schema_probe.py)."""
    cmd = ["python", "-m", "cog_py.predictor.schema_probe", "--version", __version__]
    if config.predict:
        cmd += ["--predict", config.predict]
    if config.train:
        cmd += ["--train", config.train]
    batch = _batch(config, "predict")
    if batch is not None:
        cmd += ["--batch", f"{batch[0]}:{'' if batch[1] is None else format(batch[1], 'g')}"]
    return cmd
