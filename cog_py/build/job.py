"""One `cog build`: the request, the schema, the labels and the final tag, against an `Engine`.

A release image is built in two parts (see build/labelling.py): the dependency image (the
Dockerfile up to the code copy), remembered with its `pip freeze` under a key of everything that
decides it, and on top of it one committed layer (`Engine.commit_layer`, no Dockerfile build)
that adds the schema file, the labels and the code under the final name. A code-only rebuild
finds the dependency image and makes only that layer. When the schema must come from inside the
image (the static reader gave up), the code layer goes to a temporary tag, the schema is read
there, and a second committed layer (the schema file and the labels) names the result.
A failed build never leaves a half-made image under the final name.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from cog_py._version import __version__
from cog_py.build import labelling
from cog_py.build import plan as p
from cog_py.build.cacert import load_ca_cert
from cog_py.build.context import warn_if_large, write_code_archive, write_context
from cog_py.build.engine import Engine, ImageBuild, LayerCommit, Say
from cog_py.build.image import BuildSettings, BuiltImage, Prepared, image_name, prepare
from cog_py.build.image_labels import git_labels, image_labels
from cog_py.build.schema import probe_command
from cog_py.build.secrets import cli_form
from cog_py.build.wheel import runtime_wheel, server_wheels
from cog_py.config.models import Config
from cog_py.errors import BuildError
from cog_py.predictor.openapi import openapi_json
from cog_py.ui import UI

FREEZE = ["python", "-m", "pip", "freeze"]


@dataclass(frozen=True)
class DepsInputs:
    """The dependency image's generated context files and host files (wheels)."""

    generated: dict[str, bytes]
    files: dict[str, Path]


class BuildJob:
    """Builds `config` with `settings`: `prepare()` needs no engine, `run(engine)` builds."""

    engine: Engine

    def __init__(self, config: Config, settings: BuildSettings, ui: UI) -> None:
        self.config = config
        self.settings = settings
        self.ui = ui
        self.name = image_name(config, settings.tag)
        self.say: Say = ui.info
        self.started = time.monotonic()
        self._prep: Prepared | None = None
        self._temps: list[str] = []   # temporary tags to remove once the final image is there
        # The OCI labels' git commands (up to four processes) run while the build is prepared.
        self._git = _Background(lambda: git_labels(config.project_dir)) if settings.mode == "release" else None

    def prepare(self) -> Prepared:
        """Schema, plan and Dockerfile: everything decided before the engine is involved."""
        if self._prep is None:
            self.say(f"Building Docker image from environment in cog.yaml as {self.name}...")
            self._prep = prepare(self.config, self.settings, self.ui)
        return self._prep

    def run(self, engine: Engine) -> BuiltImage:
        self.engine = engine
        prep = self.prepare()
        try:
            if self.settings.mode == "release":
                doc, labels = self._release(prep)
            else:
                doc, labels = self._dev(prep), {}
        finally:
            self._untag_temps()
        size = self.engine.size(self.name)
        return BuiltImage(name=self.name, size=size, seconds=time.monotonic() - self.started, schema=doc, labels=labels)

    # -- dev: one build of the whole Dockerfile, the code mounted at run time ---------------------

    def _dev(self, prep: Prepared) -> dict[str, Any]:
        inputs = self._deps_inputs(prep)
        self._build(prep, self.name, prep.dockerfile,
                    self._context(prep, prep.dockerfile, inputs.generated, inputs.files), buildkit=prep.plan.needs_buildkit)
        doc = prep.schema.doc
        if doc is None:
            volumes = {str(self.config.project_dir): {"bind": "/src", "mode": "ro"}}
            doc = self._probe(self.name, volumes)
        _write_project_schema(self.config.project_dir, openapi_json(doc))
        return doc

    # -- release -----------------------------------------------------------------------------------

    def _release(self, prep: Prepared) -> tuple[dict[str, Any], dict[str, str]]:
        doc = prep.schema.doc
        deps = self._deps(prep)
        if doc is not None:
            schema_json = openapi_json(doc)
            labels = self._labels(prep, schema_json, deps.freeze)
            self._code(prep, deps.deps_id, self.name, labels, schema_json)
        else:
            temp = f"cog-py-tmp:{uuid.uuid4().hex[:16]}"
            try:
                temp_id = self._code(prep, deps.deps_id, temp, {}, None)
                self.say(f"Reading the schema inside the image ({prep.schema.reason})...")
                doc = self._probe(temp, None)
                schema_json = openapi_json(doc)
                labels = self._labels(prep, schema_json, deps.freeze)
                self.say("Adding labels to image...")
                self._commit(prep, temp_id, self.name, labels, schema_json, source=False,
                             note=labelling.LABEL_LAYER_NOTE)
            finally:
                self.engine.untag(temp)
        _write_project_schema(self.config.project_dir, schema_json)
        return doc, labels

    def _deps(self, prep: Prepared) -> labelling.Remembered:
        """The dependency image and its freeze: remembered and still there, or built now."""
        inputs = self._deps_inputs(prep)
        key = self._key(prep, inputs)
        if key is not None:
            found = labelling.recall(key)
            if found is not None and self.engine.image_id(found.deps_id) is not None:
                return found
        dockerfile = labelling.deps_dockerfile(prep.dockerfile)
        temp = f"cog-py-tmp:{uuid.uuid4().hex[:16]}"
        context = self._context(prep, dockerfile, inputs.generated, inputs.files, source=False)
        deps_id = self._build(prep, temp, dockerfile, context, buildkit=prep.plan.needs_buildkit)
        # The temporary tag keeps the image until the code build has made a child of it.
        self._temps.append(temp)
        freeze = self.engine.run_capture(deps_id, FREEZE, what="pip freeze")
        if key is not None:
            labelling.remember(key, deps_id, freeze)
        return labelling.Remembered(deps_id=deps_id, freeze=freeze)

    def _key(self, prep: Prepared, inputs: DepsInputs) -> str | None:
        """Everything that decides the dependency image; None when it must be built anyway."""
        if self.settings.no_cache:
            return None
        base_id = self.engine.image_id(prep.plan.base_image)
        if base_id is None:
            return None
        parts: list[str | bytes] = [__version__, labelling.deps_dockerfile(prep.dockerfile), base_id,
                                    json.dumps(labelling.BUILD_ARGS, sort_keys=True)]
        for name, data in sorted(inputs.generated.items()):
            parts += [name, data]
        stats = [(name, path) for name, path in sorted(inputs.files.items())]
        stats += [(f"{p.CTX_WEIGHTS}/{rel}", prep.project.root / rel) for rel in prep.plan.weights]
        stats += [(f"{p.CTX_LOCAL}/{rel}", prep.project.root / rel) for rel in prep.plan.local_artifacts]
        for name, path in stats:
            try:
                st = path.stat()
            except OSError:
                return None
            parts.append(f"{name}\0{path}\0{st.st_size}\0{st.st_mtime_ns}")
        parts += [s.id for s in prep.secrets]
        return labelling.fingerprint(parts)

    def _code(self, prep: Prepared, deps_id: str, tag: str, labels: dict[str, str], schema_json: str | None) -> str:
        """The code, the schema file and the labels on the dependency image, as `tag`: one layer
        committed on it (what `labelling.code_dockerfile` describes, without a Dockerfile build)."""
        warn_if_large(prep.project, self.say)
        if self.settings.progress != "quiet":
            self.say("Adding the code and the labels to the dependency image...")
        built = self._commit(prep, deps_id, tag, labels, schema_json, source=True, note=labelling.CODE_LAYER_NOTE)
        self._untag_temps()   # the dependency image is now a parent: untagging keeps it
        return built

    def _commit(self, prep: Prepared, parent: str, tag: str, labels: dict[str, str], schema_json: str | None, *,
                source: bool, note: str) -> str:
        generated: dict[str, bytes] = {}
        if schema_json is not None:
            generated[labelling.SCHEMA_IN_SOURCE] = schema_json.encode()
        archive = write_code_archive(prep.plan, prep.project, generated=generated, source=source)
        try:
            return self.engine.commit_layer(LayerCommit(parent=parent, tag=tag, archive=archive, labels=labels,
                                                        created_by=note))
        finally:
            archive.close()

    def _untag_temps(self) -> None:
        while self._temps:
            self.engine.untag(self._temps.pop())

    def _labels(self, prep: Prepared, schema_json: str, freeze: str) -> dict[str, str]:
        git = self._git.result() if self._git is not None else None
        return image_labels(self.config, prep.plan, schema_json=schema_json, pip_freeze=freeze, git=git)

    # -- engine calls --------------------------------------------------------------------------

    def _build(self, prep: Prepared, tag: str, dockerfile: str, context: IO[bytes], *, buildkit: bool = False) -> str:
        request = ImageBuild(
            tag=tag, dockerfile=dockerfile, context=context, base_image=prep.plan.base_image,
            no_cache=self.settings.no_cache, progress=self.settings.progress,
            secrets=tuple(cli_form(s) for s in prep.secrets) if buildkit else (),
            # Always passed: the classic builder keys cached RUN steps on the build args given.
            build_args=labelling.BUILD_ARGS, buildkit=buildkit,
        )
        try:
            return self.engine.build(request, self.say)
        finally:
            context.close()

    def _probe(self, image: str, volumes: dict[str, dict[str, str]] | None) -> dict[str, Any]:
        out = self.engine.run_capture(image, probe_command(self.config), what="schema generation", volumes=volumes)
        return _parse_schema(out)

    def _deps_inputs(self, prep: Prepared) -> DepsInputs:
        plan = prep.plan
        generated: dict[str, bytes] = {}
        if plan.requirements_text:
            generated[f"{p.CTX_COG}/requirements.txt"] = plan.requirements_text.encode()
        if plan.constraints_text:
            generated[f"{p.CTX_COG}/constraints.txt"] = plan.constraints_text.encode()
        ca = load_ca_cert()
        if plan.ca_cert and ca:
            generated[f"{p.CTX_COG}/ca-cert.crt"] = ca.encode()
        files = {f"{p.CTX_RUNTIME}/{plan.runtime_wheel}": runtime_wheel(self.say)}
        for wheel in sorted(server_wheels(plan.server_python_short, self.say).glob("*.whl")):
            files[f"{p.CTX_RUNTIME}/wheels/{wheel.name}"] = wheel
        return DepsInputs(generated=generated, files=files)

    def _context(self, prep: Prepared, dockerfile: str, generated: dict[str, bytes], files: dict[str, Path], *,
                 source: bool = True) -> IO[bytes]:
        if source:
            warn_if_large(prep.project, self.say)
        return write_context(prep.plan, dockerfile, prep.project, generated=generated, files=files, source=source)


T = TypeVar("T")


class _Background(Generic[T]):
    """`fn()` on a daemon thread; `result()` waits for it (and raises what it raised)."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="cog-py-git-labels", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to result()
            self._error = exc

    def result(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def _parse_schema(out: str) -> dict[str, Any]:
    try:
        doc = json.loads(out)
    except json.JSONDecodeError as exc:
        raise BuildError(f"Model schema is invalid: the image printed no JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise BuildError("Model schema is invalid: not a JSON object")
    return doc


def _write_project_schema(project_dir: Path, schema_json: str) -> None:
    """Keep `.cog/openapi_schema.json` in the project (visible at /src when it is mounted)."""
    target = project_dir / ".cog" / "openapi_schema.json"
    try:
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(schema_json)
        tmp.replace(target)
    except OSError:
        pass
