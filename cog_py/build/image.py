"""`cog build`'s inputs: the settings, the image name, and everything decided before the engine
is involved (`prepare`: schema, plan, Dockerfile). The engine part is `BuildJob` (build/job.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cog_py._version import __version__
from cog_py.build import plan as p
from cog_py.build.cacert import load_ca_cert
from cog_py.build.context import ProjectFiles, find_weights, scan_project
from cog_py.build.dockerfile_cache import dockerfile_for
from cog_py.build.planner import make_plan
from cog_py.build.provided import undeclared_cog_packages
from cog_py.build.schema import StaticSchema, load_schema_file, static_schema
from cog_py.build.secrets import parse_secret
from cog_py.build.wheel import runtime_wheel_name
from cog_py.config.checks import check_predictor_refs
from cog_py.config.models import Config
from cog_py.errors import CogError, ConfigError
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
    return Prepared(plan=plan, dockerfile=dockerfile_for(plan), project=project, schema=schema, secrets=secrets)


def build_image(config: Config, settings: BuildSettings, ui: UI, *, client: Any = None) -> BuiltImage:
    """Build (and in release mode label) the image for `config` (see build/job.py)."""
    from cog_py.build.engine import DockerEngine
    from cog_py.build.job import BuildJob

    job = BuildJob(config, settings, ui)
    job.prepare()   # config and schema mistakes are reported before the engine is reached
    if client is not None:
        return job.run(DockerEngine(client))
    engine = DockerEngine.from_env()   # the docker SDK is connected only if a step needs it
    try:
        return job.run(engine)
    finally:
        engine.close()


__all__ = ["BuildSettings", "BuiltImage", "build_image", "image_name", "prepare", "__version__"]
