"""The worker runs in the user's environment: it must need nothing of the server's packages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from tests.server.conftest import REPO

pytestmark = pytest.mark.timeout(300)

SERVER_ONLY = ("fastapi", "pydantic", "pydantic_core", "uvicorn", "starlette", "httpx", "orjson", "pybase64", "yaml",
               "typer", "jinja2", "docker", "uvloop", "httptools", "anyio", "typing_extensions")

BLOCKER = textwrap.dedent(f"""
    import sys
    BLOCKED = {SERVER_ONLY!r}

    class _Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the layering test)")
            return None

    sys.meta_path.insert(0, _Blocker())
""")


@pytest.fixture(scope="module")
def blocked_python(tmp_path_factory) -> str:
    """An interpreter wrapper under which the server-only packages cannot be imported."""
    root = tmp_path_factory.mktemp("blocked")
    (root / "sitecustomize.py").write_text(BLOCKER)
    wrapper = root / "python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{root}:{REPO}" exec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def test_worker_modules_import_without_server_packages(blocked_python):
    code = ("import cog_py.worker.runtime, cog_py.worker.execute, cog_py.worker.gpu, cog_py.protocol, cog, "
            "cog_py.predictor.loader, cog_py.predictor.coerce, cog_py.predictor.encode, cog_py.predictor.openapi\n"
            "import sys\n"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {SERVER_ONLY!r}]\n"
            "assert not bad, bad\n"
            "try:\n    import fastapi\nexcept ModuleNotFoundError:\n    print('blocked ok')\n")
    out = subprocess.run([blocked_python, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "blocked ok" in out.stdout


def test_full_server_with_a_worker_that_cannot_import_server_packages(make_server, blocked_python):
    server = make_server("logs.py:Predictor", env={"COG_WORKER_PYTHON": blocked_python})
    body = server.predict({"tag": "z"}).json()
    assert body["status"] == "succeeded", body
    assert "child z" in body["logs"]


@pytest.fixture(scope="module")
def pydantic_v1_python() -> str:
    """A venv whose only third-party package is pydantic 1.x (cached between runs)."""
    root = Path(os.environ.get("COG_TEST_CACHE", "/tmp/cog-py-test-cache")) / "venv-pydantic1"
    python = root / "bin" / "python"
    if not (root / ".ok").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(root)
        result = subprocess.run([str(python), "-m", "pip", "install", "-q", "pydantic<2"],
                                capture_output=True, text=True, timeout=240)
        if result.returncode != 0:
            pytest.skip(f"cannot install pydantic<2 from PyPI: {result.stderr[-500:]}")
        (root / ".ok").touch()
    return str(python)


def test_predictor_whose_environment_pins_pydantic_1(make_server, pydantic_v1_python):
    server = make_server("pydantic_v1.py:Predictor", env={"COG_WORKER_PYTHON": pydantic_v1_python})
    body = server.predict({"x": 5}).json()
    assert body["status"] == "succeeded", body
    assert body["output"].startswith("pydantic 1.")
    assert '"x": 5' in body["output"]
