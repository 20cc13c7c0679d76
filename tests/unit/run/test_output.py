"""Rendering responses: raw strings, pretty JSON, files, --json, failures (cog-anatomy §1.4.4)."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest

from cog_py.errors import CogError
from cog_py.run.output import OutputOptions, PredictionFailed, render_response, resolve_output_path

URI = {"type": "string", "format": "uri"}
PNG = "data:image/png;base64," + base64.b64encode(b"png-bytes").decode()
TXT = "data:text/plain;base64," + base64.b64encode(b"hello").decode()


class Capture:
    def __init__(self) -> None:
        self.stdout = io.StringIO()
        self.logs: list[str] = []
        self.warnings: list[str] = []

    def render(self, response: dict[str, Any], schema: dict[str, Any], cwd: Path, **opts: Any) -> None:
        render_response(response, schema, OutputOptions(**opts), cwd=cwd, stdout=self.stdout,
                        log=self.logs.append, warn=self.warnings.append)


def ok(output: Any, **extra: Any) -> dict[str, Any]:
    return {"status": "succeeded", "output": output, "metrics": {"predict_time": 0.5}, "id": "x", "logs": "", **extra}


def test_string_printed_raw(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok("hello world"), {"type": "string"}, tmp_path)
    assert cap.stdout.getvalue() == "hello world\n"
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("output", "schema", "text"),
    [
        (20.0, {"type": "number"}, "20\n"),
        (-20, {"type": "integer"}, "-20\n"),
        (0.95, {"type": "number"}, "0.95\n"),
        (True, {"type": "boolean"}, "true\n"),
        ({"a": 1, "b": [1, 2]}, {"type": "object"}, '{\n  "a": 1,\n  "b": [\n    1,\n    2\n  ]\n}\n'),
        (["a", "b"], {"type": "array", "items": {"type": "string"}}, '[\n  "a",\n  "b"\n]\n'),
    ],
)
def test_json_values_pretty(tmp_path: Path, output: Any, schema: dict, text: str) -> None:
    cap = Capture()
    cap.render(ok(output), schema, tmp_path)
    assert cap.stdout.getvalue() == text


def test_file_output_written_with_mime_extension(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok(PNG), URI, tmp_path)
    assert (tmp_path / "output.png").read_bytes() == b"png-bytes"
    assert cap.stdout.getvalue() == ""
    assert cap.logs == [f"Written output to: {tmp_path / 'output.png'}"]


def test_list_of_files(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok([PNG, TXT]), {"type": "array", "items": URI}, tmp_path)
    assert (tmp_path / "output.0.png").read_bytes() == b"png-bytes"
    assert (tmp_path / "output.1.txt").read_bytes() == b"hello"
    assert len(cap.logs) == 2


def test_list_of_files_with_o(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok([PNG, PNG]), {"type": "array", "items": URI}, tmp_path, output_path="foo.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foo.0.png", "foo.1.png"]


def test_o_keeps_given_extension_and_none_mime(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok("data:None;base64," + base64.b64encode(b"raw").decode()), URI, tmp_path, output_path="@out.bin")
    assert (tmp_path / "out.bin").read_bytes() == b"raw"


def test_o_is_directory(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    cap = Capture()
    cap.render(ok(PNG), URI, tmp_path, output_path="dir")
    assert (tmp_path / "dir" / "output.png").read_bytes() == b"png-bytes"


def test_default_name_conflicts_with_directory(tmp_path: Path) -> None:
    (tmp_path / "output").mkdir()
    with pytest.raises(CogError, match='^Default output name "output" conflicts with directory, provide --output$'):
        resolve_output_path(OutputOptions(), cwd=tmp_path)


def test_output_directory_not_writable(tmp_path: Path) -> None:
    with pytest.raises(CogError, match="^Output directory is not writable: .*missing$"):
        resolve_output_path(OutputOptions(output_path="missing/x.png"), cwd=tmp_path)


def test_string_to_o_file_verbatim(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok("no newline"), {"type": "string"}, tmp_path, output_path="out.txt")
    assert (tmp_path / "out.txt").read_text() == "no newline"
    assert cap.stdout.getvalue() == ""


def test_training_writes_weights(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok({"w": 1}), {"type": "object"}, tmp_path, default_name="weights", always_write=True)
    assert json.loads((tmp_path / "weights").read_text()) == {"w": 1}


def test_no_output(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok(None), {"type": "integer"}, tmp_path)
    assert cap.warnings == ["No output generated"]
    assert cap.stdout.getvalue() == ""


def test_failed(tmp_path: Path) -> None:
    cap = Capture()
    with pytest.raises(PredictionFailed) as info:
        cap.render({"status": "failed", "error": "ValueError: boom"}, {"type": "string"}, tmp_path)
    assert str(info.value) == 'Prediction failed with status "failed": ValueError: boom'
    assert info.value.exit_code == 1


def test_json_mode_whole_response_in_order(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok(PNG, metrics={"z": 1, "predict_time": 0.25}), URI, tmp_path, json_mode=True)
    text = cap.stdout.getvalue()
    assert list(json.loads(text)) == ["status", "output", "error", "metrics"]
    assert '"status": "succeeded"' in text and '"error": ""' in text
    assert list(json.loads(text)["metrics"]) == ["predict_time", "z"]
    assert not list(tmp_path.iterdir())


def test_json_mode_failed_prints_then_exits_1(tmp_path: Path) -> None:
    cap = Capture()
    with pytest.raises(PredictionFailed):
        cap.render({"status": "failed", "error": "boom", "metrics": {}}, {"type": "string"}, tmp_path, json_mode=True)
    assert json.loads(cap.stdout.getvalue())["error"] == "boom"


def test_json_mode_to_file_warns_without_json_suffix(tmp_path: Path) -> None:
    cap = Capture()
    cap.render(ok("x"), {"type": "string"}, tmp_path, json_mode=True, output_path="resp.txt")
    assert json.loads((tmp_path / "resp.txt").read_text())["output"] == "x"
    assert len(cap.warnings) == 1
