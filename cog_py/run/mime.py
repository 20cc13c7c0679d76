"""File extensions <-> MIME types, and data URLs, as the CLI uses them for `-i x=@file` and outputs."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import urllib.parse
from pathlib import Path

from cog_py.errors import ModelServerError, UsageError

OCTET_STREAM = "application/octet-stream"

# The common media types first, so the answer does not depend on the host's /etc/mime.types.
_BY_EXTENSION: dict[str, str] = {
    ".txt": "text/plain",
    ".json": "application/json",
    ".csv": "text/csv",
    ".html": "text/html",
    ".md": "text/markdown",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".bmp": "image/bmp",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".ico": "image/x-icon",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".flac": "audio/flac",
    ".m4a": "audio/mp4",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".avi": "video/x-msvideo",
    ".glb": "model/gltf-binary",
    ".gltf": "model/gltf+json",
    ".obj": "model/obj",
    ".pdf": "application/pdf",
    ".zip": "application/zip",
    ".tar": "application/x-tar",
    ".gz": "application/gzip",
    ".npy": "application/octet-stream",
}

# The reverse direction prefers the usual spelling (.jpg rather than .jpe or .jpeg).
_PREFERRED_EXTENSION: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/tiff": ".tiff",
    "text/plain": ".txt",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "video/mp4": ".mp4",
}


def mime_for_path(path: str | Path) -> str:
    """Return the media type for a file name, `application/octet-stream` when unknown."""
    suffix = Path(path).suffix.lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    guessed, _ = mimetypes.guess_type(Path(path).name)
    return guessed or OCTET_STREAM


def extension_for_mime(mime: str) -> str:
    """Return an extension (with its dot) for a media type, `""` when none is known."""
    mime = mime.split(";", 1)[0].strip().lower()
    if mime in _PREFERRED_EXTENSION:
        return _PREFERRED_EXTENSION[mime]
    for ext, known in _BY_EXTENSION.items():
        if known == mime and mime != OCTET_STREAM:
            return ext
    guessed = mimetypes.guess_extension(mime)
    return guessed or ""


def encode_file(path: Path) -> str:
    """Read a local file and return it as a `data:<mime>;base64,...` URL."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Failed to read file {path}: {exc.strerror or exc}") from exc
    return f"data:{mime_for_path(path)};base64,{base64.b64encode(data).decode('ascii')}"


def is_data_url(value: object) -> bool:
    """True for a string that is a `data:` URL."""
    return isinstance(value, str) and value.startswith("data:")


def decode_data_url(url: str) -> tuple[str, bytes]:
    """Split a data URL into (mime, bytes). `data:None;base64,` (an unknown type) is tolerated."""
    if not url.startswith("data:") or "," not in url:
        raise ModelServerError(f"Output is not a data URL: {url[:60]}")
    header, _, payload = url[5:].partition(",")
    parts = header.split(";")
    mime = parts[0] if parts[0] and parts[0] != "None" else OCTET_STREAM
    if "base64" in parts[1:]:
        try:
            return mime, base64.b64decode(payload, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ModelServerError(f"Output data URL is not valid base64: {exc}") from exc
    return mime, urllib.parse.unquote_to_bytes(payload)
