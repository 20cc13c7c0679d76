from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.build import labelling


def test_label_line_writes_newlines_through_the_build_arg() -> None:
    text = labelling.label_lines({"b": 'say "hi" for $5 \\o/', "a": "numpy==2.0\npillow==11\n"})
    assert text == (
        "ARG COG_NL\n"
        'LABEL a="numpy==2.0${COG_NL}pillow==11${COG_NL}" b="say \\"hi\\" for \\$5 \\\\o/"\n'
    )
    assert labelling.BUILD_ARGS == {"COG_NL": "\n"}
    assert labelling.label_lines({}) == ""


def test_the_code_build_adds_schema_labels_and_code_on_the_dependency_image() -> None:
    out = labelling.code_dockerfile("sha256:abc", {"k": "v"}, copy_source=True, schema=True)
    assert out == "FROM sha256:abc\nARG COG_NL\nLABEL k=\"v\"\nCOPY src/ /src/\n"   # schema inside src/
    assert labelling.code_dockerfile("sha256:abc", {}, copy_source=False) == "FROM sha256:abc\n"
    assert labelling.code_dockerfile("sha256:abc", {}, copy_source=False, schema=True) == (
        "FROM sha256:abc\nCOPY cog/openapi_schema.json /src/.cog/openapi_schema.json\n")


def test_the_dependency_dockerfile_is_the_release_one_without_the_code_copy() -> None:
    dockerfile = "FROM x\nWORKDIR /src\nCMD [\"python\"]\nCOPY src/ /src/\n"
    assert labelling.deps_dockerfile(dockerfile) == "FROM x\nWORKDIR /src\nCMD [\"python\"]\n"
    assert labelling.deps_dockerfile("FROM x\n") == "FROM x\n"


def test_remembered_freeze_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COG_PY_CACHE_DIR", str(tmp_path))
    key = labelling.fingerprint(["FROM x\n", b"numpy"])
    assert key != labelling.fingerprint(["FROM x\nn", b"umpy"])   # parts are length-prefixed
    assert labelling.recall(key) is None
    labelling.remember(key, "sha256:abc123", "numpy==2\n")
    assert labelling.recall(key) == labelling.Remembered(deps_id="sha256:abc123", freeze="numpy==2\n")
    assert labelling.recall(labelling.fingerprint(["FROM y\n"])) is None
