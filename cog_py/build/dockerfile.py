"""Render a BuildPlan into Dockerfile text. The only module that uses jinja2."""

from __future__ import annotations

import shlex

import jinja2

from cog_py.build import plan as p
from cog_py.build.planner import CUDA_PYTHON_VENV
from cog_py.build.requirements import LOCAL_DIR_IN_IMAGE
from cog_py.templates import templates_dir


def _double_quote(value: str) -> str:
    """A Dockerfile ENV value taken literally: no variable expansion, quotes escaped."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
    return f'"{escaped}"'


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["sh"] = shlex.quote
    env.filters["dq"] = _double_quote
    return env


def render_dockerfile(plan: p.BuildPlan) -> str:
    """The Dockerfile for `plan`, built against the context layout of context.py."""
    template = _environment().get_template("Dockerfile.j2")
    text = template.render(
        plan=plan,
        ctx={"source": p.CTX_SOURCE, "weights": p.CTX_WEIGHTS, "cog": p.CTX_COG,
             "local": p.CTX_LOCAL, "runtime": p.CTX_RUNTIME},
        server_venv=p.SERVER_VENV,
        python_venv=CUDA_PYTHON_VENV,
        local_dir=LOCAL_DIR_IN_IMAGE,
    )
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"
