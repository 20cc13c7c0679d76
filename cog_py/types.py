"""The value types a model author annotates inputs and outputs with. Standard library only.

`Path` is a local file (inputs arrive as URIs and are downloaded to a temporary file), `File` the
deprecated file-object flavour, `Secret` a string that never shows itself in a repr, a log or a
response. `ConcatenateIterator` marks a stream of text tokens meant to be joined for display.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import os
import pathlib
import urllib.parse
from typing import Any, AsyncIterator, Iterator, TypeVar

_T_co = TypeVar("_T_co", covariant=True)

_FILENAME_MAX_BYTES = 200
_REDACTED = "**********"


def _user_agent() -> str:
    from cog_py._version import __version__

    return os.environ.get("COG_USER_AGENT") or f"cog-py-worker/{__version__}"


def is_url(value: str) -> bool:
    """Say whether a string is a URL we fetch for a file input (http, https or data)."""
    head = value[:8]   # the scheme only: never split a (maybe huge) data URI
    scheme = head.split(":", 1)[0].lower() if ":" in head else ""
    return scheme in ("http", "https", "data")

# Types Python's own table lacks before 3.11 (where no /etc/mime.types supplies them, as in slim images).
MIME_EXTENSIONS = {"image/webp": ".webp", "image/avif": ".avif", "image/heic": ".heic", "audio/flac": ".flac"}


def filename_from_url(url: str) -> str:
    """Derive a safe local file name from a URL, keeping its extension.

    For `data:` URLs the name is `file` plus an extension guessed from the mime type. Names are
    URL-unquoted, `/` and NUL replaced by `_`, and cut to 200 bytes with a `~` marking the cut.
    """
    if url.startswith("data:"):
        comma = url.find(",", 5)
        mime = url[5:comma if comma >= 0 else None].split(";", 1)[0] or "text/plain"
        ext = mimetypes.guess_extension(mime) or MIME_EXTENSIONS.get(mime, "")
        return "file" + ext
    path = urllib.parse.urlparse(url).path
    name = urllib.parse.unquote(os.path.basename(path)) or "file"
    name = name.replace("/", "_").replace("\0", "_")
    encoded = name.encode("utf-8")
    if len(encoded) > _FILENAME_MAX_BYTES:
        stem, ext = os.path.splitext(name)
        keep = _FILENAME_MAX_BYTES - len(ext.encode("utf-8")) - 1
        stem = stem.encode("utf-8")[: max(keep, 0)].decode("utf-8", "ignore")
        name = stem + "~" + ext
    return name


def decode_data_url(url: str) -> tuple[str, bytes]:
    """Return (mime type, bytes) of a `data:` URL (base64 or percent-encoded)."""
    header, sep, payload = url[5:].partition(",")
    if not sep:
        raise ValueError("invalid data URL: missing ','")
    parts = header.split(";")
    mime = parts[0] or "text/plain"
    if "base64" in parts[1:]:
        return mime, base64.b64decode(payload)
    return mime, urllib.parse.unquote_to_bytes(payload)


def open_url(url: str, timeout: float | None = None) -> Any:
    """Open an http(s) URL with our user agent; the caller closes the response.

    `timeout` (connect, and each wait for data) defaults to COG_DOWNLOAD_TIMEOUT_S, else 10 s.
    """
    import urllib.error
    import urllib.request

    if timeout is None:
        try:
            timeout = float(os.environ.get("COG_DOWNLOAD_TIMEOUT_S") or 10.0)
        except ValueError:
            timeout = 10.0
        timeout = timeout if timeout > 0 else 10.0

    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http/https checked by callers)
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the response socket
        raise


class Path(pathlib.PosixPath):
    """A file on the local disk. As an input it is sent as a URI (http, https, data) or a path."""

    @classmethod
    def validate(cls, value: Any) -> Path | URLPath:
        """Turn a JSON value into a Path, or a URLPath still to be downloaded."""
        if isinstance(value, (URLPath, Path)):
            return value
        if isinstance(value, os.PathLike):
            return cls(os.fspath(value))
        if not isinstance(value, str):
            raise TypeError(f"expected a URI or a path, got {type(value).__name__}")
        if is_url(value):
            return URLPath(source=value, filename=filename_from_url(value))
        return cls(value)


class URLPath:
    """A file input given as a URL, not yet fetched. `convert()` downloads it next to `tmpdir`."""

    def __init__(self, *, source: str, filename: str) -> None:
        self.source = source
        self.filename = filename

    def __repr__(self) -> str:
        shown = self.source if not self.source.startswith("data:") else self.source[:32] + "..."
        return f"URLPath(source={shown!r}, filename={self.filename!r})"

    def convert(self, directory: str | os.PathLike[str]) -> Path:
        """Fetch the URL into a fresh file whose name ends with the URL's file name."""
        import tempfile

        fd, name = tempfile.mkstemp(suffix=self.filename, dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                if self.source.startswith("data:"):
                    out.write(decode_data_url(self.source)[1])
                else:
                    with open_url(self.source) as response:
                        while chunk := response.read(1 << 20):
                            out.write(chunk)
        except BaseException:
            os.unlink(name)
            raise
        return Path(name)


class File(io.IOBase):
    """Deprecated: a file object input (use Path). Sent as a URI like Path."""

    @classmethod
    def validate(cls, value: Any) -> io.IOBase:
        """Turn a JSON value into a readable file object."""
        if isinstance(value, io.IOBase):
            return value
        if not isinstance(value, str):
            raise TypeError(f"expected a URI, got {type(value).__name__}")
        scheme = value.split(":", 1)[0].lower() if ":" in value else ""
        if scheme == "data":
            buffer = io.BytesIO(decode_data_url(value)[1])
            buffer.name = filename_from_url(value)
            return buffer
        if scheme in ("http", "https"):
            return URLFile(value)
        raise ValueError(f"'{scheme}' is not a valid URL scheme. 'data', 'http', or 'https' is supported.")


class URLFile(io.IOBase):
    """A file object that downloads its URL on first read."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.name = filename_from_url(url)
        self._response: Any = None

    def _stream(self) -> Any:
        if self._response is None:
            self._response = open_url(self.url)
        return self._response

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # http.client before Python 3.10 refuses read(-1): read() means "all" everywhere
        data: bytes = self._stream().read(size) if size is not None and size >= 0 else self._stream().read()
        return data

    def readline(self, size: int | None = -1) -> bytes:
        line: bytes = self._stream().readline(size)
        return line

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        super().close()

    def __repr__(self) -> str:
        return f"URLFile({self.url!r})"


class Secret:
    """A string that redacts itself everywhere but `get_secret_value()`."""

    __slots__ = ("_secret_value",)

    def __init__(self, secret_value: str | None = None) -> None:
        if isinstance(secret_value, Secret):
            secret_value = secret_value.get_secret_value()
        self._secret_value = secret_value

    def get_secret_value(self) -> str | None:
        """Return the real value; never log it."""
        return self._secret_value

    def __repr__(self) -> str:
        return f"Secret('{_REDACTED if self._secret_value else ''}')"

    def __str__(self) -> str:
        return _REDACTED if self._secret_value else ""

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._secret_value == self._secret_value

    def __hash__(self) -> int:
        return hash(self._secret_value)

    def __reduce__(self) -> Any:
        return (Secret, (self._secret_value,))


class ConcatenateIterator(Iterator[_T_co]):
    """Return type of a predictor streaming text tokens that a client joins for display."""

    def __next__(self) -> _T_co:  # pragma: no cover - only used as an annotation
        raise StopIteration


class AsyncConcatenateIterator(AsyncIterator[_T_co]):
    """Async twin of ConcatenateIterator."""

    async def __anext__(self) -> _T_co:  # pragma: no cover - only used as an annotation
        raise StopAsyncIteration


class Opaque:
    """Marker: `Annotated[T, Opaque]` passes a value through as raw JSON, unchecked."""


__all__ = [
    "AsyncConcatenateIterator",
    "ConcatenateIterator",
    "File",
    "Opaque",
    "Path",
    "Secret",
    "URLFile",
    "URLPath",
]
