"""What a build needs from a container engine, as a small typed interface.

`BuildJob` (build/job.py) talks to an `Engine` only; `DockerEngine` is the real one, an adapter
over `cog_py.docker`. Unit tests give the job a fake object with the same methods, so the
release, label and cache decisions are tested without an engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cog_py.docker.engine_api import EngineAPI

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


@dataclass(frozen=True)
class LayerCommit:
    """One layer of files on an existing image, without a Dockerfile build: `archive` (a tar,
    extracted at `/`) on `parent` (an image ID), committed as `tag` with the parent's config plus
    `labels`. `created_by` is the layer's line in `docker history`."""

    parent: str
    tag: str
    archive: IO[bytes]
    labels: Mapping[str, str] = field(default_factory=dict)
    created_by: str = ""


class Engine(Protocol):
    """The engine operations a build makes: build, inspect, tag, untag, run a one-off command."""

    def build(self, request: ImageBuild, say: Say) -> str:
        """Build the image; return its ID."""
        ...

    def commit_layer(self, request: LayerCommit) -> str:
        """Add the files and labels of `request` on its parent image as `request.tag`; the new ID."""
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
    """`Engine` over the engine's API: the small stdlib client (cog_py.docker.engine_api) for the
    short calls when the engine is on a unix socket, the docker SDK client for builds and runs.

    `DockerEngine(client)` uses the SDK client `client` for everything; `DockerEngine.from_env()`
    connects the SDK only when a call needs it (a code-only rebuild never does).
    """

    def __init__(self, client: Any = None, api: EngineAPI | None = None) -> None:
        self._client = client
        self.api = api if client is None else None
        self._owns_client = False
        self._by_id: dict[str, dict[str, Any]] = {}   # inspected images, by the ID they were asked by

    @classmethod
    def from_env(cls) -> DockerEngine:
        from cog_py.docker.engine_api import EngineAPI

        # No ping: the first call says "cannot reach the Docker engine" as connect() would.
        return cls(None, EngineAPI.from_env())

    @property
    def client(self) -> Any:
        if self._client is None:
            from cog_py.docker.client import connect

            self._client = connect()
            self._owns_client = True
        return self._client

    def close(self) -> None:
        if self.api is not None:
            self.api.close()
        if self._owns_client and self._client is not None:
            self._client.close()

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

    def commit_layer(self, request: LayerCommit) -> str:
        from cog_py.docker import layers

        if self.api is not None:
            return layers.commit_layer(self.api, request.parent, request.tag, request.archive,
                                       labels=request.labels, created_by=request.created_by,
                                       parent=self._by_id.get(request.parent))
        return layers.commit_layer_sdk(self.client, request.parent, request.tag, request.archive,
                                       labels=request.labels, created_by=request.created_by)

    def image_id(self, ref: str) -> str | None:
        if self.api is not None:
            found = self.api.inspect_image(ref)
            if found is None:
                return None
            if _is_id(ref):   # an ID names the same image for good: a later commit on it needs no inspect
                self._by_id[ref] = found
            return str(found["Id"])
        from cog_py.docker import images

        return images.image_id(self.client, ref)

    def size(self, ref: str) -> int:
        if self.api is not None:
            found = self.api.inspect_image(ref)
            if found is None:
                from cog_py.errors import DockerError

                raise DockerError(f"inspecting {ref}: image not found")
            return int(found.get("Size", 0))
        from cog_py.docker import images

        return int(images.image_attrs(self.client, ref).get("Size", 0))

    def tag(self, source: str, target: str) -> None:
        from cog_py.docker import images

        images.tag_image(self.client, source, target)

    def untag(self, name: str) -> None:
        if self.api is not None:
            self.api.remove_image(name)
            return
        from cog_py.docker import images

        images.remove_tag(self.client, name)

    def run_capture(self, image: str, command: list[str], *, what: str,
                    volumes: dict[str, dict[str, str]] | None = None) -> str:
        from cog_py.docker import images

        return images.run_capture(self.client, image, command, what=what, volumes=volumes)


def _is_id(ref: str) -> bool:
    digits = ref[len("sha256:"):] if ref.startswith("sha256:") else ref
    return len(digits) >= 12 and all(c in "0123456789abcdef" for c in digits)
