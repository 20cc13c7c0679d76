"""Running the real `cog` CLI in integration tests: environment, projects, container checks."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from tests.integration.conftest import SESSION_ID, TEST_LABELS, TEST_SESSION_LABEL, listed_containers

COG = [sys.executable, "-c", "import sys; from cog_py.cli.main import main; sys.exit(main())"]


def cog_env(**extra: str) -> dict[str, str]:
    """The engine here has no bridge: containers run on the host network, labelled as test ones."""
    labels = ",".join(f"{k}={v}" for k, v in TEST_LABELS.items())
    return {**os.environ, "COG_DOCKER_NETWORK": "host", "COG_PY_CONTAINER_LABELS": labels, "NO_COLOR": "1", **extra}


def run_cog(cwd: Path, *args: str, stdin: str | None = None, timeout: float = 900, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `cog ARGS` in `cwd` and return what it printed (never raises on a non-zero exit)."""
    return subprocess.run([*COG, *args], cwd=cwd, env=cog_env(**env), input=stdin if stdin is not None else "",
                          capture_output=True, text=True, timeout=timeout)


def popen_cog(cwd: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*COG, *args], cwd=cwd, env=cog_env(**env), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def make_project(root: Path, name: str, predictor: str, *, yaml_extra: str = "", files: dict[str, str] | None = None) -> Path:
    """A project directory with cog.yaml + predict.py (dedented source)."""
    project = root / name
    project.mkdir(parents=True, exist_ok=True)
    config = 'build:\n  python_version: "3.11"\npredict: "predict.py:Predictor"\n' + yaml_extra
    (project / "cog.yaml").write_text(config)
    (project / "predict.py").write_text(textwrap.dedent(predictor).lstrip())
    for rel, text in (files or {}).items():
        (project / rel).write_text(textwrap.dedent(text).lstrip())
    return project


def session_container_ids(client: Any) -> set[str]:
    """Ids of the containers this test session created (running or not); other sessions share the engine."""
    return set(listed_containers(client, f"{TEST_SESSION_LABEL}={SESSION_ID}"))


def dev_image_name(project: Path) -> str:
    from cog_py.build.image import image_name
    from cog_py.config.loader import load_config

    return image_name(load_config(cwd=project).config)
