"""File outputs: a data URI's raw bytes sent as a run the parent encodes, uploads streamed from disk."""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cog_py import protocol
from cog_py.predictor.encode import encode_output
from cog_py.worker.files import DataURI, FileEncoder
from cog_py.worker.record import dumps


@pytest.fixture
def blob(tmp_path: Path) -> Path:
    path = tmp_path / "out.png"
    path.write_bytes(bytes(range(256)) * 400)
    return path


def _json(blob: bytes | protocol.Spliced) -> bytes:
    """The body the parent answers with: the raw runs base64-encoded (as the parent does)."""
    return protocol.expand(b"".join(blob.parts), blob.spans) if isinstance(blob, protocol.Spliced) else blob


def test_a_data_uri_keeps_the_raw_bytes_and_the_body_marks_them_for_the_parent(blob: Path) -> None:
    uri = encode_output(blob, file_encoder=FileEncoder())
    assert isinstance(uri, DataURI) and uri.head == b"data:image/png;base64," and uri.data == blob.read_bytes()
    expected = "data:image/png;base64," + base64.b64encode(blob.read_bytes()).decode()
    assert str(uri) == expected and uri == expected and hash(uri) == hash(expected)
    snap = {"id": "p", "logs": "a\x00b \"q\"", "output": uri, "status": "succeeded"}
    body = dumps(snap)
    assert isinstance(body, protocol.Spliced)
    # text, the file's raw bytes (not base64, not copied), text
    assert len(body.parts) == 3 and body.parts[1] is uri.data
    assert body.parts[0].endswith(b'"output":"data:image/png;base64,') and body.parts[2].startswith(b'","status"')
    assert body.spans == [[len(body.parts[0]), len(uri.data)]] and len(body) == sum(map(len, body.parts))
    assert json.loads(_json(body)) == {"id": "p", "logs": "a\x00b \"q\"", "output": expected, "status": "succeeded"}
    assert _json(body) == json.dumps({**snap, "output": expected}, separators=(",", ":"), sort_keys=True).encode()


def test_several_files_in_a_list_and_strings_that_look_like_the_marker(blob: Path) -> None:
    enc = FileEncoder()
    out = encode_output([blob, blob], file_encoder=enc)
    tricky = "\x00cogfile-0:0\x00"
    body = dumps({"output": [*out, tricky], "logs": tricky})
    assert isinstance(body, protocol.Spliced) and len(body.spans) == 2
    doc = json.loads(_json(body))
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
