"""Reading the fixture predictors in tests/fixtures/predictors and the expectations they carry.

Each fixture starts with comment lines:
    # ref NAME                      the class or function (default: Predictor)
    # mode train                    inspect train() instead of predict()
    # expect PATH = JSON            a fragment of the OpenAPI document; PATH is dotted, relative
                                    to components.schemas, or to the document with a leading @;
                                    `null` means "absent"
    # expect-error MESSAGE          loading fails with exactly this message
    # expect-error-prefix MESSAGE   ... with a message starting like this
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "predictors"


@dataclass
class Fixture:
    path: Path
    name: str = "Predictor"
    mode: str = "predict"
    expects: list[tuple[str, Any]] = field(default_factory=list)
    error: str | None = None
    error_prefix: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.path.name}:{self.name}"


def read_fixture(path: Path) -> Fixture:
    fixture = Fixture(path)
    for line in path.read_text().splitlines():
        if not line.startswith("# "):
            break
        word, _, rest = line[2:].partition(" ")
        if word == "ref":
            fixture.name = rest.strip()
        elif word == "mode":
            fixture.mode = rest.strip()
        elif word == "expect":
            where, _, value = rest.partition(" = ")
            fixture.expects.append((where.strip(), json.loads(value)))
        elif word == "expect-error":
            fixture.error = rest
        elif word == "expect-error-prefix":
            fixture.error_prefix = rest
    return fixture


def all_fixtures() -> list[Fixture]:
    return [read_fixture(p) for p in sorted(FIXTURES.glob("*.py"))]


def lookup(doc: dict[str, Any], where: str) -> Any:
    """Follow a dotted path; None when some key is absent."""
    if where.startswith("@"):
        node: Any = doc
        parts = where[1:].split(".")
    else:
        node = doc["components"]["schemas"]
        parts = where.split(".")
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def to_cog_py(source: str) -> str:
    """The same predictor written against `cog_py` instead of `cog`."""
    return source.replace("from cog import", "from cog_py import").replace("import cog\n", "import cog_py as cog\n")
