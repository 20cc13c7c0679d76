"""worker/download.py: data URIs decoded a slice at a time, input directories named per worker."""

from __future__ import annotations

import base64
import io
import os
import urllib.parse

import pytest

from cog_py import protocol
from cog_py.worker import download


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 100, 1000])
@pytest.mark.parametrize("slice_chars", [4, 7, 64])
def test_data_urls_decode_across_slices(size: int, slice_chars: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "_SLICE", slice_chars)
    data = os.urandom(size)
    for url in ("data:application/octet-stream;base64," + base64.b64encode(data).decode(),
                "data:;base64," + "\n".join(base64.encodebytes(data).decode().split("\n")),
                "data:text/plain," + urllib.parse.quote_from_bytes(data)):
        out = io.BytesIO()
        download.write_data_url(url, out)
        assert out.getvalue() == data


def test_bad_data_urls_raise() -> None:
    with pytest.raises(ValueError):
        download.write_data_url("data:text/plain;base64", io.BytesIO())
    with pytest.raises(ValueError):   # binascii.Error is a ValueError
        download.write_data_url("data:;base64,QUJDR", io.BytesIO())


def test_input_dirs_are_named_per_worker_and_removed_by_pid(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    mine = protocol.input_dir(4242)
    other = protocol.input_dir(4243)
    for path in (mine, other):
        os.makedirs(path)
        open(os.path.join(path, "file.txt"), "w").close()
    protocol.remove_input_dirs(4242)
    assert not os.path.exists(mine) and os.path.exists(other)


def test_timeouts_and_caps_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COG_DOWNLOAD_TIMEOUT_S", "2.5")
    monkeypatch.setenv("COG_MAX_DOWNLOAD_BYTES", "1000")
    fetcher = download.Fetcher()
    assert (fetcher.timeout, fetcher.max_bytes) == (2.5, 1000)
    monkeypatch.setenv("COG_DOWNLOAD_TIMEOUT_S", "nonsense")
    assert download.Fetcher().timeout == download.DEFAULT_TIMEOUT_S


def _serve(body: bytes, *, answer: bool = True):
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    held = []

    def run() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        held.append(conn)
        conn.recv(65536)
        if answer:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    threading.Thread(target=run, daemon=True).start()
    return listener, held, f"http://127.0.0.1:{listener.getsockname()[1]}/in.bin"


def test_a_download_over_the_cap_fails_and_leaves_no_file(tmp_path) -> None:
    from cog_py.types import URLPath

    listener, held, url = _serve(b"x" * 5000)
    try:
        with pytest.raises(download.DownloadError, match="COG_MAX_DOWNLOAD_BYTES"):
            download.Fetcher(timeout=10, max_bytes=1000)(URLPath(source=url, filename="in.bin"), tmp_path)
    finally:
        listener.close()
        for conn in held:
            conn.close()
    assert list(tmp_path.iterdir()) == []


def test_a_server_that_never_answers_times_out(tmp_path) -> None:
    from cog_py.types import URLPath

    listener, held, url = _serve(b"", answer=False)
    try:
        with pytest.raises(download.DownloadError, match="COG_DOWNLOAD_TIMEOUT_S"):
            download.Fetcher(timeout=0.3)(URLPath(source=url, filename="in.bin"), tmp_path)
    finally:
        listener.close()
        for conn in held:
            conn.close()
    assert list(tmp_path.iterdir()) == []
