"""File outputs: a data URI, or a PUT to the server's --upload-url. Standard library only."""

from __future__ import annotations

import base64
import io
import os
import urllib.parse
from typing import IO, Any

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


class DataURI:
    """A file output inlined as `data:<mime>;base64,<...>`, kept as the file's raw bytes.

    The response writer (record.dumps) puts `head` and the raw `data` into the body as they are
    and marks the run (protocol.Spliced): the parent base64-encodes it once, with its fast
    encoder, straight into the body it answers with. `str()` gives the URI for anything else
    (an SSE event, a comparison), encoded here.
    """

    __slots__ = ("head", "data")

    def __init__(self, mime: str, data: bytes) -> None:
        self.head = f"data:{mime};base64,".encode("ascii")
        self.data = data

    @property
    def b64(self) -> bytes:
        return base64.b64encode(self.data)

    def __str__(self) -> str:
        return (self.head + self.b64).decode("ascii")

    def __repr__(self) -> str:
        return f"DataURI({self.head.decode()}...{len(self.data)} bytes)"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DataURI):
            return self.head == other.head and self.data == other.data
        return isinstance(other, str) and str(self) == other

    def __hash__(self) -> int:
        return hash(str(self))   # equal to its URI string (__eq__), so hashed as that string


class FileEncoder:
    """Turns file outputs into URLs: data URIs, or uploaded to `upload_url` when set."""

    def __init__(self, upload_url: str | None = None, timeout: float = 25.0) -> None:
        self.upload_url = upload_url
        self.timeout = timeout

    def __call__(self, obj: Any) -> Any:
        if self.upload_url and isinstance(obj, (str, os.PathLike)):
            # Streamed from the file to the socket: the file is never held in memory whole.
            path = os.fspath(obj)
            name = os.path.basename(path)
            with open(path, "rb") as fh:
                return self.upload(fh, name, guess_mime(name), size=os.fstat(fh.fileno()).st_size)
        data, name = _read(obj)
        mime = guess_mime(name)
        if not self.upload_url:
            return DataURI(mime, data)
        return self.upload(data, name, mime)

    def upload(self, data: bytes | IO[bytes], name: str, mime: str, *, size: int | None = None) -> str:
        """PUT `data` (bytes, or a file read block by block) to the upload URL; its final URL."""
        base = self.upload_url or ""
        if not base.endswith("/"):
            base += "/"
        url = base + urllib.parse.quote(name)
        from urllib import request as urlrequest   # only when uploading: the worker's boot does without it

        length = size if size is not None else len(data)  # type: ignore[arg-type]
        request = urlrequest.Request(url, data=data, method="PUT",
                                     headers={"Content-Type": mime, "Content-Length": str(length)})
        with urlrequest.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 - URL from the operator
            location = str(resp.headers.get("Location") or resp.geturl())
        parts = urllib.parse.urlsplit(urllib.parse.urljoin(url, location))
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
