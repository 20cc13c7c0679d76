"""Validate generated objects: core kinds against Kubernetes' own schemas, custom resources against their CRD.

    validate_core(obj)                 kubernetes-validate, strict (unknown fields fail), 1.30 and newest bundled
    load_crd(path)                     a CustomResourceDefinition file -> Crd (group, kind, versions' schemas)
    validate_custom(obj, crd)          the CRD's openAPIV3Schema with jsonschema, closed like the API server's
                                       pruning would be: an unknown field is an error, not silently dropped
    validate_objects(objs, crds)       every object, the right way; returns problems (empty: all valid)

Used by the tests of every `cog deploy` format (kubernetes, kserve, and ray). The two
libraries are test-only dependencies (`pip install cog_py[test]`); they are imported on use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cog_py.errors import CogError

Obj = Mapping[str, Any]
CORE_VERSIONS = ("1.30", None)   # the oldest Kubernetes we support, and the newest schema bundled
_ROOT_FIELDS = {"apiVersion", "kind", "metadata", "spec", "status"}


class ManifestError(CogError):
    """A generated object does not validate."""


@dataclass(frozen=True)
class Crd:
    """A custom resource's kind and, per served API version, its openAPIV3Schema."""

    group: str
    kind: str
    schemas: Mapping[str, Mapping[str, Any]]   # version -> closed JSON Schema (see `closed`)

    def api_versions(self) -> list[str]:
        return [f"{self.group}/{v}" for v in self.schemas]


def _need(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ManifestError(f"validating manifests needs the '{module}' package",
                            hint="pip install 'cog_py[test]' (kubernetes-validate and jsonschema).") from exc


def validate_core(obj: Obj, versions: Sequence[str | None] = CORE_VERSIONS) -> list[str]:
    """Problems of a core object (Deployment, Service, ...) under each Kubernetes version (None: newest)."""
    kv = _need("kubernetes_validate")
    problems = []
    for version in versions:
        wanted = version or kv.latest_version()
        try:
            kv.validate(dict(obj), wanted, strict=True)
        except kv.ValidationError as exc:
            where = ".".join(str(p) for p in exc.absolute_path) or "(root)"
            problems.append(f"{_ident(obj)}: Kubernetes {wanted}: {where}: {exc.message}")
        except kv.SchemaNotFoundError:
            problems.append(f"{_ident(obj)}: Kubernetes {wanted} has no {obj.get('apiVersion')} {obj.get('kind')}")
    return problems


def load_crd(path: Path) -> Crd:
    """Read a CustomResourceDefinition (YAML) and keep the schema of each served version."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # the KServe CRD is 2 MB: 10x faster in C
    docs = [d for d in yaml.load_all(path.read_text(), Loader=loader) if isinstance(d, dict)]
    for doc in docs:
        if doc.get("kind") == "CustomResourceDefinition":
            spec = doc["spec"]
            schemas = {v["name"]: _root_schema(v["schema"]["openAPIV3Schema"]) for v in spec["versions"]
                       if v.get("served", True) and "schema" in v}
            return Crd(group=spec["group"], kind=spec["names"]["kind"], schemas=schemas)
    raise ManifestError(f"{path} holds no CustomResourceDefinition")


def _root_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The closed schema of a whole object; metadata is checked apart (the API server owns its schema)."""
    out: dict[str, Any] = closed(schema)
    out.setdefault("properties", {})["metadata"] = {"type": "object"}
    return out


def closed(schema: Any) -> Any:
    """A copy of an OpenAPI v3 structural schema as JSON Schema the way the API server applies it.

    Unknown fields are pruned by the server, which would hide a misspelt field: here they fail
    (objects with `properties` and neither `additionalProperties` nor
    `x-kubernetes-preserve-unknown-fields` are closed). `x-kubernetes-int-or-string` allows both.
    """
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: closed(v) for k, v in schema.items() if k not in ("properties",)}
    if "properties" in schema:
        out["properties"] = {k: closed(v) for k, v in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out.setdefault("anyOf", [{"type": "integer"}, {"type": "string"}])
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _metadata_problems(obj: Obj) -> list[str]:
    import re

    meta = obj.get("metadata")
    if not isinstance(meta, Mapping) or not isinstance(meta.get("name"), str):
        return [f"{_ident(obj)}: metadata.name is missing"]
    problems = []
    if not re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", meta["name"]) or len(meta["name"]) > 63:
        problems.append(f"{_ident(obj)}: metadata.name '{meta['name']}' is not a DNS label")
    extra = set(meta) - {"name", "namespace", "labels", "annotations"}
    if extra:
        problems.append(f"{_ident(obj)}: unexpected metadata fields {sorted(extra)}")
    return problems


def validate_custom(obj: Obj, crd: Crd) -> list[str]:
    """Problems of a custom resource under its CRD's openAPIV3Schema (all of them, not only the first)."""
    jsonschema = _need("jsonschema")
    group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
    if group != crd.group or obj.get("kind") != crd.kind or version not in crd.schemas:
        return [f"{_ident(obj)}: not one of {crd.api_versions()} kind {crd.kind}"]
    validator = jsonschema.Draft7Validator(crd.schemas[version])
    problems = [f"{_ident(obj)}: {'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
                for e in sorted(validator.iter_errors(dict(obj)), key=lambda e: list(map(str, e.absolute_path)))]
    unknown = set(obj) - _ROOT_FIELDS
    if unknown:
        problems.append(f"{_ident(obj)}: unknown top-level fields {sorted(unknown)}")
    return problems + _metadata_problems(obj)


def validate_objects(objects: Iterable[Obj], crds: Iterable[Crd] = ()) -> list[str]:
    """Validate each object: against its CRD when one of `crds` defines its kind, else as a core kind."""
    by_kind = {(api, crd.kind): crd for crd in crds for api in crd.api_versions()}
    problems: list[str] = []
    for obj in objects:
        crd = by_kind.get((str(obj.get("apiVersion")), str(obj.get("kind"))))
        problems += validate_custom(obj, crd) if crd is not None else validate_core(obj)
    return problems


def check_objects(objects: Iterable[Obj], crds: Iterable[Crd] = ()) -> None:
    """Raise ManifestError listing every problem, if any."""
    problems = validate_objects(objects, crds)
    if problems:
        raise ManifestError("generated manifests do not validate:\n" + "\n".join(f"- {p}" for p in problems))


def _ident(obj: Obj) -> str:
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), Mapping) else {}
    return f"{obj.get('kind', '?')}/{(meta or {}).get('name', '?')}"
