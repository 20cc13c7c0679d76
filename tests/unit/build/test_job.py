"""BuildJob's release and label decisions against a fake engine (pure logic: no engine here)."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import replace
from pathlib import Path

import pytest

from cog_py import labels as keys
from cog_py.build import image as image_mod
from cog_py.build import job as job_mod
from cog_py.build.engine import Engine, ImageBuild, LayerCommit, Say
from cog_py.build.image import BuildSettings
from cog_py.build.job import BuildJob
from cog_py.build.schema import StaticSchema
from cog_py.errors import BuildError
from tests.unit.build.conftest import make_config

FREEZE = "numpy==2.0\ncog_py==0.0.0\n"
PROBED = {"openapi": "3.0.2", "paths": {}, "info": {"title": "Cog", "version": "0.1.0"}}


class FakeEngine:
    """Keeps images in a dict; records every build, committed layer, command and untag."""

    def __init__(self) -> None:
        self.images: dict[str, str] = {"python:3.11-slim": "sha256:base"}
        self.builds: list[ImageBuild] = []
        self.contexts: list[list[str]] = []
        self.commits: list[LayerCommit] = []
        self.archives: list[dict[str, bytes]] = []   # name -> content of each committed layer's files
        self.runs: list[list[str]] = []
        self.untagged: list[str] = []
        self.fail_build: int | None = None   # fail the build with this index
        self.fail_commit: int | None = None   # fail the commit with this index
        self.made = 0

    def build(self, request: ImageBuild, say: Say) -> str:
        request.context.seek(0)
        with tarfile.open(fileobj=request.context) as tar:
            names = tar.getnames()
            dockerfile = tar.extractfile("Dockerfile")
            assert dockerfile is not None and dockerfile.read().decode() == request.dockerfile
        self.contexts.append(names)
        self.builds.append(request)
        if self.fail_build == len(self.builds) - 1:
            raise BuildError("image build failed at step 2/2")
        return self._made(request.tag)

    def commit_layer(self, request: LayerCommit) -> str:
        assert request.parent in self.images, request.parent
        request.archive.seek(0)
        with tarfile.open(fileobj=request.archive) as tar:
            files = {m.name: (tar.extractfile(m) or io.BytesIO()).read() for m in tar.getmembers() if m.isfile()}
        self.commits.append(request)
        self.archives.append(files)
        if self.fail_commit == len(self.commits) - 1:
            raise BuildError("adding the code to the image: the engine refused: no space left on device")
        return self._made(request.tag)

    def _made(self, tag: str) -> str:
        self.made += 1
        image = f"sha256:{self.made:04d}"
        self.images[tag] = image
        self.images[image] = image
        return image

    def image_id(self, ref: str) -> str | None:
        return self.images.get(ref)

    def size(self, ref: str) -> int:
        assert ref in self.images
        return 1000

    def tag(self, source: str, target: str) -> None:
        self.images[target] = self.images[source]

    def untag(self, name: str) -> None:
        self.untagged.append(name)
        self.images.pop(name, None)

    def run_capture(self, image: str, command: list[str], *, what: str,
                    volumes: dict[str, dict[str, str]] | None = None) -> str:
        assert image in self.images
        self.runs.append(command)
        return FREEZE if "freeze" in command else json.dumps(PROBED)


class Quiet:
    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


@pytest.fixture(autouse=True)
def _no_wheels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-in wheels: the job only names them in the context."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "fastapi-1-py3-none-any.whl").write_bytes(b"w")
    runtime = tmp_path / "cog_py-0.0.0-py3-none-any.whl"
    runtime.write_bytes(b"r")
    monkeypatch.setattr(job_mod, "runtime_wheel", lambda say=None: runtime)
    monkeypatch.setattr(job_mod, "server_wheels", lambda version, say=None: wheels)
    monkeypatch.setenv("COG_PY_CACHE_DIR", str(tmp_path / "cache"))


def _run(project: Path, engine: FakeEngine, **settings: object) -> image_mod.BuiltImage:
    config = make_config(project)
    fake: Engine = engine
    return BuildJob(config, BuildSettings(tag="me/model", progress="quiet", **settings), Quiet()).run(fake)  # type: ignore[arg-type]


def test_the_first_release_build_builds_the_dependencies_then_the_code_with_the_labels(project: Path) -> None:
    engine = FakeEngine()
    built = _run(project, engine)
    [deps] = engine.builds
    [code] = engine.commits
    assert "COPY src/" not in deps.dockerfile and not any(n.startswith("src/") for n in engine.contexts[0])
    assert any(n.startswith("cog/runtime/cog_py-") for n in engine.contexts[0])
    assert deps.tag.startswith("cog-py-tmp:")
    assert engine.runs == [["python", "-m", "pip", "freeze"]]
    # The code is one layer committed on the dependency image, with the labels and the schema file.
    assert code.tag == "me/model" and code.parent == "sha256:0001" and "COPY src/ /src/" in code.created_by
    files = engine.archives[0]
    assert files["src/predict.py"] == (project / "predict.py").read_bytes()
    assert json.loads(files["src/.cog/openapi_schema.json"]) == json.loads(built.labels[keys.COG_OPENAPI_SCHEMA])
    assert not any(n.startswith(("cog/", "Dockerfile")) for n in files)
    assert dict(code.labels) == built.labels
    assert built.labels[keys.COG_PIP_FREEZE] == FREEZE
    assert json.loads(built.labels[keys.COG_OPENAPI_SCHEMA])["paths"]
    assert deps.tag in engine.untagged and deps.tag not in engine.images
    assert engine.images["me/model"] == "sha256:0002"
    assert (project / ".cog" / "openapi_schema.json").is_file()


def test_a_code_edit_builds_only_the_code_on_the_remembered_dependencies(project: Path) -> None:
    engine = FakeEngine()
    _run(project, engine)
    with (project / "predict.py").open("a") as fh:
        fh.write("# edited\n")
    built = _run(project, engine)
    # No Dockerfile build at all: one layer committed on the remembered dependency image.
    assert len(engine.builds) == 1 and engine.runs == [["python", "-m", "pip", "freeze"]]
    code = engine.commits[1]
    assert code.tag == "me/model" and code.parent == "sha256:0001"
    assert engine.archives[1]["src/predict.py"].endswith(b"# edited\n")
    assert built.labels[keys.COG_PIP_FREEZE] == FREEZE


def test_the_dependencies_are_built_again_when_the_engine_lost_them_or_they_changed(project: Path) -> None:
    engine = FakeEngine()
    _run(project, engine)
    del engine.images["sha256:0001"]
    _run(project, engine)
    assert len(engine.builds) == 2 and "COPY src/" not in engine.builds[1].dockerfile
    assert engine.commits[1].parent == "sha256:0003"
    # A new requirement changes the Dockerfile's inputs: new dependency image.
    config = make_config(project, requirements=("numpy==2.0",))
    BuildJob(config, BuildSettings(tag="me/model", progress="quiet"), Quiet()).run(engine)
    assert len(engine.builds) == 3 and engine.commits[2].parent == "sha256:0005"
    # A new base image too.
    engine.images["python:3.11-slim"] = "sha256:newbase"
    _run(project, engine)
    assert len(engine.builds) == 4


def test_no_cache_always_builds_the_dependencies(project: Path) -> None:
    engine = FakeEngine()
    _run(project, engine)
    _run(project, engine, no_cache=True)
    assert len(engine.builds) == 2 and engine.builds[1].no_cache and len(engine.commits) == 2


def test_a_schema_only_the_image_can_tell_is_read_there_then_labelled_in_a_second_step(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(image_mod, "static_schema", lambda config: StaticSchema(doc=None, reason="a dynamic type"))
    engine = FakeEngine()
    built = _run(project, engine)
    [deps] = engine.builds
    code, label = engine.commits
    assert code.tag.startswith("cog-py-tmp:") and not code.labels and "src/.cog/openapi_schema.json" not in engine.archives[0]
    assert engine.runs[1][:3] == ["python", "-m", "cog_py.predictor.schema_probe"]
    # The label step: the probed schema file and the labels, one layer on the code's image.
    assert label.tag == "me/model"
    assert label.parent == "sha256:0002" and dict(label.labels) == built.labels
    assert list(engine.archives[1]) == ["src/.cog/openapi_schema.json"]
    assert json.loads(engine.archives[1]["src/.cog/openapi_schema.json"]) == PROBED
    assert built.schema == PROBED
    assert not any(t.startswith("cog-py-tmp:") for t in engine.images)


def test_a_failed_code_layer_leaves_no_final_image_and_no_temporary_tag(project: Path) -> None:
    engine = FakeEngine()
    engine.fail_commit = 0
    with pytest.raises(BuildError):
        _run(project, engine)
    assert "me/model" not in engine.images
    assert not any(t.startswith("cog-py-tmp:") for t in engine.images)


def test_a_failed_dependency_build_leaves_no_final_image(project: Path) -> None:
    engine = FakeEngine()
    engine.fail_build = 0
    with pytest.raises(BuildError):
        _run(project, engine)
    assert "me/model" not in engine.images and engine.commits == []


def test_dev_mode_builds_the_whole_dockerfile_once_under_the_name(project: Path) -> None:
    engine = FakeEngine()
    config = make_config(project)
    settings = replace(BuildSettings(tag="me/dev", progress="quiet"), mode="dev")
    built = BuildJob(config, settings, Quiet()).run(engine)
    assert [b.tag for b in engine.builds] == ["me/dev"] and engine.runs == [] and engine.commits == []
    assert built.labels == {} and io is not None


def test_the_git_labels_are_read_beside_the_build_and_land_on_the_image(project: Path) -> None:
    import subprocess

    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.email=t@e", "-c", "user.name=t", "commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=project, check=True, capture_output=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, check=True, capture_output=True,
                          text=True).stdout.strip()
    engine = FakeEngine()
    built = _run(project, engine)
    assert built.labels[keys.OCI_REVISION] == head == engine.commits[0].labels[keys.OCI_REVISION]
    dev = BuildJob(make_config(project), replace(BuildSettings(tag="me/dev"), mode="dev"), Quiet())
    assert dev._git is None   # a dev image has no labels: no git commands
