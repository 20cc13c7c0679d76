"""The SDK works with nothing but the standard library: a bare venv, the repo on PYTHONPATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures" / "predictors"

SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile
    from pathlib import Path

    import cog, cog_py
    from cog import BasePredictor, Input, Path as CogPath, Secret, current_scope
    from cog_py.predictor.loader import load_predictor
    from cog_py.predictor.openapi import render_openapi, openapi_json
    from cog_py.predictor.coerce import prepare_inputs, validate_inputs
    from cog_py.predictor.encode import encode_output
    from cog_py.scope import scope_for_prediction

    fixtures = Path(sys.argv[1])
    loaded = load_predictor("output_basemodel.py:Predictor", project_dir=fixtures)
    doc = json.loads(openapi_json(render_openapi(loaded.info, version=cog.__version__)))
    assert doc["components"]["schemas"]["Output"]["required"] == ["label", "score", "image"]
    validate_inputs(loaded.info, {"label": "dog"})
    with tempfile.TemporaryDirectory() as tmp, scope_for_prediction({}) as scope:
        prepared = prepare_inputs(loaded.info, {"label": "dog"}, tmpdir=tmp)
        current_scope().record_metric("a.b", 1)
        out = encode_output(loaded.predict(**prepared.kwargs))
        prepared.cleanup()
    assert out["label"] == "dog" and out["image"].startswith("data:text/plain;base64,"), out
    assert scope.metrics.snapshot() == {"a": {"b": 1}}
    banned = sorted(m for m in sys.modules if m.split(".")[0] in {"pydantic", "fastapi", "typer", "yaml",
                                                                  "jinja2", "docker", "uvicorn", "starlette"})
    assert not banned, banned

    # every fixture predictor that does not need pydantic gives its expected fragments or error
    sys.path.insert(0, sys.argv[2])
    from tests.unit.predictor.fixtures import all_fixtures, lookup
    from cog_py.errors import PredictorError
    problems = []
    for f in all_fixtures():
        if "pydantic" in f.path.read_text():
            continue
        try:
            info = load_predictor(f.ref, project_dir=fixtures, mode=f.mode).info
        except PredictorError as exc:
            if not (exc.message == f.error or (f.error_prefix and exc.message.startswith(f.error_prefix))):
                problems.append((f.path.name, exc.message))
            continue
        pair = (None, info) if f.mode == "train" else (info, None)
        doc = json.loads(openapi_json(render_openapi(*pair, version="x")))
        problems += [(f.path.name, where) for where, want in f.expects if lookup(doc, where) != want]
        if f.error or f.error_prefix:
            problems.append((f.path.name, "no error"))
    assert not problems, problems
    print("stdlib-only OK", cog_py.__version__, sys.version_info[:2])
    """
)

INTERPRETERS = ["python3.10", "python3.11", "python3.12", "python3.13"]


def _interpreter(name: str) -> str:
    if name == f"python{sys.version_info[0]}.{sys.version_info[1]}":
        return sys.executable
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(name)] + sorted(str(p) for p in pyenv.glob(f"{name[6:]}.*/bin/{name}"))
    for found in filter(None, candidates):
        probe = subprocess.run([found, "-c", "import venv"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return found
    pytest.skip(f"{name} is not installed here")


@pytest.fixture(params=INTERPRETERS)
def bare_python(request, tmp_path_factory) -> Path:
    interpreter = _interpreter(request.param)
    env_dir = tmp_path_factory.mktemp("bare-venv")
    if interpreter == sys.executable:
        venv.EnvBuilder(with_pip=False, system_site_packages=False, clear=True).create(env_dir)
    else:
        subprocess.run([interpreter, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=60,
                       env={"PATH": os.environ.get("PATH", "")})
    python = env_dir / "bin" / "python"
    version = subprocess.run([str(python), "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
    assert version == request.param
    return python


@pytest.mark.timeout(120)
def test_sdk_imports_and_runs_in_a_bare_venv(bare_python: Path, tmp_path: Path) -> None:
    check = subprocess.run(
        [str(bare_python), "-c", "import importlib.util as u; print(u.find_spec('pydantic') is None)"],
        capture_output=True, text=True, env={"PATH": os.environ.get("PATH", "")}, timeout=60,
    )
    assert check.stdout.strip() == "True", "the bare venv must not see the host's packages"
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [str(bare_python), "-c", SCRIPT, str(FIXTURES), str(REPO)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "stdlib-only OK" in result.stdout
    assert sys.executable != str(bare_python)
