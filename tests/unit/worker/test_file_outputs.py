"""File outputs: data URIs spliced into the response body as bytes, uploads streamed from disk."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cog_py.predictor.encode import encode_output
from cog_py.worker.files import DataURI, FileEncoder
from cog_py.worker.record import dumps


@pytest.fixture
def blob(tmp_path: Path) -> Path:
    path = tmp_path / "out.png"
    path.write_bytes(bytes(range(256)) * 400)
    return path


def test_a_data_uri_is_kept_as_base64_bytes_and_spliced_into_the_json(blob: Path) -> None:
    uri = encode_output(blob, file_encoder=FileEncoder())
    assert isinstance(uri, DataURI) and uri.head == b"data:image/png;base64,"
    expected = "data:image/png;base64," + base64.b64encode(blob.read_bytes()).decode()
    assert str(uri) == expected and uri == expected
    snap = {"id": "p", "logs": "a\x00b \"q\"", "output": uri, "status": "succeeded"}
    body = dumps(snap)
    assert json.loads(body) == {"id": "p", "logs": "a\x00b \"q\"", "output": expected, "status": "succeeded"}
    assert body == json.dumps({**snap, "output": expected}, separators=(",", ":"), sort_keys=True).encode()


def test_several_files_in_a_list_and_strings_that_look_like_the_marker(blob: Path) -> None:
    enc = FileEncoder()
    out = encode_output([blob, blob], file_encoder=enc)
    tricky = "\x00cogfile-0:0\x00"
    doc = json.loads(dumps({"output": [*out, tricky], "logs": tricky}))
    assert doc["output"] == [str(out[0]), str(out[1]), tricky] and doc["logs"] == tricky
    assert dumps({"output": "plain"}) == b'{"output":"plain"}'


def test_other_objects_still_fail_to_serialize() -> None:
    with pytest.raises(TypeError):
        dumps({"output": object()})


class _Upload(http.server.BaseHTTPRequestHandler):
    received: dict[str, Any] = {}

    def do_PUT(self) -> None:  # noqa: N802 - the stdlib's handler naming
        length = int(self.headers["Content-Length"])
        _Upload.received = {"path": self.path, "type": self.headers["Content-Type"],
                            "body": self.rfile.read(length), "chunked": self.headers.get("Transfer-Encoding")}
        self.send_response(201)
        self.send_header("Location", f"http://cdn.test{self.path}?sig=1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def upload_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Upload)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/up"
    finally:
        server.shutdown()
        server.server_close()


def test_an_upload_streams_the_file_with_its_length(blob: Path, upload_server: str) -> None:
    url = FileEncoder(upload_server)(blob)
    assert url == "http://cdn.test/up/out.png"
    got = _Upload.received
    assert got["path"] == "/up/out.png" and got["type"] == "image/png" and got["chunked"] is None
    assert got["body"] == blob.read_bytes()
