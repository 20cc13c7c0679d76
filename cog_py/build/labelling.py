"""Putting the labels and the schema file on a release image, in the build that copies the code.

A release image is built in two parts: the dependencies (everything in the Dockerfile up to the
code copy) and, `FROM` that image, the schema file, the labels and the code. Labels need
`pip freeze` of the dependencies, known only once they are built; copying the code cannot
change it. So the freeze is remembered with the ID of the dependency image, under a key made of
everything that decides that image (the Dockerfile, the generated context files, our runtime,
the base image's ID). A code-only rebuild finds the key, checks the engine still has the image,
and makes only the last part: one layer committed on that image (docker/layers.py: a container
created from it, the code tar extracted into it, committed with the labels), less than even a
plain `FROM image` + `COPY` build. `code_dockerfile` is the Dockerfile that layer stands for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cog_py.build.wheel import cache_dir

SCHEMA_IN_IMAGE = "/src/.cog/openapi_schema.json"
SCHEMA_IN_CONTEXT = "cog/openapi_schema.json"
SCHEMA_IN_SOURCE = "src/.cog/openapi_schema.json"   # inside the code copy
CODE_COPY = "COPY src/ /src/"
# The code layer's line in `docker history` (it is committed, not built: docker/layers.py).
CODE_LAYER_NOTE = "#(nop) COPY src/ /src/ (cog_py: the code, the schema file and the labels)"
LABEL_LAYER_NOTE = "#(nop) COPY openapi_schema.json /src/.cog/ (cog_py: the schema read in the image, the labels)"


@dataclass(frozen=True)
class Remembered:
    deps_id: str
    freeze: str


def fingerprint(parts: Iterable[str | bytes]) -> str:
    """The cache key of a dependency image from everything that decides it."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


def _cache_file(key: str) -> Path:
    return cache_dir() / "pip-freeze" / f"{key}.json"


def recall(key: str) -> Remembered | None:
    """The dependency image and freeze remembered under `key`, if any."""
    try:
        data = json.loads(_cache_file(key).read_text())
        return Remembered(deps_id=str(data["deps_id"]), freeze=str(data["freeze"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember(key: str, deps_id: str, freeze: str) -> None:
    path = _cache_file(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"deps_id": deps_id, "freeze": freeze}))
        tmp.replace(path)
    except OSError:
        pass


def deps_dockerfile(dockerfile: str) -> str:
    """The release Dockerfile without its final code copy: the dependency image."""
    lines = dockerfile.rstrip("\n").split("\n")
    if lines and lines[-1].startswith(CODE_COPY):
        lines.pop()
    return "\n".join(lines) + "\n"


def code_dockerfile(deps_id: str, labels: dict[str, str], *, copy_source: bool, schema: bool = False) -> str:
    """`FROM` the dependency image, the labels, then the code. The schema file rides along in the
    code copy (`src/.cog/`, one step less); `schema` copies it on its own when there is no code copy.
    """
    out = f"FROM {deps_id}\n"
    if schema and not copy_source:
        out += f"COPY {SCHEMA_IN_CONTEXT} {SCHEMA_IN_IMAGE}\n"
    if labels:
        out += label_lines(labels)
    if copy_source:
        out += CODE_COPY + "\n"
    return out


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
