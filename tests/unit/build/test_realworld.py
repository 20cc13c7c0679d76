"""Models written in the styles of public Cog repositories (tests/fixtures/realworld/<name>/).

Each fixture's cog.yaml names, on its first line, the row of issue 12's table it stands for.
For every fixture: cog.yaml loads, the build plan and the Dockerfile are made (golden), and the
static schema is read (golden: the Input and Output components), plus the check of its row.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from cog_py.build.dockerfile import render_dockerfile
from cog_py.build.plan import BuildOptions, BuildPlan
from cog_py.build.planner import make_plan
from cog_py.build.provided import undeclared_cog_packages
from cog_py.build.schema import static_schema
from cog_py.config.loader import load_config
from tests.golden import assert_golden

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "realworld"
NAMES = sorted(p.name for p in ROOT.iterdir() if (p / "cog.yaml").is_file())

# Fixtures expected to fail until another issue lands (strict: a pass is reported).
NOT_YET: dict[str, str] = {}


def row_of(project: Path) -> str:
    first = (project / "cog.yaml").read_text().splitlines()[0]
    m = re.match(r"# issue 12 row: (.+)$", first)
    assert m, f"{project.name}: the first line of cog.yaml must name its row"
    return m.group(1)


def default_none_inputs(path: Path) -> set[str]:
    """Parameters written `name: T = Input(default=None, ...)` in a predictor file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name not in ("predict", "train"):
            continue
        args = node.args.args + node.args.kwonlyargs
        defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
        defaults += list(node.args.kw_defaults)
        for arg, default in zip(args, defaults):
            if isinstance(default, ast.Call) and any(
                k.arg == "default" and isinstance(k.value, ast.Constant) and k.value.value is None
                for k in default.keywords
            ):
                names.add(arg.arg)
    return names


def build_report(warnings: list[str], plan: BuildPlan, imports: list[str]) -> str:
    lines = [f"config warning: {w}" for w in warnings]
    lines += [f"warning: {w}" for w in (*plan.warnings, *imports)]
    lines += [f"note: {n}" for n in getattr(plan, "notes", ())]
    lines.append(f"base: {plan.base_image} ({plan.base_kind}) cuda={plan.cuda} cudnn={plan.cudnn}")
    lines.append("--- requirements.txt")
    return "\n".join(lines) + "\n" + plan.requirements_text


def _params() -> list[Any]:
    return [
        pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=NOT_YET[n])] if n in NOT_YET else [])
        for n in NAMES
    ]


def test_there_are_thirty_fixtures_and_each_names_its_row() -> None:
    assert len(NAMES) >= 30
    for name in NAMES:
        row_of(ROOT / name)


@pytest.mark.parametrize("name", _params())
def test_realworld_fixture(name: str) -> None:
    project = ROOT / name
    row = row_of(project)
    loaded = load_config(project / "cog.yaml")
    config = loaded.config
    plan = make_plan(config, BuildOptions())
    dockerfile = render_dockerfile(plan)
    schema = static_schema(config)

    # the row's own check
    if row == "system-cuda":
        assert plan.base_kind == "cuda", plan.base_image
    if row in ("torch-specifier", "torch-unpinned", "torch-old", "tensorflow-old"):
        assert plan.cuda is not None
    if row == "cog-provided-packages":
        for pkg in ("requests", "pyyaml", "typing_extensions"):
            assert re.search(rf"(?m)^{pkg}\b", plan.requirements_text), pkg
        if "pydantic" in (project / "predict.py").read_text():
            assert any("imports pydantic" in w for w in undeclared_cog_packages(config))
    if row == "static-dynamic":
        assert schema.doc is not None, schema.reason
    if row == "build-fast":
        assert any("no effect" in w or "ignored" in w for w in loaded.warnings), loaded.warnings

    assert schema.doc is not None, schema.reason
    components = schema.doc["components"]["schemas"]
    for mode, ref in (("Input", config.predict), ("TrainingInput", config.train)):
        if not ref:
            continue
        props = components[mode]["properties"]
        required = set(components[mode].get("required", []))
        for param in default_none_inputs(project / ref.split(":")[0]):
            assert param not in required, f"{mode}.{param}: Input(default=None) must be optional"
            assert props[param].get("nullable") is True, f"{mode}.{param}: must be nullable"
    if row == "union-output-one-choice":
        assert "anyOf" in components["Output"], components["Output"]

    assert_golden(f"realworld/{name}.Dockerfile", dockerfile)
    assert_golden(f"realworld/{name}.build.txt", build_report(loaded.warnings, plan, undeclared_cog_packages(config)))
    picked = {k: v for k, v in components.items() if k in ("Input", "Output", "TrainingInput", "TrainingOutput")}
    assert_golden(f"realworld/{name}.schema.json", json.dumps(picked, indent=2) + "\n")
