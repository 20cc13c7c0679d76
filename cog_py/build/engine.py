"""What a build needs from a container engine, as a small typed interface.

`BuildJob` (build/job.py) talks to an `Engine` only; `DockerEngine` is the real one, an adapter
over `cog_py.docker`. Unit tests give the job a fake object with the same methods, so the
release, label and cache decisions are tested without an engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

Say = Callable[[str], None]


@dataclass(frozen=True)
class ImageBuild:
    """One image build: the Dockerfile (also inside `context`, a tar) and how to run it."""

    tag: str
    dockerfile: str
    context: IO[bytes]
    base_image: str = ""
    no_cache: bool = False
    progress: str = "auto"
    secrets: tuple[str, ...] = ()                  # `id=..,src=..` (BuildKit only)
    build_args: Mapping[str, str] = field(default_factory=dict)
    buildkit: bool = False


class Engine(Protocol):
    """The engine operations a build makes: build, inspect, tag, untag, run a one-off command."""

    def build(self, request: ImageBuild, say: Say) -> str:
        """Build the image; return its ID."""
        ...

    def image_id(self, ref: str) -> str | None:
        """The ID of image `ref` (a name or an ID), None when the engine has no such image."""
        ...

    def size(self, ref: str) -> int:
        ...

    def tag(self, source: str, target: str) -> None:
        ...

    def untag(self, name: str) -> None:
        """Remove the tag `name` (silent when it is gone)."""
        ...

    def run_capture(self, image: str, command: list[str], *, what: str,
                    volumes: dict[str, dict[str, str]] | None = None) -> str:
        """Run `command` in a throw-away container of `image`; its stdout. Fails with BuildError."""
        ...


class DockerEngine:
    """`Engine` over the docker SDK client `client` (see cog_py.docker)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def build(self, request: ImageBuild, say: Say) -> str:
        from cog_py.docker import build as dbuild

        req = dbuild.BuildRequest(
            tag=request.tag, context=request.context, base_image=request.base_image, no_cache=request.no_cache,
            progress=request.progress, secrets=request.secrets, build_args=request.build_args,
        )
        if request.buildkit:
            dbuild.build_with_buildkit(req, say)
            found = self.image_id(request.tag)
        else:
            ids = dbuild.build_with_sdk(self.client, req, say)
            found = ids[-1] if ids else self.image_id(request.tag)
        if not found:
            from cog_py.errors import BuildError

            raise BuildError(f"image build finished but the engine has no image {request.tag}")
        return found

    def image_id(self, ref: str) -> str | None:
        from cog_py.docker import images

        return images.image_id(self.client, ref)

    def size(self, ref: str) -> int:
        from cog_py.docker import images

        return int(images.image_attrs(self.client, ref).get("Size", 0))

    def tag(self, source: str, target: str) -> None:
        from cog_py.docker import images

        images.tag_image(self.client, source, target)

    def untag(self, name: str) -> None:
        from cog_py.docker import images

        images.remove_tag(self.client, name)

    def run_capture(self, image: str, command: list[str], *, what: str,
                    volumes: dict[str, dict[str, str]] | None = None) -> str:
        from cog_py.docker import images

        return images.run_capture(self.client, image, command, what=what, volumes=volumes)
