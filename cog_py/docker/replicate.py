"""Replicate's registry (`r8.im`): logging in with a CLI auth token, as Cog does.

The registry host answers two HTTP endpoints besides the registry API:
`GET /cog/v1/display-token-url` (where a signed-in user finds their CLI token) and
`POST /cog/v1/verify-token` (form field `token`; answers `{"username": ...}`). The verified
username and the token are then stored like any registry credentials.

`COG_REPLICATE_API_BASE` (hidden; tests use it) replaces `https://<host>` as the base URL.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

from cog_py.errors import RegistryError

REPLICATE_HOST = "r8.im"
TOKEN_PAGE = "https://replicate.com/auth/token"


def is_replicate(host: str) -> bool:
    return host == REPLICATE_HOST


def base_url(host: str, environ: Mapping[str, str] = os.environ) -> str:
    return (environ.get("COG_REPLICATE_API_BASE") or f"https://{host}").rstrip("/")


def _call(url: str, host: str, *, data: bytes | None = None, timeout: float) -> tuple[int, Any]:
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data is not None else {}
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, body = int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        status, body = int(exc.code), exc.read() or b""
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise RegistryError(f"Cannot reach {host}: {reason}",
                            hint="Check your network connection (and COG_REGISTRY_HOST if you set it).") from exc
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, body.decode(errors="replace")


def token_url(host: str, *, environ: Mapping[str, str] = os.environ, timeout: float = 30) -> str:
    """Where the user finds their CLI token; a host without the endpoint is not Replicate's registry."""
    status, body = _call(f"{base_url(host, environ)}/cog/v1/display-token-url", host, timeout=timeout)
    if status == 404:
        raise RegistryError(f"{host} is not the Replicate registry",
                            hint="Pass another registry to `cog login REGISTRY` to log in with a username and password.")
    if status >= 400 or not isinstance(body, dict) or not isinstance(body.get("url"), str):
        raise RegistryError(f"{host} did not say where to get a CLI token (HTTP {status})")
    return str(body["url"])


def check_token_shape(token: str, page: str = TOKEN_PAGE) -> None:
    """Refuse what cannot be a CLI auth token before asking the registry."""
    if not token:
        raise RegistryError("The token is empty", hint=f"Copy your CLI auth token from {page}")
    if token.startswith("r8_"):
        raise RegistryError(
            "That is a Replicate API token (it starts with r8_), not a CLI auth token",
            hint=f"Copy the CLI auth token from {page} instead.",
        )
    if any(c.isspace() for c in token):
        raise RegistryError("The token contains whitespace", hint=f"Copy your CLI auth token from {page} again.")


def verify_token(host: str, token: str, *, environ: Mapping[str, str] = os.environ, timeout: float = 30) -> str:
    """Ask the registry whose token this is; return the username."""
    check_token_shape(token)
    data = urllib.parse.urlencode({"token": token}).encode()
    status, body = _call(f"{base_url(host, environ)}/cog/v1/verify-token", host, data=data, timeout=timeout)
    if status in (401, 403, 404):
        raise RegistryError("The token is not valid: Replicate did not accept it",
                            hint=f"Copy a fresh CLI auth token from {TOKEN_PAGE}")
    if status >= 400:
        detail = body.get("detail") if isinstance(body, dict) else None
        raise RegistryError(f"Replicate could not verify the token (HTTP {status}{': ' + str(detail) if detail else ''})")
    username = body.get("username") if isinstance(body, dict) else None
    if not isinstance(username, str) or not username:
        raise RegistryError("Replicate verified the token but did not say which user it belongs to")
    return username
