"""Manifests as text: one stable YAML stream, or one file per object in a directory."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cog_py.deploy import kserve, kubernetes
from cog_py.deploy.plan import DeployPlan

Obj = dict[str, Any]


def render(plan: DeployPlan) -> list[Obj]:
    """The objects of the plan's format."""
    return kserve.render_objects(plan) if plan.format == "kserve" else kubernetes.render_objects(plan)


def to_yaml(objects: Sequence[Obj]) -> str:
    """A multi-document YAML stream in the objects' own key order (stable: golden-tested)."""
    import yaml

    docs = [yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=1000) for obj in objects]
    return "---\n" + "---\n".join(docs)


def file_name(obj: Obj) -> str:
    """`deployment.yaml`, `scaledobject.yaml`, ... (kinds are unique within one rendered set)."""
    return f"{str(obj['kind']).lower()}.yaml"


def write_directory(objects: Sequence[Obj], directory: Path) -> list[Path]:
    """One file per object (for `kubectl apply -f DIR`); returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for obj in objects:
        path = directory / file_name(obj)
        path.write_text(to_yaml([obj]))
        written.append(path)
    return written
