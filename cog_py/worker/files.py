"""File outputs: a data URI, or a PUT to the server's --upload-url. Standard library only."""

from __future__ import annotations

import base64
import io
import os
import urllib.parse
import urllib.request
from typing import Any

from cog_py.predictor.encode import guess_mime


def _read(obj: Any) -> tuple[bytes, str]:
    """The bytes and a file name of a path-like or file-like output."""
    if isinstance(obj, (str, os.PathLike)):
        path = os.fspath(obj)
        with open(path, "rb") as fh:
            return fh.read(), os.path.basename(path)
    if isinstance(obj, io.IOBase) or hasattr(obj, "read"):
        try:
            obj.seek(0)
        except (AttributeError, OSError, ValueError):
            pass
        data = obj.read()
        if isinstance(data, str):
            data = data.encode()
        name = getattr(obj, "name", None)
        name = os.path.basename(name) if isinstance(name, str) and name else "output.bin"
        return data, name
    raise TypeError(f"cannot encode {type(obj).__name__} as a file output")


class FileEncoder:
    """Turns file outputs into URLs: data URIs, or uploaded to `upload_url` when set."""

    def __init__(self, upload_url: str | None = None, timeout: float = 25.0) -> None:
        self.upload_url = upload_url
        self.timeout = timeout

    def __call__(self, obj: Any) -> str:
        data, name = _read(obj)
        mime = guess_mime(name)
        if not self.upload_url:
            return f"data:{mime};base64,{base64.b64encode(data).decode()}"
        return self.upload(data, name, mime)

    def upload(self, data: bytes, name: str, mime: str) -> str:
        base = self.upload_url or ""
        if not base.endswith("/"):
            base += "/"
        url = base + urllib.parse.quote(name)
        request = urllib.request.Request(url, data=data, method="PUT", headers={"Content-Type": mime})
        with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 - URL from the operator
            location = str(resp.headers.get("Location") or resp.geturl())
        parts = urllib.parse.urlsplit(urllib.parse.urljoin(url, location))
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
