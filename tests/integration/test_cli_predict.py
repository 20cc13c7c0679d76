"""`cog predict` / `cog run` / `cog train` through the real CLI on the real engine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.integration.cli_support import dev_image_name, make_project, popen_cog, run_cog, session_container_ids

pytestmark = [pytest.mark.engine, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]

STRING = """
from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def setup(self) -> None:
        print("setting up the string model")

    def predict(self, prompt: str = Input(description="text"), count: int = Input(default=1, ge=1, le=5),
                scale: float = Input(default=1.0)) -> str:
        if prompt == "fail":
            raise ValueError("this is a value error")
        if prompt == "none":
            return None  # type: ignore[return-value]
        return prompt * count + ("" if scale == 1.0 else f" x{scale:g}")
"""

FILES = """
import json
import tempfile
from typing import Iterator

from cog import BasePredictor, Input, Path


class Predictor(BasePredictor):
    def predict(self, image: Path = Input(description="a file"), mode: str = Input(default="one")) -> Path:
        out = Path(tempfile.mkdtemp()) / ("upper" + image.suffix)
        out.write_bytes(image.read_bytes().upper())
        return out
"""

LIST = """
import tempfile

from cog import BasePredictor, Input, Path


class Predictor(BasePredictor):
    def predict(self, words: list[str] = Input(description="words")) -> list[Path]:
        out = []
        for i, word in enumerate(words):
            path = Path(tempfile.mkdtemp()) / f"w{i}.txt"
            path.write_text(word)
            out.append(path)
        return out
"""

ITERATOR = """
from typing import Iterator

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, n: int = Input(default=3)) -> Iterator[int]:
        for i in range(n):
            yield i * 10
"""

JSON_OUT = """
from typing import Any

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, name: str = Input(default="x"), tags: list[str] = Input(default=[])) -> dict[str, Any]:
        return {"name": name, "tags": tags, "score": 0.95, "n": 20.0}
"""

SETUP_FAILS = """
from cog import BasePredictor


class Predictor(BasePredictor):
    def setup(self) -> None:
        print("about to fail in setup")
        raise RuntimeError("weights are missing")

    def predict(self) -> str:
        return "never"
"""

SLOW_SETUP = """
import time

from cog import BasePredictor


class Predictor(BasePredictor):
    def setup(self) -> None:
        time.sleep(120)

    def predict(self) -> str:
        return "late"
"""

TRAIN = """
from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, x: str = "a") -> str:
        return x


def train(steps: int = Input(description="steps", ge=1), note: str = "trained") -> str:
    with open("trained-here.txt", "w") as handle:
        handle.write(f"{steps}")
    return f"{note} for {steps} steps"
"""

ENV = """
import os

from cog import BasePredictor, current_scope


class Predictor(BasePredictor):
    def predict(self) -> str:
        token = current_scope().context.get("replicate_api_token")
        greeting = os.environ.get("GREETING", "unset")
        return greeting if token is None else f"{greeting}, context token {token}"
"""


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient, base_image_311: str) -> Iterator[dict[str, Path]]:
    root = tmp_path_factory.mktemp("cli-projects")
    made = {
        "string": make_project(root, "h6-string", STRING),
        "files": make_project(root, "h6-files", FILES),
        "list": make_project(root, "h6-list", LIST),
        "iterator": make_project(root, "h6-iter", ITERATOR),
        "json": make_project(root, "h6-json", JSON_OUT),
        "setup-fails": make_project(root, "h6-setup-fails", SETUP_FAILS),
        "slow-setup": make_project(root, "h6-slow-setup", SLOW_SETUP),
        "train": make_project(root, "h6-train", TRAIN, yaml_extra='train: "predict.py:train"\n'),
        "env": make_project(root, "h6-env", ENV),
    }
    yield made
    for project in made.values():
        try:
            engine.images.remove(dev_image_name(project), force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass


def ok(result: Any) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result


def test_string_output_and_setup_logs(projects: dict[str, Path]) -> None:
    result = ok(run_cog(projects["string"], "predict", "-i", "prompt=hi", "-i", "count=3"))
    assert result.stdout == "hihihi\n"
    assert "Starting Docker image and running setup()..." in result.stderr
    assert "setting up the string model" in result.stderr
    assert "deprecated" not in result.stderr


def test_run_is_the_same_command_and_float_from_int(projects: dict[str, Path]) -> None:
    result = ok(run_cog(projects["string"], "run", "-i", "prompt=ab", "-i", "scale=2"))
    assert result.stdout == "ab x2\n"


def test_json_three_forms(projects: dict[str, Path]) -> None:
    project = projects["string"]
    inline = ok(run_cog(project, "predict", "--json", '{"prompt": "a", "count": 2}'))
    (project / "inputs.json").write_text('{"prompt": "b", "count": 2}')
    from_file = ok(run_cog(project, "predict", "--json", "@inputs.json"))
    from_stdin = ok(run_cog(project, "predict", "--json", "-", stdin='{"prompt": "c", "count": 2}'))
    for result, expected in ((inline, "aa"), (from_file, "bb"), (from_stdin, "cc")):
        body = json.loads(result.stdout)
        assert list(body) == ["status", "output", "error", "metrics"]
        assert (body["status"], body["output"], body["error"]) == ("succeeded", expected, "")
        assert '"status": "succeeded"' in result.stdout
        assert "predict_time" in body["metrics"]


def test_failed_prediction(projects: dict[str, Path]) -> None:
    result = run_cog(projects["string"], "predict", "-i", "prompt=fail")
    assert result.returncode == 1
    assert 'Prediction failed with status "failed": ' in result.stderr
    assert "this is a value error" in result.stderr
    assert result.stdout == ""


def test_no_output(projects: dict[str, Path]) -> None:
    result = ok(run_cog(projects["string"], "predict", "-i", "prompt=none"))
    assert "No output generated" in result.stderr
    assert result.stdout == ""


def test_file_input_and_output(projects: dict[str, Path]) -> None:
    project = projects["files"]
    (project / "in.txt").write_text("hello file")
    result = ok(run_cog(project, "predict", "-i", "image=@in.txt"))
    assert (project / "output.txt").read_text() == "HELLO FILE"
    assert "Written output to: " in result.stderr and "output.txt" in result.stderr
    ok(run_cog(project, "predict", "-i", "image=@in.txt", "-o", "custom.out"))
    assert (project / "custom.out").read_text() == "HELLO FILE"


def test_list_of_files(projects: dict[str, Path]) -> None:
    project = projects["list"]
    result = ok(run_cog(project, "predict", "-i", "words=alpha", "-i", "words=beta"))
    assert (project / "output.0.txt").read_text() == "alpha"
    assert (project / "output.1.txt").read_text() == "beta"
    assert result.stderr.count("Written output to: ") == 2


def test_iterator_output(projects: dict[str, Path]) -> None:
    result = ok(run_cog(projects["iterator"], "predict", "-i", "n=3"))
    assert json.loads(result.stdout) == [0, 10, 20]


def test_json_output_pretty(projects: dict[str, Path]) -> None:
    result = ok(run_cog(projects["json"], "predict", "-i", "tags=a", "-i", "tags=b"))
    # The server sorts object keys (as Cog's does); 20.0 prints as 20, like Cog's Go CLI.
    assert result.stdout == '{\n  "n": 20,\n  "name": "x",\n  "score": 0.95,\n  "tags": [\n    "a",\n    "b"\n  ]\n}\n'


def test_setup_failure_shows_logs(projects: dict[str, Path]) -> None:
    result = run_cog(projects["setup-fails"], "predict")
    assert result.returncode == 1
    assert "Model setup failed" in result.stderr
    assert "weights are missing" in result.stderr


def test_input_errors_before_build_or_container(projects: dict[str, Path], engine: docker.DockerClient,
                                                tmp_path: Path) -> None:
    project = shutil.copytree(projects["string"], tmp_path / "h6-never-built")
    before = session_container_ids(engine)
    cases = [
        (["-i", "nope=1", "-i", "prompt=x"], 'unknown input "nope"; valid inputs are: count, prompt, scale'),
        (["-i", "count=2"], 'missing required input "prompt"'),
        (["-i", "prompt=x", "-i", "count=many"], 'invalid input "count": expected integer, got string'),
        (["--json", '{"prompt": "x", "count": 0}'], 'invalid input "count": number must be at least 1'),
    ]
    for args, message in cases:
        result = run_cog(project, "predict", *args)
        assert result.returncode == 1 and message in result.stderr
        assert "Building Docker image" not in result.stderr and "Starting Docker image" not in result.stderr
    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(dev_image_name(project))
    assert session_container_ids(engine) == before


def test_train_writes_weights_and_project_files(projects: dict[str, Path]) -> None:
    project = projects["train"]
    result = ok(run_cog(project, "train", "-i", "steps=3"))
    assert (project / "weights").read_text() == "trained for 3 steps"
    assert (project / "trained-here.txt").read_text() == "3"  # the project is mounted at /src
    assert "Running training..." in result.stderr
    bad = run_cog(project, "train", "-i", "steps=0")
    assert bad.returncode == 1 and 'invalid input "steps"' in bad.stderr


def test_ctrl_c_removes_the_container(projects: dict[str, Path], engine: docker.DockerClient) -> None:
    before = session_container_ids(engine)
    proc = popen_cog(projects["slow-setup"], "predict")
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not (session_container_ids(engine) - before):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert session_container_ids(engine) - before, "the container never started"
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.rstrip().endswith("Interrupted."), err
    assert session_container_ids(engine) - before == set()


def test_sigterm_removes_the_container(projects: dict[str, Path], engine: docker.DockerClient) -> None:
    before = session_container_ids(engine)
    proc = popen_cog(projects["slow-setup"], "predict")
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not (session_container_ids(engine) - before):
            time.sleep(0.2)
        assert session_container_ids(engine) - before, "the container never started"
        time.sleep(1)
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert session_container_ids(engine) - before == set()


def test_replicate_token_reaches_the_model_as_context(projects: dict[str, Path]) -> None:
    result = ok(run_cog(projects["env"], "predict", "--use-replicate-token", REPLICATE_API_TOKEN="r8_test-token"))
    assert result.stdout == "unset, context token r8_test-token\n"
    assert "r8_test-token" not in result.stderr


def test_env_flag_reaches_the_model(projects: dict[str, Path]) -> None:
    assert ok(run_cog(projects["env"], "predict", "-e", "GREETING=hola")).stdout == "hola\n"
    assert os.environ.get("GREETING") is None
