"""`cog build` failures and features on the real engine: clear errors, no half-tagged images,
BuildKit secrets, CA certificates, separate weights, .dockerignore, --openapi-schema."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from cog_py import labels as keys
from tests.integration.cli_support import make_project, run_cog
from tests.integration.conftest import run_to_completion
from tests.integration.test_build_examples import PREFIX, cog_build, predict_in_image

pytestmark = [pytest.mark.engine, pytest.mark.slow]

HELLO = '''
from cog import BasePredictor


class Predictor(BasePredictor):
    def predict(self, text: str) -> str:
        return "hi " + text
'''


def _tmp_tags(stderr: str) -> list[str]:
    return re.findall(r"Successfully tagged (cog-py-tmp:[0-9a-f]+)", stderr)


def _absent(engine: Any, tag: str) -> bool:
    return not engine.images.list(name=tag)


def _sh(engine: Any, image: str, script: str) -> str:
    return run_to_completion(engine, image, ["sh", "-c", script], entrypoint=[]).decode()


@pytest.mark.timeout(600)
def test_failing_pip_install_is_clear_and_leaves_no_image(engine: Any, base_image_311: str, tmp_path: Path) -> None:
    tag = f"{PREFIX}bad-pip"
    project = make_project(tmp_path, "badpip", HELLO,
                           files={"requirements.txt": "cog-py-no-such-package-zz==1.0\n"})
    (project / "cog.yaml").write_text('build:\n  python_version: "3.11"\n  python_requirements: requirements.txt\n'
                                      'predict: "predict.py:Predictor"\n')
    done = cog_build(project, tag)
    assert done.returncode == 1
    assert "Error: image build failed at step" in done.stderr
    assert "pip install --no-cache-dir -r /tmp/requirements.txt" in done.stderr
    assert "cog-py-no-such-package-zz" in done.stderr
    assert "A Python package failed to install" in done.stderr
    assert _absent(engine, tag)
    assert all(_absent(engine, t) for t in _tmp_tags(done.stderr))


@pytest.mark.timeout(600)
def test_failing_run_command_is_clear_and_leaves_no_image(engine: Any, base_image_311: str, tmp_path: Path) -> None:
    tag = f"{PREFIX}bad-run"
    project = make_project(tmp_path, "badrun", HELLO)
    (project / "cog.yaml").write_text('build:\n  python_version: "3.11"\n  run:\n'
                                      '    - "echo boom-marker-42 && exit 3"\n'
                                      'predict: "predict.py:Predictor"\n')
    done = cog_build(project, tag, "--progress", "auto")
    assert done.returncode == 1
    assert "image build failed at step" in done.stderr and "echo boom-marker-42" in done.stderr
    assert "boom-marker-42\n" in done.stderr.replace("  boom", "boom")  # the command's own output (tail)
    assert "returned a non-zero code: 3" in done.stderr
    assert _absent(engine, tag)


@pytest.mark.timeout(300)
def test_base_image_that_cannot_be_pulled(engine: Any, tmp_path: Path) -> None:
    if not _absent(engine, "python:3.12-slim"):
        pytest.skip("python:3.12-slim exists in this engine")
    project = make_project(tmp_path, "nopull", HELLO)
    (project / "cog.yaml").write_text('build:\n  python_version: "3.12"\npredict: "predict.py:Predictor"\n')
    done = cog_build(project, f"{PREFIX}nopull")
    assert done.returncode == 1
    assert "Error: the base image python:3.12-slim could not be pulled" in done.stderr
    assert "docker image inspect python:3.12-slim" in done.stderr


@pytest.mark.timeout(900)
def test_secret_mounts_go_through_buildkit_and_stay_out_of_the_image(
        engine: Any, base_image_311: str, tmp_path: Path) -> None:
    tag = f"{PREFIX}secrets"
    project = make_project(tmp_path, "secrets", HELLO, files={"token.txt": "s3cret-value"})
    (project / ".dockerignore").write_text("token.txt\n")
    (project / "cog.yaml").write_text(
        'build:\n  python_version: "3.11"\n  run:\n'
        '    - command: test "$(tr a-z A-Z < /run/secrets/tok)" = S3CRET-VALUE && echo seen > /opt/secret-was-seen\n'
        '      mounts:\n        - type: secret\n          id: tok\n          target: /run/secrets/tok\n'
        'predict: "predict.py:Predictor"\n')
    debug = run_cog(project, "debug")
    assert "RUN --mount=type=secret,id=tok,target=/run/secrets/tok test" in debug.stdout
    try:
        done = cog_build(project, tag, "--secret", "id=tok,src=token.txt")
        assert done.returncode == 0, done.stderr[-4000:]
        out = _sh(engine, tag, "cat /opt/secret-was-seen; test -e /run/secrets/tok && echo LEAK; "
                               "grep -rl s3cret-value /src /opt 2>/dev/null || true")
        assert out.strip() == "seen"
        image = engine.images.get(tag)
        assert "s3cret-value" not in json.dumps([image.history(), image.labels])  # nor in layer commands or labels
        result = predict_in_image(engine, tag, {"text": "x"})
        assert result["output"] == "hi x"
    finally:
        if not _absent(engine, tag):
            engine.images.remove(tag, force=True)


@pytest.mark.timeout(900)
def test_ca_cert_weights_dockerignore_and_schema_file(engine: Any, base_image_311: str, tmp_path: Path) -> None:
    tag = f"{PREFIX}features"
    project = make_project(tmp_path, "features", HELLO, files={"notes.secret": "do not ship"})
    (project / "weights").mkdir()
    (project / "weights" / "model.bin").write_bytes(b"\1" * (11 * 1024 * 1024))
    (project / ".dockerignore").write_text("*.secret\n")
    bundle = Path("/etc/ssl/certs/ca-certificates.crt").read_text()
    first = bundle[: bundle.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    first = first[first.index("-----BEGIN CERTIFICATE-----"):]
    # The whole host bundle, as a user behind a TLS-inspecting proxy passes its CA: every build
    # installs requests/pyyaml/typing_extensions from PyPI (issue 12), so the image must trust
    # this machine's proxy too (update-ca-certificates rebuilds the image's bundle from it).
    (tmp_path / "corp-ca.crt").write_text(bundle)
    schema = {"openapi": "3.0.2", "info": {"title": "Cog", "version": "given"}, "paths": {},
              "components": {"schemas": {}}}
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    try:
        done = cog_build(project, tag, "--separate-weights", "--openapi-schema", str(tmp_path / "schema.json"),
                         COG_CA_CERT=str(tmp_path / "corp-ca.crt"))
        assert done.returncode == 0, done.stderr[-4000:]
        assert "Injecting CA certificate from COG_CA_CERT" in done.stderr
        out = _sh(engine, tag, "echo $SSL_CERT_FILE $REQUESTS_CA_BUNDLE $PIP_CERT; "
                               "ls /src; ls -l /src/weights/model.bin | awk '{print $5}'")
        lines = out.splitlines()
        assert lines[0].split() == ["/etc/ssl/certs/ca-certificates.crt"] * 3
        assert "notes.secret" not in out and "predict.py" in out
        assert lines[-1] == str(11 * 1024 * 1024)
        image_bundle = _sh(engine, tag, "cat /etc/ssl/certs/ca-certificates.crt")
        assert first.splitlines()[1] in image_bundle
        history = engine.api.history(tag)
        copies = [h for h in history if "COPY" in (h.get("CreatedBy") or "")]
        # Newest first: the code layer is small, the weights layer (before it) holds the 11 MiB.
        assert any(h["Size"] >= 11 * 1024 * 1024 for h in copies[1:])
        assert copies[1]["Size"] < 1024 * 1024 or copies[0]["Size"] < 1024 * 1024
        labels = engine.images.get(tag).attrs["Config"]["Labels"]
        assert json.loads(labels[keys.COG_OPENAPI_SCHEMA]) == schema
    finally:
        if not _absent(engine, tag):
            engine.images.remove(tag, force=True)


@pytest.mark.timeout(300)
def test_unknown_python_and_missing_requirements_fail_before_the_engine(tmp_path: Path) -> None:
    project = make_project(tmp_path, "badpy", HELLO)
    (project / "cog.yaml").write_text('build:\n  python_version: "3.14"\npredict: "predict.py:Predictor"\n')
    done = run_cog(project, "build")
    assert done.returncode == 1
    assert "Error: unsupported Python version 3.14: cog_py builds images for Python 3.8, 3.9, 3.10, 3.11, 3.12, 3.13" in done.stderr
    (project / "cog.yaml").write_text('build:\n  python_version: "3.7"\npredict: "predict.py:Predictor"\n')
    done = run_cog(project, "build")
    assert done.returncode == 1
    assert 'build.python_version: minimum supported Python version is 3.8 (got "3.7")' in done.stderr
    (project / "cog.yaml").write_text('build:\n  python_version: "3.11"\n  python_requirements: nope.txt\n'
                                      'predict: "predict.py:Predictor"\n')
    done = run_cog(project, "build")
    assert done.returncode == 1
    assert "build.python_requirements: file does not exist" in done.stderr and "nope.txt" in done.stderr


@pytest.mark.timeout(600)
def test_schema_falls_back_to_importing_the_predictor_in_the_image(
        engine: Any, base_image_311: str, tmp_path: Path) -> None:
    """A default computed at import time cannot be read statically: the build imports the
    predictor inside the image (never on the host) and labels the image with that schema."""
    tag = f"{PREFIX}probe"
    project = make_project(tmp_path, "probe", '''
        import os

        from cog import BasePredictor, Input

        GREETING = os.environ.get("GREETING_FROM_IMAGE", "from-the-image")


        class Predictor(BasePredictor):
            def predict(self, text: str = Input(default=GREETING)) -> str:
                return text
    ''')
    try:
        done = cog_build(project, tag, GREETING_FROM_IMAGE="from-the-host")
        assert done.returncode == 0, done.stderr[-4000:]
        assert "Reading the schema inside the image" in done.stderr
        labels = engine.images.get(tag).attrs["Config"]["Labels"]
        schema = json.loads(labels[keys.COG_OPENAPI_SCHEMA])
        assert schema["components"]["schemas"]["Input"]["properties"]["text"]["default"] == "from-the-image"
        assert json.loads((project / ".cog" / "openapi_schema.json").read_text()) == schema
    finally:
        if not _absent(engine, tag):
            engine.images.remove(tag, force=True)


@pytest.mark.timeout(600)
def test_dev_mode_image_has_no_code_and_no_labels(engine: Any, base_image_311: str, tmp_path: Path) -> None:
    from cog_py.build.image import BuildSettings, build_image
    from cog_py.config.loader import load_config
    from cog_py.ui import Silent

    project = make_project(tmp_path, "devmode", HELLO)
    tag = f"{PREFIX}devmode"
    config = load_config(cwd=project).config
    try:
        built = build_image(config, BuildSettings(tag=tag, mode="dev", progress="quiet"), Silent(),
                            client=engine)
        assert built.name == tag and built.schema is not None
        out = _sh(engine, tag, "ls -A /src; echo $COG_PREDICT_TYPE_STUB")
        assert out.split() == ["predict.py:Predictor"]
        assert keys.COG_OPENAPI_SCHEMA not in (engine.images.get(tag).attrs["Config"]["Labels"] or {})
        assert (project / ".cog" / "openapi_schema.json").is_file()
    finally:
        if not _absent(engine, tag):
            engine.images.remove(tag, force=True)
