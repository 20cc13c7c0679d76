"""The `environment` list: NAME=value pairs, with the names Cog reserves for itself."""

from __future__ import annotations

import re

from cog_py.config.problems import quote

_ENTRY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=.*$", re.DOTALL)

DENIED_NAMES = frozenset(
    {
        "PATH",
        "LD_LIBRARY_PATH",
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "PYTHONUNBUFFERED",
        "LIBRARY_PATH",
        "HF_ENDPOINT",
        "HF_HUB_ENABLE_HF_TRANSFER",
    }
)
DENIED_PREFIXES = ("R8_", "REPLICATE_", "CUDA_", "NVIDIA_", "NV_", "PGET_", "KUBERNETES_")


def check_environment_entry(entry: str, seen: set[str]) -> str | None:
    """Return what is wrong with one `NAME=value` entry (None if fine); add its name to `seen`."""
    if not _ENTRY.match(entry):
        return f"environment variable {quote(entry)} is not in the KEY=VALUE format"
    name = entry.split("=", 1)[0]
    if name in DENIED_NAMES or name.startswith(DENIED_PREFIXES):
        return f"environment variable {quote(name)} is not allowed: reserved for internal use"
    if name in seen:
        return f"environment variable {quote(name)} is already defined"
    seen.add(name)
    return None


def parse_environment(entries: list[str]) -> tuple[tuple[str, str], ...]:
    """Split checked entries into ordered (NAME, value) pairs."""
    pairs = []
    for entry in entries:
        name, value = entry.split("=", 1)
        pairs.append((name, value))
    return tuple(pairs)
