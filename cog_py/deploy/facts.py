"""What a deployment needs to know about the model: from cog.yaml, and from the image when one is named.

Pure functions of a loaded `Config` and the engine's image attributes (the dict `docker image
inspect` shows); the CLI fetches those through the docker adapter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cog_py import labels
from cog_py.config.models import Config

_NAME_MAX = 50   # leaves room for suffixes of generated objects within the 63-character DNS label


@dataclass(frozen=True)
class ModelFacts:
    """The model as a cluster sees it."""

    name: str                  # base name of every object (DNS-1035 label)
    image: str                 # the reference pods pull: by digest when the engine knows one
    gpu: bool = False
    slots: int = 1             # concurrency.max: predictions one server runs at once
    queue: int = 0             # concurrency.queue when the config has one: admitted beyond the slots
    has_schema: bool = False   # the image carries its OpenAPI schema label
    by_digest: bool = False
    train: bool = False        # the model also defines train()


def object_name(raw: str) -> str:
    """A DNS-1035 label from an image repository or directory name: `r8.im/me/My_Model:v1` -> `my-model`."""
    base = raw.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0].lower()
    base = re.sub(r"[^a-z0-9-]+", "-", base)
    base = re.sub(r"^[^a-z]+", "", base).strip("-")[:_NAME_MAX].rstrip("-")
    return base or "cog-model"


def repository(ref: str) -> str:
    """`host:5000/a/b:tag` -> `host:5000/a/b` (tag and digest removed)."""
    name = ref.split("@", 1)[0]
    head, _, last = name.rpartition("/")
    last = last.split(":", 1)[0]
    return f"{head}/{last}" if head else last


def pinned_reference(ref: str, repo_digests: list[str]) -> str | None:
    """`repo@sha256:...` for `ref` among the engine's RepoDigests, or None when it has not been pushed."""
    if "@" in ref:
        return ref
    repo = repository(ref)
    for entry in repo_digests:
        if repository(entry) == repo and "@" in entry:
            return f"{repo}@{entry.split('@', 1)[1]}"
    return None


def _config_label(image_labels: Mapping[str, str]) -> dict[str, Any]:
    try:
        data = json.loads(image_labels.get(labels.COG_CONFIG) or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def model_facts(config: Config | None, *, image: str | None = None, attrs: Mapping[str, Any] | None = None,
                default_image: str | None = None, name: str | None = None) -> ModelFacts:
    """Combine cog.yaml (if any) and the image's inspect attributes (if an image was named).

    The image's own `run.cog.config` label wins over cog.yaml for what is baked into it (GPU,
    concurrency), since that is what the pods will run.
    """
    gpu = bool(config and config.build.gpu)
    slots = (config.concurrency_max if config else None) or 1
    queue = (config.concurrency_queue if config else None) or 0
    train = bool(config and config.train)
    ref = image or (config.image if config else None) or default_image
    has_schema = by_digest = False
    pinned: str | None = None
    if attrs is not None:
        image_labels: Mapping[str, str] = (attrs.get("Config") or {}).get("Labels") or {}
        baked = _config_label(image_labels)
        build = baked.get("build") or {}
        if baked:
            gpu = bool(isinstance(build, dict) and build.get("gpu"))
        concurrency = baked.get("concurrency") or {}
        if isinstance(concurrency, dict):
            slots = int(concurrency.get("max") or slots)
            queue = int(concurrency.get("queue") or queue)
        train = train or bool(baked.get("train"))
        has_schema = labels.COG_OPENAPI_SCHEMA in image_labels
        pinned = pinned_reference(ref or "", list(attrs.get("RepoDigests") or []))
    if ref is None:
        from cog_py.errors import ConfigError

        raise ConfigError("No image to deploy",
                          hint="Name one: cog deploy kubernetes IMAGE, or set `image:` in cog.yaml.")
    if pinned is not None:
        ref, by_digest = pinned, True
    return ModelFacts(name=name or object_name(ref if not by_digest else repository(ref)), image=ref,
                      gpu=gpu, slots=max(1, slots), queue=max(0, queue), has_schema=has_schema,
                      by_digest=by_digest, train=train)
