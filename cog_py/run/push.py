"""`cog push`: a release build of the project, labelled with a push id, pushed to its registry."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cog_py import labels
from cog_py.docker.registry import parse_ref, push_image
from cog_py.errors import UsageError
from cog_py.run.local import docker_client
from cog_py.ui import UI

if TYPE_CHECKING:
    from cog_py.config.models import Config

NO_IMAGE = ("To push images, you must either set the 'image' option in cog.yaml or pass an image name as an "
            "argument. For example, 'cog push registry.example.com/your-username/model-name'")


@dataclass(frozen=True)
class PushOptions:
    image: str | None = None
    no_cache: bool = False
    secrets: tuple[str, ...] = ()
    progress: str = "auto"
    use_cuda_base_image: str = "auto"
    separate_weights: bool = False
    openapi_schema: Path | None = None
    cwd: Path = field(default_factory=Path.cwd)


def uuid7() -> str:
    """A UUID version 7 (time-ordered), as Cog labels pushes; Python 3.11 has no uuid.uuid7."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def push(opts: PushOptions, config: Config, ui: UI) -> str:
    """Build in release mode, push, and return `repo@sha256:...`."""
    target = opts.image or config.image
    if not target:
        raise UsageError(NO_IMAGE)
    parse_ref(target)  # a bad name fails before the build
    from cog_py.build.image import BuildSettings, build_image
    from cog_py.docker.images import label_image

    client = docker_client()
    settings = BuildSettings(
        tag=target, mode="release", no_cache=opts.no_cache, secrets=opts.secrets, progress=opts.progress,
        use_cuda_base_image=opts.use_cuda_base_image, separate_weights=opts.separate_weights,
        openapi_schema=opts.openapi_schema,
    )
    build_image(config, settings, ui, client=client)
    label_image(client, target, {labels.COG_PUSH_ID: uuid7()})
    ui.info(f"Pushing to {target}...")
    return push_image(client, target, say=ui.info)
