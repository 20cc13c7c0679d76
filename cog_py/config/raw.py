"""cog.yaml as written: every field optional (`None` = not in the file), unknown keys rejected.

Only the loader sees these models; the rest of cog_py reads the resolved `Config`
(models.py). The JSON Schema of cog.yaml is generated from them (jsonschema.py), so the
field descriptions here are what editors show.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag


class _Raw(BaseModel):
    # strict: YAML already typed every scalar; "1" is not a boolean and 1 is not a string
    model_config = ConfigDict(extra="forbid", strict=True)


# Tags of discriminated unions start with "~" so the loader can drop them from error paths.
STRING_TAG = "~string"
MAPPING_TAG = "~mapping"


def _string_or_mapping(value: Any) -> str | None:
    if isinstance(value, str):
        return STRING_TAG
    if isinstance(value, dict):
        return MAPPING_TAG
    return None


class RawMount(_Raw):
    """A BuildKit mount for one `build.run` command."""

    model_config = ConfigDict(title="mount")

    type: str | None = Field(default=None, description='Mount type; only "secret" is supported.')
    id: str | None = Field(default=None, description="Secret id, as passed to `cog build --secret id=...`.")
    target: str | None = Field(default=None, description="Where the secret file appears during the command.")


class RawRunItem(_Raw):
    """A `build.run` command in its long form."""

    model_config = ConfigDict(title="run item")

    command: str | None = Field(default=None, description="Shell command (one line).")
    mounts: list[RawMount] | None = Field(default=None, description="Secrets mounted while it runs.")


RunEntry = Annotated[
    Union[Annotated[str, Tag(STRING_TAG)], Annotated[RawRunItem, Tag(MAPPING_TAG)]],
    Discriminator(_string_or_mapping),
]


class RawBuild(_Raw):
    """The `build` section: how the image's environment is made."""

    model_config = ConfigDict(title="build")

    gpu: bool | None = Field(default=None, description="Build a CUDA image and run with GPUs (default false).")
    python_version: str | None = Field(
        default=None, description='Python version, "3.X" or "3.X.Y", 3.8 to 3.13 (3.8 and 3.9 are end of life). Quote it: "3.10".'
    )
    python_requirements: str | None = Field(
        default=None, description="pip requirements file, relative to the project directory."
    )
    python_packages: list[str] | None = Field(
        default=None, description="Deprecated: requirement lines; use python_requirements instead."
    )
    system_packages: list[str] | None = Field(default=None, description="Debian/Ubuntu apt packages.")
    run: list[RunEntry] | None = Field(
        default=None, description="Commands run while building, after the packages are installed."
    )
    pre_install: list[str] | None = Field(
        default=None, description="Deprecated: commands run after `run`; use run instead."
    )
    cuda: str | None = Field(
        default=None, description='CUDA version "major.minor" (default: chosen from torch/tensorflow).'
    )
    cudnn: str | None = Field(
        default=None, description="cuDNN major version (default: the latest for the CUDA version)."
    )
    python_overrides: str | None = Field(
        default=None,
        description="pip requirements file whose versions override the requirements' (used as pip constraints).",
    )
    fast: bool | None = Field(default=None, description="Cog's experimental fast push: accepted, no effect.")
    cog_runtime: bool | None = Field(default=None, description="Cog's experimental runtime: accepted, no effect.")


class RawConcurrency(_Raw):
    """How many predictions one container runs at once."""

    model_config = ConfigDict(title="concurrency")

    max: int | None = Field(default=None, description="Most predictions in flight at once (at least 1).")
    queue: int | None = Field(
        default=None,
        description="Requests that may wait, first in first out, for a free slot (at least 1); beyond them "
        "the server answers 429 with Retry-After. Unset: every request beyond the slots gets 409, as in Cog.",
    )


class RawBatch(_Raw):
    """Adaptive batching: the worker calls predict() once with lists of up to max_size inputs."""

    model_config = ConfigDict(title="batch")

    max_size: int | None = Field(default=None, description="Most inputs in one predict() call (at least 1).")
    max_wait_ms: int | float | None = Field(
        default=None,
        description="How long a first input waits for batch-mates, in milliseconds (unset: @batch's, else 10).",
    )


class RawConfig(_Raw):
    """A cog.yaml file."""

    build: RawBuild | None = Field(default=None, description="How to build the image.")
    predict: str | None = Field(
        default=None, description='The predictor, "predict.py:Predictor". Same as `run`; set one of them.'
    )
    run: str | None = Field(default=None, description='The runner, "run.py:Runner". Same as `predict`.')
    train: str | None = Field(default=None, description='The trainer, "train.py:Trainer".')
    image: str | None = Field(default=None, description="Image name for `cog build` and `cog push`.")
    concurrency: RawConcurrency | None = Field(default=None, description="Concurrent predictions.")
    batch: RawBatch | None = Field(
        default=None, description="Batch requests into one predict() call taking lists (see @cog.batch)."
    )
    environment: list[str] | None = Field(
        default=None, description="NAME=value variables set at build time and at run time."
    )
    tests: list[str] | None = Field(default=None, description="Cog's test commands: accepted, ignored.")


# Keys Cog 0.16 accepted that change nothing in cog_py: path -> the note printed when present.
NO_EFFECT: dict[tuple[str, ...], str] = {
    ("build", "fast"): "has no effect in cog_py (Cog's experimental fast push); it can stay",
    ("build", "cog_runtime"): "has no effect in cog_py: images always run cog_py's own runtime",
    ("tests",): "is ignored by cog_py (Cog's test commands are not run)",
}


# Keys Cog knows that cog_py does not implement yet: path -> (message, is it an error?).
# The loader removes them before validation, so they are never reported as unknown.
NOT_SUPPORTED: dict[tuple[str, ...], tuple[str, bool]] = {
    ("weights",): (
        "not supported yet: cog_py has no managed weights; "
        "copy weights into the image or download them in setup()",
        True,
    ),
    ("model",): ('not supported yet: use "image" to name the image', True),
    ("build", "sdk_version"): (
        "not supported yet: images always get the runtime of this cog_py version",
        True,
    ),
    ("concurrency", "default_target"): ("not supported yet: ignored", False),
}

# The model behind each mapping path, for "did you mean" suggestions ("[]" = any list index).
MODEL_AT: dict[tuple[str, ...], type[_Raw]] = {
    (): RawConfig,
    ("build",): RawBuild,
    ("build", "run", "[]"): RawRunItem,
    ("build", "run", "[]", "mounts", "[]"): RawMount,
    ("concurrency",): RawConcurrency,
    ("batch",): RawBatch,
}
