"""The labels of a built image: run.cog.* (Cog's keys) and the OCI image annotations."""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from cog_py import labels as keys
from cog_py._version import __version__
from cog_py.build.plan import BuildPlan
from cog_py.config.models import Config


def config_json(config: Config, plan: BuildPlan | None = None) -> str:
    """The resolved config in Cog's label shape (§2.5): compact, empty values left out."""
    b = config.build
    build: dict[str, Any] = {}
    if b.gpu:
        build["gpu"] = True
    build["python_version"] = b.python_version
    if b.python_requirements:
        build["python_requirements"] = b.python_requirements
    if b.python_packages:
        build["python_packages"] = list(b.python_packages)
    if b.run:
        build["run"] = [
            {"command": r.command, **({"mounts": [m.model_dump() for m in r.mounts]} if r.mounts else {})}
            for r in b.run
        ]
    if b.system_packages:
        build["system_packages"] = list(b.system_packages)
    cuda = (plan.cuda if plan else None) or b.cuda
    cudnn = (plan.cudnn if plan else None) or b.cudnn
    if cuda:
        build["cuda"] = cuda
    if cudnn:
        build["cudnn"] = cudnn
    out: dict[str, Any] = {"build": build}
    if config.image:
        out["image"] = config.image
    if config.predict:
        out["predict"] = config.predict
    if config.train:
        out["train"] = config.train
    concurrency = next((v for k, v in (plan.baked_env if plan else ()) if k == "COG_MAX_CONCURRENCY"), None)
    if concurrency or config.concurrency_max or config.concurrency_queue:
        out["concurrency"] = {"max": int(concurrency or config.concurrency_max or 1)}
        if config.concurrency_queue:
            out["concurrency"]["queue"] = config.concurrency_queue
    if config.batch is not None:
        out["batch"] = {"max_size": config.batch.max_size}
        if config.batch.max_wait_ms is not None:
            out["batch"]["max_wait_ms"] = config.batch.max_wait_ms
    if config.environment:
        out["environment"] = [f"{k}={v}" for k, v in config.environment]
    return json.dumps(out, separators=(",", ":"))


def strip_credentials(url: str) -> str:
    """`https://user:token@host/x.git` -> `https://host/x.git`; scp-like `git@host:x` kept."""
    return re.sub(r"^([a-z][a-z0-9+.\-]*://)[^@/]+@", r"\1", url, flags=re.I)


def _git(project_dir: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=project_dir, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = proc.stdout.strip()
    return out if proc.returncode == 0 and out else None


def git_labels(project_dir: Path, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """OCI revision/version/source from $GITHUB_SHA/$GITHUB_REF_NAME or the git checkout."""
    out: dict[str, str] = {}
    inside = _git(project_dir, "rev-parse", "--is-inside-work-tree") == "true"
    revision = environ.get("GITHUB_SHA") or (inside and _git(project_dir, "rev-parse", "HEAD")) or None
    version = environ.get("GITHUB_REF_NAME") or (
        inside and _git(project_dir, "describe", "--tags", "--always", "--dirty")) or None
    source = inside and _git(project_dir, "config", "--get", "remote.origin.url") or None
    if revision:
        out[keys.OCI_REVISION] = revision
    if version:
        out[keys.OCI_VERSION] = version
    if source:
        out[keys.OCI_SOURCE] = strip_credentials(source)
    return out


def image_labels(config: Config, plan: BuildPlan, *, schema_json: str, pip_freeze: str,
                 now: datetime | None = None, git: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every label of a release image; `git`: `git_labels(config.project_dir)` when already read."""
    created = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        keys.COG_VERSION: __version__,
        keys.COG_CONFIG: config_json(config, plan),
        keys.COG_OPENAPI_SCHEMA: schema_json,
        keys.COG_PIP_FREEZE: pip_freeze,
        keys.OCI_CREATED: created,
        **(git if git is not None else git_labels(config.project_dir)),
    }
