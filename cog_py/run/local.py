"""Pieces the local commands share: where a model's schema comes from, the dev image, the
environment and server command of the containers, and the docker client.

`cog predict`/`train`/`serve`/`exec` without an image build a development image of the project
(its code mounted at /src); with an image they read its labels instead.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cog_py import labels
from cog_py._version import __version__
from cog_py.errors import ConfigError, UsageError
from cog_py.run.schema import ModelSchema
from cog_py.ui import UI

Say = Callable[[str], None]
SERVER_MODULE = ("python", "-m", "cog.server.http")


@dataclass(frozen=True)
class BuildFlags:
    """Build flags the local commands pass on to the development build."""

    progress: str = "auto"
    use_cuda_base_image: str = "auto"
    with_ray: bool = False          # cog serve --ray: Ray Serve in the server's environment


@dataclass(frozen=True)
class ImageModel:
    """What a Cog image's labels say about it."""

    image: str
    schema: ModelSchema | None
    gpu: bool


def docker_client() -> Any:
    """A docker SDK client for the engine named by DOCKER_HOST (or the default socket)."""
    from cog_py.docker.client import connect

    return connect()


def check_image_name(image: str) -> None:
    """`cog predict name=value` is a forgotten `-i`, as Cog says."""
    if "=" in image:
        raise UsageError(f"Invalid image name '{image}'. Did you forget `-i`?")


def schema_from_source(project_dir: Path, ref: str | None, mode: str,
                       batch: tuple[int | None, float | None] | None = None) -> ModelSchema | None:
    """The model's schema read statically from its source; None when it needs the image.

    `batch` is cog.yaml's `batch:` (a batched predictor's schema is per item)."""
    from cog_py.predictor.openapi import render_openapi
    from cog_py.predictor.static import StaticSchemaUnresolved, inspect_source

    if not ref:
        raise ConfigError("no predict or train reference found in cog.yaml" if mode == "predict"
                       else "no train reference found in cog.yaml",
                       hint=f"Add `{'predict' if mode == 'predict' else 'train'}: \"file.py:Name\"` to cog.yaml.")
    try:
        info = inspect_source(project_dir, ref, mode=mode, batch=batch)
    except StaticSchemaUnresolved:
        return None
    doc = render_openapi(info, None, version=__version__) if mode == "predict" else render_openapi(None, info, version=__version__)
    return ModelSchema(doc, mode)


def inspect_image(client: Any, image: str, mode: str, *, say: Say) -> ImageModel:
    """Read a Cog image's labels, pulling the image when it is not present locally."""
    from cog_py.docker.images import get_or_pull

    image_labels = get_or_pull(client, image, say=say)
    if labels.COG_CONFIG not in image_labels:
        raise UsageError(f"{image} is not a Cog model (it has no {labels.COG_CONFIG} label)")
    try:
        config = json.loads(image_labels[labels.COG_CONFIG])
    except ValueError:
        config = {}
    gpu = bool((config.get("build") or {}).get("gpu")) if isinstance(config, dict) else False
    schema = None
    raw = image_labels.get(labels.COG_OPENAPI_SCHEMA)
    if raw:
        try:
            schema = ModelSchema(json.loads(raw), mode)
        except ValueError:
            schema = None
        if schema is not None and schema.input_schema() is None:
            schema = None
    return ImageModel(image=image, schema=schema, gpu=gpu)


_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def container_env(user_env: Sequence[str], *, debug: bool, environ: Mapping[str, str] = os.environ) -> tuple[tuple[str, str], ...]:
    """`-e NAME=value` pairs plus what Cog always passes (log format and level, RUST_LOG)."""
    pairs: list[tuple[str, str]] = []
    for item in user_env:
        name, sep, value = item.partition("=")
        if not sep or not _ENV_NAME.match(name):
            raise UsageError(f"Invalid environment variable '{item}', expected format is 'NAME=value'")
        pairs.append((name, value))
    pairs.append(("LOG_FORMAT", "console"))
    pairs.append(("COG_LOG_LEVEL", "debug" if debug else "warning"))
    if "RUST_LOG" in environ:
        pairs.append(("RUST_LOG", environ["RUST_LOG"]))
    return tuple(pairs)


def server_command(*, mode: str = "predict", host: str | None = None, await_shutdown: bool = False,
                   upload_url: str | None = None) -> tuple[str, ...]:
    """The in-image server's command line for a CLI-started container."""
    args = list(SERVER_MODULE)
    if host:
        args += ["--host", host]
    if mode == "train":
        args += ["--x-mode", "train"]
    if await_shutdown:
        args += ["--await-explicit-shutdown", "true"]
    if upload_url:
        args += ["--upload-url", upload_url]
    return tuple(args)


def gpu_choice(flag: str | None, model_gpu: bool) -> tuple[str | None, bool]:
    """(gpus to request, chosen automatically?): `--gpus` wins; a GPU model gets `all`."""
    if flag:
        return flag, False
    return ("all", True) if model_gpu else (None, False)


def build_dev_image(config: Any, *, ui: UI, with_schema: bool = True, flags: BuildFlags = BuildFlags(),
                    client: Any = None) -> str:
    """Build the development image of the project (no source copied in) and return its name.

    `with_schema=False` (cog exec) also works for a cog.yaml without `predict:`/`train:`.
    """
    import tempfile

    from cog_py.build.image import BuildSettings, build_image

    settings = BuildSettings(mode="dev", progress=flags.progress, use_cuda_base_image=flags.use_cuda_base_image,
                             with_ray=flags.with_ray)
    if with_schema or config.predict or config.train:
        return build_image(config, settings, ui, client=client).name
    with tempfile.TemporaryDirectory(prefix="cog-exec-") as tmp:
        empty = Path(tmp) / "openapi_schema.json"
        empty.write_text(json.dumps({"openapi": "3.0.2", "info": {"title": "Cog", "version": __version__}, "paths": {}}))
        return build_image(config, replace(settings, openapi_schema=empty), ui, client=client).name
