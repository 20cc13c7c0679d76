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


def test_labels_and_schema_go_just_before_the_code_copy() -> None:
    dockerfile = "FROM x\nWORKDIR /src\nCMD [\"python\"]\nCOPY src/ /src/\n"
    out = labelling.with_labels(dockerfile, {"k": "v"})
    assert out == (
        "FROM x\nWORKDIR /src\nCMD [\"python\"]\n"
        "COPY cog/openapi_schema.json /src/.cog/openapi_schema.json\n"
        "ARG COG_NL\nLABEL k=\"v\"\n"
        "COPY src/ /src/\n"
    )


def test_remembered_freeze_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COG_PY_CACHE_DIR", str(tmp_path))
    assert labelling.recall("img", "FROM x\n") is None
    labelling.remember("img", "FROM x\n", "abc123abc123", "numpy==2\n")
    got = labelling.recall("img", "FROM x\n")
    assert got == labelling.Remembered(deps_id="abc123abc123", freeze="numpy==2\n")
    assert labelling.recall("img", "FROM y\n") is None
    assert labelling.recall("other", "FROM x\n") is None
