"""Outputs: a predict() return value -> JSON-able data, as Cog encodes it.

Files at the top level (a returned Path or file object, or an item of a returned list,
tuple or iterator) go through `file_encoder` (a data URI, or an upload that returns a URL);
files nested inside objects are always inlined as `data:` URIs. Structured values become
objects: our BaseModel and other dataclasses, pydantic v2 (`model_dump`) and v1 (`dict`)
models, dicts. Enums give their value, datetimes ISO 8601, numpy-likes plain numbers and
lists, Secrets their redacted form. Standard library only.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import enum
import io
import mimetypes
import os
import pathlib
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from typing import Any, Callable

from cog_py.types import Secret

FileEncoder = Callable[[pathlib.Path], str]


def guess_mime(name: str) -> str:
    """Mime type from a file name; `application/octet-stream` when unknown."""
    known = mimetypes.guess_type(name)[0]
    if known is None:  # Python < 3.11 without /etc/mime.types: see MIME_EXTENSIONS
        from cog_py.types import MIME_EXTENSIONS
        suffix = os.path.splitext(name)[1].lower()
        known = next((mime for mime, ext in MIME_EXTENSIONS.items() if ext == suffix), None)
    return known or "application/octet-stream"


def encode_data_uri(path: str | os.PathLike[str]) -> str:
    """`data:<mime>;base64,<bytes>` of a file."""
    data = pathlib.Path(path).read_bytes()
    return f"data:{guess_mime(os.fspath(path))};base64,{base64.b64encode(data).decode('ascii')}"


def _is_file(value: Any) -> bool:
    return isinstance(value, (os.PathLike, io.IOBase)) and not isinstance(value, (str, bytes))


def _encode_file_object(fileobj: io.IOBase, file_encoder: FileEncoder) -> str:
    """Save a file object to a temporary file (named after `.name`) and encode that."""
    name = os.path.basename(str(getattr(fileobj, "name", "") or "")) or "output.bin"
    if "." not in name:
        name += ".bin"
    directory = tempfile.mkdtemp(prefix="cog-output-")
    try:
        target = pathlib.Path(directory) / name
        if fileobj.seekable():
            fileobj.seek(0)
        with open(target, "wb") as out:
            shutil.copyfileobj(fileobj, out)
        return file_encoder(target)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _encode_file(value: Any, file_encoder: FileEncoder) -> str:
    if isinstance(value, io.IOBase):
        return _encode_file_object(value, file_encoder)
    return file_encoder(pathlib.Path(os.fspath(value)))


def _inline_file(path: pathlib.Path) -> str:
    return encode_data_uri(path)


def encode_output(value: Any, *, file_encoder: FileEncoder = _inline_file) -> Any:
    """Encode a return value (or one yielded item) to JSON-able data."""
    if _is_file(value):
        return _encode_file(value, file_encoder)
    if isinstance(value, (list, tuple, set, frozenset)) or _is_iterator(value):
        # JSON scalars (an embedding's floats, tokens) pass as they are, without the type walk
        return [v if type(v) in _SCALARS else _encode_file(v, file_encoder) if _is_file(v) else _encode(v)
                for v in value]
    return _encode(value)


_SCALARS = frozenset({float, int, str, bool, type(None)})


def _is_iterator(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, bytearray, Mapping)) and hasattr(
        value, "__next__"
    )


def _encode(value: Any) -> Any:
    """Encode a nested value; files here are inlined as data URIs."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Secret):
        return str(value)
    if _is_file(value):
        return _encode_file(value, _inline_file)
    if isinstance(value, enum.Enum):
        return _encode(value.value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(_encode(k)): _encode(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return _encode(dump())
    legacy = getattr(value, "dict", None)
    if callable(legacy) and hasattr(value, "__fields__") and not isinstance(value, type):
        return _encode(legacy())
    if isinstance(value, (list, tuple, set, frozenset)) or _is_iterator(value):
        return [_encode(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars, torch tensors
    if callable(tolist):
        return _encode(tolist())
    item = getattr(value, "item", None)
    if callable(item):
        return _encode(item())
    raise TypeError(f"cannot encode an output of type {type(value).__name__} as JSON")
