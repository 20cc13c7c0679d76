"""`cog build` end to end: config -> plan -> context -> engine build -> labels -> tagged image.

The build runs to a temporary tag; only when every step (pip freeze, schema, labels) has
worked is the final name tagged, so a failed build never leaves a half-made image under it.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cog_py._version import __version__
from cog_py.build import labelling
from cog_py.build import plan as p
from cog_py.build.cacert import load_ca_cert
from cog_py.build.context import ProjectFiles, find_weights, scan_project, warn_if_large, write_context
from cog_py.build.dockerfile import render_dockerfile
from cog_py.build.image_labels import image_labels
from cog_py.build.planner import make_plan
from cog_py.build.provided import undeclared_cog_packages
from cog_py.build.schema import StaticSchema, load_schema_file, probe_command, static_schema
from cog_py.build.secrets import cli_form, parse_secret
from cog_py.build.wheel import runtime_wheel, runtime_wheel_name, server_wheels
from cog_py.config.checks import check_predictor_refs
from cog_py.config.models import Config
from cog_py.errors import BuildError, CogError, ConfigError
from cog_py.predictor.openapi import openapi_json
from cog_py.ui import UI

Say = Callable[[str], None]


@dataclass(frozen=True)
class BuildSettings:
    """`cog build` flags (and what `cog run`/`serve` ask for: mode="dev")."""

    tag: str | None = None
    mode: p.Mode = "release"
    no_cache: bool = False
    progress: str = "auto"
    secrets: tuple[str, ...] = ()
    separate_weights: bool = False
    openapi_schema: Path | None = None
    use_cuda_base_image: str = "auto"
    with_ray: bool = False


@dataclass(frozen=True)
class BuiltImage:
    name: str
    size: int
    seconds: float
    schema: dict[str, Any] | None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """Everything decided before the engine is involved."""

    plan: p.BuildPlan
    dockerfile: str
    project: ProjectFiles
    schema: StaticSchema
    secrets: tuple[p.SecretSpec, ...]

    @property
    def steps(self) -> int:
        """Instructions in the Dockerfile (the classic builder reports one image ID per step)."""
        return sum(1 for line in self.dockerfile.splitlines() if line and not line.startswith((" ", "#")))


def image_name(config: Config, tag: str | None = None) -> str:
    """`-t` > `image:` > `cog-<dirname>` (lowercase, [a-z0-9-], 30 characters at most)."""
    if tag:
        return tag
    if config.image:
        return config.image
    base = config.project_dir.resolve().name.lower().replace(" ", "-")
    base = re.sub(r"[^a-z0-9-]", "", base)
    return ("cog-" + base)[:30]


def prepare(config: Config, settings: BuildSettings, ui: UI, *, for_debug: bool = False) -> Prepared:
    """Schema, CA cert, weights, plan and Dockerfile: no engine needed."""
    refs = check_predictor_refs(config.predict, config.train, config.project_dir, (config.predict_key, "train"))
    if refs:
        raise ConfigError("\n".join(f"{config.config_path.name}: {problem}" for problem in refs),
                          hint="Point predict/train at a file in the project and a class defined in it.")
    if settings.openapi_schema is not None:
        schema = StaticSchema(doc=load_schema_file(settings.openapi_schema))
    elif for_debug:
        try:
            schema = static_schema(config)
        except CogError:
            schema = StaticSchema(doc=None, reason="not needed to show the Dockerfile")
    else:
        schema = static_schema(config)
    ca = load_ca_cert()
    if ca is not None and not for_debug:
        ui.info("Injecting CA certificate from COG_CA_CERT")
    project = scan_project(config.project_dir)
    weights = find_weights(project) if settings.separate_weights else ()
    secrets = tuple(parse_secret(s, config.project_dir) for s in settings.secrets)
    options = p.BuildOptions(
        mode=settings.mode, use_cuda_base_image=settings.use_cuda_base_image,
        separate_weights=settings.separate_weights, weights=weights, secrets=secrets, ca_cert=ca,
        runtime_wheel=runtime_wheel_name(), concurrency_max=schema.concurrency_max, with_ray=settings.with_ray,
    )
    plan = make_plan(config, options)
    for warning in (*plan.warnings, *undeclared_cog_packages(config)):
        ui.warn(warning)
    if for_debug:
        for note in plan.notes:
            ui.info(note)
    given = {s.id for s in secrets}
    for step in plan.runs:
        for mount in step.mounts:
            if mount.id not in given and not for_debug:
                ui.warn(f"build.run mounts secret '{mount.id}' but no --secret id={mount.id},... was given")
    return Prepared(plan=plan, dockerfile=render_dockerfile(plan), project=project, schema=schema, secrets=secrets)


def _context(prep: Prepared, say: Say, *, dockerfile: str, extra: dict[str, bytes]) -> IO[bytes]:
    plan = prep.plan
    warn_if_large(prep.project, say)
    generated: dict[str, bytes] = {}
    if plan.requirements_text:
        generated[f"{p.CTX_COG}/requirements.txt"] = plan.requirements_text.encode()
    if plan.constraints_text:
        generated[f"{p.CTX_COG}/constraints.txt"] = plan.constraints_text.encode()
    ca = load_ca_cert()
    if plan.ca_cert and ca:
        generated[f"{p.CTX_COG}/ca-cert.crt"] = ca.encode()
    files = {f"{p.CTX_RUNTIME}/{plan.runtime_wheel}": runtime_wheel(say)}
    for wheel in sorted(server_wheels(plan.server_python_short, say).glob("*.whl")):
        files[f"{p.CTX_RUNTIME}/wheels/{wheel.name}"] = wheel
    generated.update(extra)
    return write_context(plan, dockerfile, prep.project, generated=generated, files=files)


def build_image(config: Config, settings: BuildSettings, ui: UI, *, client: Any = None) -> BuiltImage:
    """Build (and in release mode label) the image for `config`; return its name and size."""
    from cog_py.docker.client import connect

    say = ui.info
    started = time.monotonic()
    name = image_name(config, settings.tag)
    say(f"Building Docker image from environment in cog.yaml as {name}...")
    prep = prepare(config, settings, ui)
    if client is not None:
        return _build(config, settings, prep, name, client, say, started)
    client = connect()
    try:
        return _build(config, settings, prep, name, client, say, started)
    finally:
        client.close()


def _build(config: Config, settings: BuildSettings, prep: Prepared, name: str, client: Any, say: Say,
           started: float) -> BuiltImage:
    from cog_py.docker import images

    release = settings.mode == "release"
    build_tag = f"cog-py-tmp:{uuid.uuid4().hex[:16]}" if release else name
    doc = prep.schema.doc
    # One build with the labels in it when the schema is known and a freeze is remembered.
    remembered = None
    if release and doc is not None and not prep.plan.needs_buildkit:
        remembered = labelling.recall(name, prep.dockerfile)
    schema_json = openapi_json(doc) if doc is not None else None
    labels: dict[str, str] = {}
    dockerfile, extra = prep.dockerfile, {}
    if remembered is not None and schema_json is not None:
        labels = image_labels(config, prep.plan, schema_json=schema_json, pip_freeze=remembered.freeze)
        dockerfile = labelling.with_labels(prep.dockerfile, labels)
        extra = {labelling.SCHEMA_IN_CONTEXT: schema_json.encode()}
    try:
        step_ids = _engine_build(prep, settings, client, build_tag, dockerfile, extra, say)
        deps_id = step_ids[prep.steps - 2] if len(step_ids) >= prep.steps else None
        if schema_json is None:
            say(f"Reading the schema inside the image ({prep.schema.reason})...")
            volumes = None if release else {str(config.project_dir): {"bind": "/src", "mode": "ro"}}
            out = images.run_capture(client, build_tag, probe_command(config), what="schema generation",
                                     volumes=volumes)
            doc = _parse_schema(out)
            schema_json = openapi_json(doc)
        _write_project_schema(config.project_dir, schema_json)
        if release:
            say("Adding labels to image...")
            if remembered is not None and deps_id == remembered.deps_id:
                images.tag_image(client, build_tag, name)
            else:
                freeze = images.run_capture(client, build_tag, ["python", "-m", "pip", "freeze"], what="pip freeze")
                if deps_id:
                    labelling.remember(name, prep.dockerfile, deps_id, freeze)
                labels = image_labels(config, prep.plan, schema_json=schema_json, pip_freeze=freeze)
                _label_stage(client, build_tag, name, labels, schema_json, say)
    finally:
        if release:
            images.remove_tag(client, build_tag)
    size = int(images.image_attrs(client, name).get("Size", 0))
    return BuiltImage(name=name, size=size, seconds=time.monotonic() - started, schema=doc, labels=labels)


def _engine_build(prep: Prepared, settings: BuildSettings, client: Any, tag: str, dockerfile: str,
                  extra: dict[str, bytes], say: Say) -> list[str]:
    from cog_py.docker import build as dbuild

    context = _context(prep, say, dockerfile=dockerfile, extra=extra)
    try:
        request = dbuild.BuildRequest(
            tag=tag, context=context, base_image=prep.plan.base_image, no_cache=settings.no_cache,
            progress=settings.progress, secrets=tuple(cli_form(s) for s in prep.secrets),
            # Always passed: the classic builder keys cached RUN steps on the build args given.
            build_args=labelling.BUILD_ARGS,
        )
        if prep.plan.needs_buildkit:
            dbuild.build_with_buildkit(request, say)
            return []
        return dbuild.build_with_sdk(client, request, say)
    finally:
        context.close()


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


def _label_stage(client: Any, source: str, name: str, labels: dict[str, str], schema_json: str, say: Say) -> None:
    """FROM the built image: add the schema file and the labels, tagged with the final name."""
    from cog_py.docker import build as dbuild

    buf = labelling.label_stage_context(source, labels, schema_json)
    request = dbuild.BuildRequest(tag=name, context=buf, base_image=source, build_args=labelling.BUILD_ARGS,
                                  progress="quiet")
    dbuild.build_with_sdk(client, request, say)


__all__ = ["BuildSettings", "BuiltImage", "build_image", "image_name", "prepare", "__version__"]
