"""The resolved, frozen configuration every later stage reads.

The raw file model (what cog.yaml literally says, with "unset" kept apart from defaults) lives
in `raw.py` and is seen only by the loader; everything else takes a `Config`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Mount(_Frozen):
    """A build-time mount of a `run` command; only `type: secret` exists."""

    type: str = "secret"
    id: str
    target: str


class RunItem(_Frozen):
    """One `build.run` command (strings are normalised to this)."""

    command: str
    mounts: tuple[Mount, ...] = ()


class BuildConfig(_Frozen):
    gpu: bool = False
    python_version: str                       # "3.11" or "3.11.7", validated >= 3.8
    python_requirements: str | None = None    # as written in cog.yaml (relative to project_dir)
    python_packages: tuple[str, ...] = ()     # deprecated form
    requirements: tuple[str, ...] = ()        # resolved requirement lines (file or python_packages)
    overrides: tuple[str, ...] = ()           # build.python_overrides lines (their versions win)
    system_packages: tuple[str, ...] = ()
    run: tuple[RunItem, ...] = ()             # `run` then deprecated `pre_install` items
    cuda: str | None = None                   # as written; the build planner resolves the rest
    cudnn: str | None = None


class BatchConfig(_Frozen):
    """`batch:` in cog.yaml (or `@cog.batch`): up to max_size inputs per predict() call."""

    max_size: int
    max_wait_ms: float | None = None   # unset: @batch's, else 10


class Config(_Frozen):
    """cog.yaml after validation; paths resolved against `project_dir`."""

    build: BuildConfig
    predict: str | None = None        # from `predict:` or `run:` ("predict.py:Predictor")
    predict_key: str = "predict"      # which key the user wrote: "predict" or "run"
    train: str | None = None
    image: str | None = None
    concurrency_max: int | None = None
    concurrency_queue: int | None = None   # requests that may wait for a slot; None: 409 beyond the slots
    batch: BatchConfig | None = None
    environment: tuple[tuple[str, str], ...] = ()  # ordered (NAME, value) pairs
    project_dir: Path
    config_path: Path
