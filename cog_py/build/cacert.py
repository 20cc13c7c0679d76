"""`COG_CA_CERT`: extra CA certificates installed in the image before anything is downloaded."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from pathlib import Path

from cog_py.errors import BuildError

ENV = "COG_CA_CERT"
_BEGIN, _END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"


def load_ca_cert(environ: Mapping[str, str] = os.environ) -> str | None:
    """PEM text from COG_CA_CERT (a file, a directory of *.crt/*.pem, PEM text or base64 PEM)."""
    value = environ.get(ENV, "").strip()
    if not value:
        return None
    if _BEGIN in value:
        pem = value
    else:
        path = Path(value).expanduser()
        if path.is_dir():
            files = sorted([*path.glob("*.crt"), *path.glob("*.pem")])
            if not files:
                raise BuildError(f"{ENV}: invalid value - directory {path} holds no *.crt or *.pem file")
            pem = "\n".join(f.read_text(encoding="utf-8", errors="replace").strip() for f in files)
        elif path.is_file():
            pem = path.read_text(encoding="utf-8", errors="replace")
        else:
            pem = _from_base64(value)
    if _BEGIN not in pem or _END not in pem:
        raise BuildError(
            f"{ENV}: invalid value - expected a PEM certificate ({_BEGIN} ... {_END}), "
            "a file or directory of them, or base64 of one",
        )
    return pem.strip() + "\n"


def _from_base64(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BuildError(
            f"{ENV}: invalid value - not a file, a directory, PEM text or base64 PEM: {value[:60]!r}",
        ) from None
