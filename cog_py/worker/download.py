"""File inputs fetched by the worker: each URL or data URI written once, straight to a file.

- `data:` URIs are decoded in slices into the file (never a second full copy in memory).
- http(s) downloads have a connect and first-byte timeout (`COG_DOWNLOAD_TIMEOUT_S`, default
  10 s; it also bounds every later wait for more bytes) and a size cap
  (`COG_MAX_DOWNLOAD_BYTES`, default 10 GiB); a partial file is removed.
- The worker's input directory is `cog-inputs-<pid>-<random>` in TMPDIR: the worker removes
  it when it exits, and the parent removes what a killed worker left (`protocol.remove_input_dirs`: the name is part of the parent/worker contract).

Standard library only (this runs in the user's environment).
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import urllib.parse
from typing import IO

from cog_py.types import Path, URLPath, open_url

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_MAX_BYTES = 10 * 1024 ** 3
_SLICE = 4 << 20                      # characters of a data URI decoded at a time
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")   # ignored, as b64decode ignores them


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


class DownloadError(Exception):
    """A file input could not be fetched (timeout, too large, HTTP error)."""


class Fetcher:
    """Fetches a `URLPath` into a directory; `timeout` and `max_bytes` from the environment."""

    def __init__(self, timeout: float | None = None, max_bytes: int | None = None) -> None:
        self.timeout = timeout or _env_number("COG_DOWNLOAD_TIMEOUT_S", DEFAULT_TIMEOUT_S)
        self.max_bytes = max_bytes or int(_env_number("COG_MAX_DOWNLOAD_BYTES", DEFAULT_MAX_BYTES))

    def __call__(self, url: URLPath, directory: str | os.PathLike[str]) -> Path:
        fd, name = tempfile.mkstemp(suffix=url.filename, dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                if url.source.startswith("data:"):
                    write_data_url(url.source, out)
                else:
                    self._download(url.source, out)
        except BaseException:
            os.unlink(name)
            raise
        return Path(name)

    def _download(self, source: str, out: IO[bytes]) -> None:
        import socket
        import urllib.error

        try:
            response = open_url(source, timeout=self.timeout)
        except socket.timeout as exc:
            raise DownloadError(f"no answer within {self.timeout:g} s (COG_DOWNLOAD_TIMEOUT_S)") from exc
        except urllib.error.URLError as exc:   # a connect timeout arrives wrapped
            if isinstance(exc.reason, socket.timeout):
                raise DownloadError(f"could not connect within {self.timeout:g} s (COG_DOWNLOAD_TIMEOUT_S)") from exc
            raise
        with response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > self.max_bytes:
                raise DownloadError(f"{length} bytes is more than the limit of {self.max_bytes} (COG_MAX_DOWNLOAD_BYTES)")
            total = 0
            while True:
                try:
                    chunk = response.read(1 << 20)
                except socket.timeout as exc:
                    raise DownloadError(f"no data for {self.timeout:g} s (COG_DOWNLOAD_TIMEOUT_S)") from exc
                if not chunk:
                    return
                total += len(chunk)
                if total > self.max_bytes:
                    raise DownloadError(f"more than the limit of {self.max_bytes} bytes (COG_MAX_DOWNLOAD_BYTES)")
                out.write(chunk)


def write_data_url(url: str, out: IO[bytes]) -> None:
    """Decode a `data:` URL (base64 or percent-encoded) into `out`, a slice at a time."""
    comma = url.find(",", 5)
    if comma < 0:
        raise ValueError("invalid data URL: missing ','")
    params = url[5:comma].split(";")[1:]
    if "base64" in params:
        rest = ""
        for start in range(comma + 1, len(url), _SLICE):
            text = rest + _NOT_BASE64.sub("", url[start:start + _SLICE])
            whole = len(text) // 4 * 4
            out.write(base64.b64decode(text[:whole]))
            rest = text[whole:]
        if rest:
            out.write(base64.b64decode(rest))   # raises on bad padding, as a one-shot decode would
        return
    carry = ""
    for start in range(comma + 1, len(url), _SLICE):
        text = carry + url[start:start + _SLICE]
        cut = text.rfind("%", max(0, len(text) - 2))   # an escape split across slices waits for the next
        carry, text = (text[cut:], text[:cut]) if cut >= 0 else ("", text)
        out.write(urllib.parse.unquote_to_bytes(text))
    if carry:
        out.write(urllib.parse.unquote_to_bytes(carry))

