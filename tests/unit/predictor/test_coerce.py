"""prepare_inputs / validate_inputs against real files and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import functools
import http.server
import io
import threading
from pathlib import Path

import pytest

from cog_py.errors import InputValidationError
from cog_py.predictor.coerce import InputPreparationError, prepare_inputs, validate_inputs
from cog_py.predictor.loader import load_predictor
from cog_py.types import Path as CogPath
from cog_py.types import Secret, URLFile

PREDICTOR = '''
from typing import Optional
from cog import BasePredictor, File, Input, Path, Secret


class Predictor(BasePredictor):
    def predict(
        self,
        image: Path,
        maybe: Optional[int],
        url_text: str = "x",
        images: Optional[list[Path]] = None,
        doc: Optional[File] = None,
        key: Secret = Input(default=None),
        note: Optional[str] = None,
        count: int = Input(default=1, ge=1, le=5),
        size: str = Input(default="small", choices=["small", "large"]),
        code: str = Input(default="ab", min_length=2, max_length=4, regex="^[a-z]+$"),
        ratio: float = 0.5,
    ) -> str:
        return str(image)
'''


@pytest.fixture(scope="module")
def info(tmp_path_factory):
    project = tmp_path_factory.mktemp("coerce_project")
    (project / "predict.py").write_text(PREDICTOR)
    return load_predictor("predict.py:Predictor", project_dir=project).info


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    (root / "cat.png").write_bytes(b"\x89PNG fake cat")
    (root / "dog picture.jpg").write_bytes(b"fake dog")
    handler = functools.partial(_QuietHandler, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


def data_uri(data: bytes, mime: str = "text/plain") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_data_uri_becomes_a_local_file_with_its_extension(info, tmp_path) -> None:
    prepared = prepare_inputs(info, {"image": data_uri(b"pixels", "image/png")}, tmpdir=tmp_path)
    image = prepared.kwargs["image"]
    assert isinstance(image, CogPath)
    assert image.suffix == ".png" and image.parent == tmp_path
    assert image.read_bytes() == b"pixels"
    prepared.cleanup()
    assert not image.exists()


def test_http_url_is_downloaded_keeping_the_file_name(info, tmp_path, server) -> None:
    prepared = prepare_inputs(info, {"image": f"{server}/cat.png"}, tmpdir=tmp_path)
    image = prepared.kwargs["image"]
    assert image.name.endswith("cat.png")
    assert image.read_bytes() == b"\x89PNG fake cat"
    prepared.cleanup()


def test_list_of_files_mixes_urls_and_data_uris(info, tmp_path, server) -> None:
    payload = {"image": data_uri(b"a"), "images": [f"{server}/dog%20picture.jpg", data_uri(b"b", "image/webp")]}
    prepared = prepare_inputs(info, payload, tmpdir=tmp_path)
    first, second = prepared.kwargs["images"]
    assert first.name.endswith("dog picture.jpg") and first.read_bytes() == b"fake dog"
    assert second.suffix == ".webp" and second.read_bytes() == b"b"
    assert len(prepared.paths) == 3
    prepared.cleanup()
    assert not first.exists() and not second.exists()


def test_local_path_string_becomes_a_path(info, tmp_path) -> None:
    local = tmp_path / "in.txt"
    local.write_text("local")
    prepared = prepare_inputs(info, {"image": str(local)}, tmpdir=tmp_path)
    assert prepared.kwargs["image"] == CogPath(local)
    assert prepared.kwargs["image"].read_text() == "local"


def test_string_holding_a_url_stays_a_string(info, tmp_path, server) -> None:
    prepared = prepare_inputs(info, {"image": data_uri(b"x"), "url_text": f"{server}/cat.png"}, tmpdir=tmp_path)
    assert prepared.kwargs["url_text"] == f"{server}/cat.png"
    assert type(prepared.kwargs["url_text"]) is str


def test_file_inputs_are_file_objects(info, tmp_path, server) -> None:
    prepared = prepare_inputs(info, {"image": data_uri(b"x"), "doc": data_uri(b"doc body")}, tmpdir=tmp_path)
    assert isinstance(prepared.kwargs["doc"], io.BytesIO)
    assert prepared.kwargs["doc"].read() == b"doc body"
    prepared = prepare_inputs(info, {"image": data_uri(b"x"), "doc": f"{server}/cat.png"}, tmpdir=tmp_path)
    assert isinstance(prepared.kwargs["doc"], URLFile)
    assert prepared.kwargs["doc"].read() == b"\x89PNG fake cat"
    prepared.kwargs["doc"].close()


def test_secret_is_wrapped_and_redacted(info, tmp_path) -> None:
    prepared = prepare_inputs(info, {"image": data_uri(b"x"), "key": "s3cr3t"}, tmpdir=tmp_path)
    key = prepared.kwargs["key"]
    assert isinstance(key, Secret) and key.get_secret_value() == "s3cr3t"
    for shown in (repr(key), str(key), f"{key}", f"{key:>12}", repr(prepared.kwargs)):
        assert "s3cr3t" not in shown
    assert str(key) == "**********"


def test_omitted_optional_is_none_and_unknown_keys_are_stripped(info, tmp_path) -> None:
    prepared = prepare_inputs(info, {"image": data_uri(b"x"), "typo": 1}, tmpdir=tmp_path)
    assert "maybe" in prepared.kwargs and prepared.kwargs["maybe"] is None  # Optional without default
    assert "note" not in prepared.kwargs  # `= None` defaults come from predict() itself
    assert "typo" not in prepared.kwargs
    assert "count" not in prepared.kwargs  # defaulted inputs come from predict()'s own defaults


def test_float_inputs_are_passed_as_sent(info, tmp_path) -> None:
    prepared = prepare_inputs(info, {"image": data_uri(b"x"), "ratio": 2}, tmpdir=tmp_path)
    assert prepared.kwargs["ratio"] == 2 and type(prepared.kwargs["ratio"]) is int


@pytest.mark.parametrize(
    ("payload", "name", "msg", "kind"),
    [
        ({}, "image", "Field required", "value_error.missing"),
        ({"image": "x", "count": "lots"}, "count", '"lots" is not of type "integer"', "value_error"),
        ({"image": "x", "count": 9}, "count", "9 is greater than the maximum of 5", "value_error"),
        ({"image": "x", "count": 0}, "count", "0 is less than the minimum of 1", "value_error"),
        ({"image": "x", "size": "medium"}, "size", '"medium" is not one of ["small","large"]', "value_error"),
        ({"image": "x", "code": "a"}, "code", '"a" is shorter than 2 characters', "value_error"),
        ({"image": "x", "code": "abcde"}, "code", '"abcde" is longer than 4 characters', "value_error"),
        ({"image": "x", "code": "AB"}, "code", '"AB" does not match "^[a-z]+$"', "value_error"),
        ({"image": "x", "note": None}, "note", 'null is not of type "string"', "value_error"),
        ({"image": "x", "count": True}, "count", 'true is not of type "integer"', "value_error"),
        ({"image": "x", "images": ["a", 3]}, "images/1", '3 is not of type "string"', "value_error"),
    ],
)
def test_server_validation_errors(info, tmp_path, payload, name, msg, kind) -> None:
    with pytest.raises(InputValidationError) as err:
        prepare_inputs(info, payload, tmpdir=tmp_path)
    assert err.value.errors == [(name, msg)]
    assert err.value.details == [{"loc": ["body", "input", name], "msg": msg, "type": kind}]


def test_server_reports_every_problem(info, tmp_path) -> None:
    with pytest.raises(InputValidationError) as err:
        prepare_inputs(info, {"count": 10, "size": "x"}, tmpdir=tmp_path)
    assert [name for name, _ in err.value.errors] == ["image", "count", "size"]


def test_failed_download_is_a_preparation_error_and_leaves_no_files(info, tmp_path, server) -> None:
    payload = {"image": data_uri(b"ok"), "images": [f"{server}/missing.png"]}
    with pytest.raises(InputPreparationError) as err:
        prepare_inputs(info, payload, tmpdir=tmp_path)
    name, msg = err.value.errors[0]
    assert name == "images" and "missing.png" in msg and "404" in msg
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"image": "x", "nope": 1}, 'unknown input "nope"; valid inputs are: code, count, doc, image, images, key, '
                                    "maybe, note, ratio, size, url_text"),
        ({"image": "x", "b": 1, "a": 2}, 'unknown inputs "a", "b"; valid inputs are: code, count, doc, image, images, '
                                         "key, maybe, note, ratio, size, url_text"),
        ({}, 'missing required input "image"'),
        ({"image": "x", "count": "three"}, 'invalid input "count": expected integer, got string'),
        ({"image": "x", "count": 1.5}, 'invalid input "count": expected integer, got number'),
        ({"image": "x", "size": "medium"}, 'invalid input "size": must be one of: small, large'),
        ({"image": "x", "count": 0}, 'invalid input "count": number must be at least 1'),
        ({"image": "x", "count": 6}, 'invalid input "count": number must be at most 5'),
        ({"image": "x", "code": "a"}, 'invalid input "code": minimum string length is 2'),
        ({"image": "x", "note": None}, 'invalid input "note": must not be null (omit the input to use its default)'),
        ({"count": "x", "size": "m"}, "input validation failed:\n- missing required input \"image\"\n"
                                      "- invalid input \"count\": expected integer, got string\n"
                                      "- invalid input \"size\": must be one of: small, large"),
    ],
)
def test_cli_validation_messages(info, payload, message) -> None:
    with pytest.raises(InputValidationError) as err:
        validate_inputs(info, payload)
    assert str(err.value) == message


def test_cli_validation_accepts_good_inputs_without_touching_files(info) -> None:
    payload = {"image": "/definitely/not/here.png", "count": 3, "ratio": 1}
    assert validate_inputs(info, payload) == payload


def test_model_without_inputs(tmp_path) -> None:
    (tmp_path / "predict.py").write_text("def predict() -> str:\n    return 'x'\n")
    info = load_predictor("predict.py:predict", project_dir=tmp_path).info
    with pytest.raises(InputValidationError) as err:
        validate_inputs(info, {"a": 1})
    assert str(err.value) == 'unknown input "a"; model does not accept inputs'
