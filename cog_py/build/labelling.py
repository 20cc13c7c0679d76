"""Putting the labels and the schema file on a release image, in the same build when possible.

Labels need `pip freeze` of the built image, which is known only after the build. But copying
the code cannot change the installed packages, so the freeze of the last build with the same
Dockerfile is remembered with the ID of its dependency layer (the step before the code copy).
A code-only rebuild then builds once with the labels already in place, and checks afterwards
that the dependency layer is the remembered one; when it is not (the packages changed), the
freeze is taken again and a small label stage (`FROM` the build) puts the right labels on.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from typing import Any

from cog_py.build.wheel import cache_dir

SCHEMA_IN_IMAGE = "/src/.cog/openapi_schema.json"
SCHEMA_IN_CONTEXT = "cog/openapi_schema.json"


@dataclass(frozen=True)
class Remembered:
    deps_id: str
    freeze: str


def _cache_file(name: str, dockerfile: str) -> Any:
    key = hashlib.sha256(f"{name}\0{dockerfile}".encode()).hexdigest()[:32]
    return cache_dir() / "pip-freeze" / f"{key}.json"


def recall(name: str, dockerfile: str) -> Remembered | None:
    """The freeze remembered for this image name and Dockerfile, if any."""
    path = _cache_file(name, dockerfile)
    try:
        data = json.loads(path.read_text())
        return Remembered(deps_id=str(data["deps_id"]), freeze=str(data["freeze"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(name: str, dockerfile: str, deps_id: str, freeze: str) -> None:
    path = _cache_file(name, dockerfile)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"deps_id": deps_id, "freeze": freeze}))
        tmp.replace(path)
    except OSError:
        pass


NEWLINE_ARG = "COG_NL"   # a build arg holding "\n": how a multi-line label (pip freeze) is written


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return '"' + escaped.replace("\r\n", "\n").replace("\n", "${" + NEWLINE_ARG + "}") + '"'


def label_lines(labels: dict[str, str]) -> str:
    """`ARG` + one `LABEL` instruction carrying every label; newlines come from the build arg
    NEWLINE_ARG (pass `BUILD_ARGS`), since a Dockerfile cannot spell one."""
    if not labels:
        return ""
    pairs = " ".join(f"{k}={_quote(v)}" for k, v in sorted(labels.items()))
    return f"ARG {NEWLINE_ARG}\nLABEL {pairs}\n"


BUILD_ARGS = {NEWLINE_ARG: "\n"}


def with_labels(dockerfile: str, labels: dict[str, str]) -> str:
    """The release Dockerfile with the schema file and the labels added just before the code copy
    (the schema layer stays cached while the schema does not change)."""
    lines = dockerfile.rstrip("\n").split("\n")
    code = lines.pop() if lines and lines[-1].startswith("COPY src/") else None
    extra = f"COPY {SCHEMA_IN_CONTEXT} {SCHEMA_IN_IMAGE}\n" + label_lines(labels)
    return "\n".join(lines) + "\n" + extra + (code + "\n" if code else "")


def label_stage_context(source: str, labels: dict[str, str], schema_json: str) -> io.BytesIO:
    """Context tar for `FROM source` + schema file + labels (build with BUILD_ARGS)."""
    dockerfile = f"FROM {source}\nCOPY {SCHEMA_IN_CONTEXT} {SCHEMA_IN_IMAGE}\n" + label_lines(labels)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for fname, data in (("Dockerfile", dockerfile.encode()), (SCHEMA_IN_CONTEXT, schema_json.encode())):
            info = tarfile.TarInfo(fname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf
