"""The real `cog` CLI checks inputs and arguments before it builds or starts anything.

The engine is pointed at a socket that does not exist: if a command tried to build or start a
container it would fail with an engine error instead of the message asserted here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PREDICTOR = textwrap.dedent(
    """
    from cog import BasePredictor, Input


    class Predictor(BasePredictor):
        def predict(self, prompt: str = Input(description="text"), count: int = Input(default=1, ge=1, le=5),
                    size: str = Input(default="small", choices=["small", "large"])) -> str:
            return prompt * count
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.11"\npredict: "predict.py:Predictor"\n')
    (tmp_path / "predict.py").write_text(PREDICTOR)
    return tmp_path


def cog(cwd: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKER_HOST": f"unix://{cwd}/no-engine.sock", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-c", "import sys; from cog_py.cli.main import main; sys.exit(main())", *args],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=60,
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["predict", "-i", "nope=1", "-i", "prompt=x"], 'Error: unknown input "nope"; valid inputs are: count, prompt, size'),
        (["run", "-i", "count=2"], 'Error: missing required input "prompt"'),
        (["predict", "-i", "prompt=x", "-i", "count=many"], 'Error: invalid input "count": expected integer, got string'),
        (["predict", "-i", "prompt=x", "-i", "size=huge"], 'Error: invalid input "size": must be one of: small, large'),
        (["predict", "-i", "prompt=x", "--json", "{}"], "Error: Must use one of --json or --input to provide model inputs"),
        (["predict", "--json", '{"prompt": null}'], 'Error: invalid input "prompt": must not be null'),
        (["predict", "prompt=x"], "Error: Invalid image name 'prompt=x'. Did you forget `-i`?"),
        (["predict", "-i", "prompt"], "Error: Failed to parse input 'prompt', expected format is 'name=value'"),
        (["push"], "Error: To push images, you must either set the 'image' option in cog.yaml or pass an image name"),
        (["train", "-i", "x=1"], "Error: no train reference found in cog.yaml"),
    ],
)
def test_rejected_before_build(project: Path, args: list[str], message: str) -> None:
    result = cog(project, *args)
    assert result.returncode == 1, result.stderr
    assert message in result.stderr
    assert "Building Docker image" not in result.stderr
    assert "Starting Docker image" not in result.stderr
    assert result.stdout == ""
    assert not (project / ".cog").exists()  # nothing was built


@pytest.mark.timeout(120)
def test_replicate_token_needed_before_build(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    result = cog(project, "predict", "-i", "prompt=x", "--use-replicate-token")
    assert result.returncode == 1
    assert ("Error: Failed to find REPLICATE_API_TOKEN in the current environment when called with "
            "--use-replicate-token") in result.stderr
    assert not (project / ".cog").exists()


@pytest.mark.timeout(120)
def test_json_from_stdin_checked(project: Path) -> None:
    result = cog(project, "predict", "--json", "-", stdin='{"prompt": "a", "count": 9}')
    assert result.returncode == 1
    assert 'invalid input "count": number must be at most 5' in result.stderr


@pytest.mark.timeout(120)
def test_valid_inputs_reach_the_engine(project: Path) -> None:
    # Good inputs pass the check, and the next step (the build) reports the missing engine.
    result = cog(project, "predict", "-i", "prompt=x")
    assert result.returncode == 1
    assert "Docker engine" in result.stderr or "engine" in result.stderr.lower()
