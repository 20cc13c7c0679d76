"""The README's first set-up command: `bash scripts/demo` builds an example and predicts with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.cli_support import cog_env

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.engine, pytest.mark.slow]


def test_demo_builds_and_predicts_hello_world(engine: object) -> None:
    env = cog_env()
    del env["COG_DOCKER_NETWORK"]  # as a user runs it: the CLI finds the engine has no bridge itself
    # The demo calls the `cog` console script: the one installed beside this interpreter.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "demo"), "examples/hello-world", "-i", "text=demo"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "hello demo"
    assert "Image built as cog-hello-world" in proc.stderr
