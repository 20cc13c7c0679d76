"""The parent on this Python, the worker (the model's Python) on 3.8 or 3.9, over real HTTP.

In images of Python 3.8 models the parent runs on an interpreter of its own and the worker on
the model's 3.8; this checks that pairing where a 3.8/3.9 interpreter is at hand (pyenv's, or
COG_TEST_PYTHON38 / COG_TEST_PYTHON39 naming one) and skips otherwise. The worker and SDK
import nothing outside the standard library, so a bare interpreter is enough.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from typing import Any

import pytest



def interpreter(version: str) -> str | None:
    given = os.environ.get(f"COG_TEST_PYTHON{version.replace('.', '')}")
    candidates = [given] if given else []
    candidates += [shutil.which(f"python{version}") or ""]
    candidates += sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
    for path in candidates:
        if path and os.path.isfile(path):
            done = subprocess.run([path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                  capture_output=True, text=True, timeout=60)
            if done.stdout.strip() == version:
                return path
    return None


@pytest.mark.parametrize("version", ["3.8", "3.9"])
def test_worker_on_an_old_python_serves_predictions(make_server: Any, version: str) -> None:
    python = interpreter(version)
    if python is None:
        pytest.skip(f"no Python {version} interpreter on this machine (COG_TEST_PYTHON{version.replace('.', '')})")
    env = {"COG_WORKER_PYTHON": python}
    seeded = make_server("seed_none.py:Predictor", env=env, timeout=60)
    resp = seeded.predict({"prompt": "hi", "tags": ["a", "b"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["output"] == "hi seed=None image=None tags=['a', 'b']"
    streamed = make_server("generator.py:Predictor", env=env, timeout=60)
    resp = streamed.predict({"n": 2})
    assert resp.status_code == 200, resp.text
    assert resp.json()["output"] == ["chunk 0", "chunk 1"]


def test_the_worker_really_is_the_old_python(make_server: Any, tmp_path: Any) -> None:
    python = interpreter("3.8")
    if python is None:
        pytest.skip("no Python 3.8 interpreter on this machine (COG_TEST_PYTHON38)")
    (tmp_path / "which.py").write_text(
        "import sys\n\nfrom cog import BasePredictor\n\n\nclass Predictor(BasePredictor):\n"
        "    def predict(self) -> str:\n        return '%d.%d' % sys.version_info[:2]\n")
    server = make_server("which.py:Predictor", env={"COG_WORKER_PYTHON": python}, cwd=tmp_path, timeout=60)
    resp = server.predict({})
    assert resp.status_code == 200 and resp.json()["output"] == "3.8", resp.text
