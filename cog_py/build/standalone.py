"""Standalone CPython builds for images (data/python.json): which archive, from where, its checksum.

Used where the base image has no package for the wanted Python (the nvidia/cuda images' Ubuntu),
and for the HTTP parent's own interpreter when the model's Python is older than the parent's
dependencies support. The archives are python-build-standalone `install_only` builds: one
top-level `python/` directory holding `bin/python3` and `lib/`.

`COG_PYTHON_MIRROR` replaces the download site (a mirror keeps the same `<release>/<file>` paths);
`COG_PYTHON_BUILDS` names a JSON file shaped like data/python.json whose `builds` entries replace
ours (and whose `mirror`, if any, replaces the site), e.g. for builds of your own.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cog_py.errors import BuildError

MIRROR_ENV = "COG_PYTHON_MIRROR"
BUILDS_ENV = "COG_PYTHON_BUILDS"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StandalonePython:
    """One archive to download, check and unpack into `prefix` (whose bin/python3 it provides)."""

    minor: str          # "3.12"
    version: str        # "3.12.6"
    url: str
    sha256: str
    prefix: str         # where it is unpacked in the image

    @property
    def python(self) -> str:
        return f"{self.prefix}/bin/python{self.minor}"


def _table() -> dict[str, Any]:
    text = resources.files("cog_py.build").joinpath("data", "python.json").read_text(encoding="utf-8")
    table: dict[str, Any] = json.loads(text)
    override = os.environ.get(BUILDS_ENV)
    if override:
        try:
            extra = json.loads(Path(override).read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise BuildError(f"{BUILDS_ENV}: cannot read {override}: {err}",
                             hint="Point it at a JSON file shaped like cog_py/build/data/python.json.") from None
        table = {**table, "builds": {**table["builds"], **extra.get("builds", {})}}
        if extra.get("mirror"):
            table["mirror"] = extra["mirror"]
    return table


def standalone_versions() -> tuple[str, ...]:
    """The Python versions (`3.X`) a standalone build is known for."""
    return tuple(_table()["builds"])


def standalone_python(minor: str, prefix: str) -> StandalonePython:
    """The standalone build of Python `minor`, to be unpacked at `prefix` in the image."""
    table = _table()
    row = table["builds"].get(minor)
    if row is None:
        raise BuildError(
            f"no standalone Python build is known for Python {minor}",
            hint=f"Add one to {BUILDS_ENV} (a JSON file shaped like cog_py/build/data/python.json) "
                 "or choose a python_version the base image packages.",
        )
    sha = str(row["sha256"]).lower()
    if not _SHA256.match(sha):
        raise BuildError(f"standalone Python {minor}: sha256 {row['sha256']!r} is not a SHA-256 hex digest")
    mirror = (os.environ.get(MIRROR_ENV) or str(table["mirror"])).rstrip("/")
    url = f"{mirror}/{row['release']}/{urllib.parse.quote(str(row['file']))}"
    return StandalonePython(minor=minor, version=str(row["version"]), url=url, sha256=sha, prefix=prefix)
