"""Files in and out over real HTTP, uploads, client disconnects, and the `cog.server.http` launcher."""

from __future__ import annotations

import base64
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

pytestmark = pytest.mark.timeout(90)


class FileHost:
    """Serves GET /in.txt and accepts PUT uploads, on 127.0.0.1."""

    def __init__(self) -> None:
        self.uploads: dict[str, tuple[bytes, str]] = {}
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                data = b"downloaded"
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                host.uploads[self.path] = (body, self.headers["Content-Type"])
                self.send_response(201)
                self.send_header("Location", f"http://files.example{self.path}?sig=1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_host():
    host = FileHost()
    yield host
    host.close()


def test_url_input_and_uploaded_output(make_server, file_host):
    server = make_server("file_output.py:Predictor", args=["--upload-url", file_host.url + "/upload/"])
    body = server.predict({"image": file_host.url + "/in.txt"}).json()
    assert body["status"] == "succeeded", body
    assert body["output"] == "http://files.example/upload/out.txt"
    assert file_host.uploads["/upload/out.txt"] == (b"downloaded!", "text/plain")


def test_failed_download_is_a_422_prediction(make_server, file_host):
    server = make_server("file_output.py:Predictor")
    resp = server.predict({"image": "http://127.0.0.1:1/missing.png"})
    assert resp.status_code == 422
    assert resp.json()["status"] == "failed"
    server.wait_for("READY", timeout=5)


def test_sync_client_disconnect_cancels(make_server):
    server = make_server("sleeper.py:Predictor")
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(server.url + "/predictions", json={"input": {"seconds": 30}}, timeout=0.5)
    t0 = time.monotonic()
    server.wait_for("READY", timeout=10)
    assert time.monotonic() - t0 < 10   # canceled, not run out (that takes 30 s); slack for a loaded machine


def test_cog_server_http_launcher(tmp_path):
    # What Cog images run. With COG_SERVER_PYTHON set (the image's server venv) it execs that.
    import subprocess

    from tests.server.conftest import FIXTURES, REPO, free_port

    marker = tmp_path / "exec-args"
    server_python = tmp_path / "server-python"
    server_python.write_text(f'#!/bin/sh\necho "$@" > {marker}\nexec {sys.executable} "$@"\n')
    server_python.chmod(0o755)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cog.server.http", "--host", "127.0.0.1"], cwd=FIXTURES,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "PORT": str(port),
                                 "COG_PREDICT_TYPE_STUB": "hello.py:Predictor",
                                 "COG_SERVER_PYTHON": str(server_python)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health-check").json()["status"] == "READY":
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        resp = httpx.post(f"http://127.0.0.1:{port}/predictions", json={"input": {"text": "cog"}})
        assert resp.json()["output"] == "hello cog"
        httpx.post(f"http://127.0.0.1:{port}/shutdown")
        assert proc.wait(20) == 0
        assert marker.read_text().split() == ["-m", "cog_py.server", "--host", "127.0.0.1"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_data_uri_inputs_need_no_files_left_behind(make_server, tmp_path):
    server = make_server("file_output.py:Predictor", env={"TMPDIR": str(tmp_path)})
    data = "data:text/plain;base64," + base64.b64encode(b"abc").decode()
    for _ in range(5):
        assert server.predict({"image": data}).json()["status"] == "succeeded"
    # The model's own out.txt files are its business; the server leaves no input copies.
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "out.txt"]
    assert leftovers == []
