"""A code-only `cog build` on the real engine: the code is one layer committed on the remembered
dependency image (docker/layers.py), not a Dockerfile build. The result must be the image the
equivalent Dockerfile build (`labelling.code_dockerfile`, the classic builder) makes: the same
config, labels and files in /src; and it must predict."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from cog_py import labels as keys
from cog_py.build import labelling
from cog_py.docker.ignore import included_paths, read_dockerignore
from tests.integration.cli_support import make_project
from tests.integration.conftest import run_to_completion
from tests.integration.test_build_examples import PREFIX, cog_build, predict_in_image

pytestmark = [pytest.mark.engine, pytest.mark.slow]

HELLO = '''
from cog import BasePredictor


class Predictor(BasePredictor):
    def predict(self, text: str) -> str:
        return "hi " + text
'''

LISTING = "cd /src && find . -printf '%p %y %m %U %G %s\\n' | sort"


def _reference_build(engine: Any, project: Path, parent: str, labels: dict[str, str], tag: str) -> None:
    """The code build as a Dockerfile, through the classic builder (the way it was made before)."""
    dockerfile = labelling.code_dockerfile(parent, labels, copy_source=True)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))

        add("Dockerfile", dockerfile.encode())
        for rel in included_paths(project, read_dockerignore(project) + [".cog", ".cog/**"]):
            info = tar.gettarinfo(str(project / rel), arcname=f"src/{rel}")
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isfile():
                with (project / rel).open("rb") as fh:
                    tar.addfile(info, fh)
            else:
                tar.addfile(info)
        add(labelling.SCHEMA_IN_SOURCE, labels[keys.COG_OPENAPI_SCHEMA].encode())
    buf.seek(0)
    for chunk in engine.api.build(fileobj=buf, custom_context=True, tag=tag, rm=True, network_mode="host",
                                  buildargs=labelling.BUILD_ARGS, decode=True):
        assert "error" not in chunk, chunk


@pytest.mark.timeout(900)
def test_a_code_edit_is_one_committed_layer_equal_to_the_dockerfile_build(
        engine: Any, base_image_311: str, tmp_path: Path) -> None:
    tag, ref = f"{PREFIX}commit", f"{PREFIX}commit-ref"
    project = make_project(tmp_path, "commit", HELLO, files={".dockerignore": "*.secret\n", "notes.secret": "x\n"})
    (project / "data").mkdir()
    (project / "data" / "table.csv").write_text("a,b\n1,2\n")
    try:
        first = cog_build(project, tag)
        assert first.returncode == 0, first.stderr[-4000:]
        first_image = engine.images.get(tag)
        (project / "predict.py").write_text(HELLO.replace('"hi "', '"hello "').lstrip())

        second = cog_build(project, tag)
        assert second.returncode == 0, second.stderr[-4000:]
        assert "Adding the code and the labels to the dependency image" in second.stderr
        assert "Step 1/" not in second.stderr   # no Dockerfile build at all
        image = engine.images.get(tag)
        assert image.id != first_image.id
        parent = image.attrs["Parent"]
        assert parent == first_image.attrs["Parent"]   # the remembered dependency image, reused
        history = engine.api.history(tag)
        assert "COPY src/ /src/" in history[0]["CreatedBy"] and history[0]["Size"] < 64 * 1024

        labels = image.labels
        freeze = labels[keys.COG_PIP_FREEZE]
        assert "\n" in freeze.strip() and freeze == first_image.labels[keys.COG_PIP_FREEZE]
        schema = json.loads(labels[keys.COG_OPENAPI_SCHEMA])
        assert schema["components"]["schemas"]["Input"]["properties"]["text"]["type"] == "string"
        for key in (keys.COG_VERSION, keys.COG_CONFIG):
            assert key in labels

        # The same as the Dockerfile build of the same code, labels and parent (classic builder).
        _reference_build(engine, project, parent, dict(labels), ref)
        reference = engine.images.get(ref)
        ours, theirs = dict(image.attrs["Config"]), dict(reference.attrs["Config"])
        assert ours.pop("Image") == parent
        theirs.pop("Image")
        assert ours == theirs
        for field in ("Cmd", "Entrypoint", "Env", "WorkingDir", "User", "ExposedPorts"):
            assert image.attrs["Config"][field] == engine.images.get(parent).attrs["Config"][field]
        listing = run_to_completion(engine, tag, ["sh", "-c", LISTING], entrypoint=[]).decode()
        assert listing == run_to_completion(engine, ref, ["sh", "-c", LISTING], entrypoint=[]).decode()
        assert "./data/table.csv f 644 0 0 8" in listing and "notes.secret" not in listing
        assert "./.cog/openapi_schema.json" in listing
        in_image = run_to_completion(engine, tag, ["cat", "/src/predict.py", "/src/.cog/openapi_schema.json"],
                                     entrypoint=[]).decode()
        assert '"hello "' in in_image and json.dumps(schema, sort_keys=True) in json.dumps(
            json.loads(in_image[in_image.index("{"):]), sort_keys=True)

        assert predict_in_image(engine, tag, {"text": "there"})["output"] == "hello there"
    finally:
        for name in (tag, ref):
            try:
                engine.images.remove(name, force=True)
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass


@pytest.mark.timeout(300)
def test_the_sdk_path_for_an_engine_not_on_a_unix_socket_makes_the_same_layer(engine: Any, base_image_311: str) -> None:
    from cog_py.docker import layers
    from cog_py.docker.engine_api import EngineAPI

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("src/predict.py")
        data = b"print('hi')\n"
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    base = engine.images.get(base_image_311)
    freeze = "a==1\nb==2\n"
    tags = (f"{PREFIX}sdk-layer:1", f"{PREFIX}api-layer:1")
    try:
        made = layers.commit_layer_sdk(engine, base.id, tags[0], buf, labels={keys.COG_PIP_FREEZE: freeze},
                                       created_by=labelling.CODE_LAYER_NOTE)
        api = EngineAPI.from_env()
        assert api is not None
        try:
            layers.commit_layer(api, base.id, tags[1], buf, labels={keys.COG_PIP_FREEZE: freeze},
                                created_by=labelling.CODE_LAYER_NOTE)
        finally:
            api.close()
        sdk, ours = engine.images.get(tags[0]), engine.images.get(tags[1])
        assert sdk.id == made and sdk.labels[keys.COG_PIP_FREEZE] == freeze
        assert sdk.attrs["Config"] == ours.attrs["Config"]
        assert {k: v for k, v in sdk.attrs["Config"].items() if k not in ("Labels", "Image")} == {
            k: v for k, v in base.attrs["Config"].items() if k not in ("Labels", "Image")}
        assert run_to_completion(engine, tags[0], ["cat", "/src/predict.py"], entrypoint=[]) == data
        assert "COPY src/ /src/" in engine.api.history(tags[0])[0]["CreatedBy"]
    finally:
        for name in tags:
            try:
                engine.images.remove(name, force=True)
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass
