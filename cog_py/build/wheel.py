"""Our runtime for the image, built once and cached: the cog_py wheel and the server's wheels.

The cog_py wheel is assembled from the installed package files (a checkout or a pip-installed
cog_py alike), keyed by a hash of their content, so an unchanged cog_py never rebuilds it.
The server's dependencies (fastapi, uvicorn, ...) are downloaded on the host once per target
Python version and installed in the image with `--no-index`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import cog
import cog_py

from cog_py._version import __version__
from cog_py.errors import BuildError

# What the in-image server needs beside the cog_py wheel (the `server` extra of pyproject.toml).
SERVER_REQUIREMENTS = (
    "fastapi>=0.110",
    "uvicorn>=0.29",
    "uvloop>=0.19",
    "httptools>=0.6",
    "pydantic>=2.5,<3",
    "orjson>=3.9",
    "pybase64>=1.3",
)
_SKIP_DIRS = {"__pycache__", "templates"}
_EPOCH = (1980, 1, 1, 0, 0, 0)

Say = Callable[[str], None]


def cache_dir() -> Path:
    """`$COG_PY_CACHE_DIR`, else `$XDG_CACHE_HOME/cog_py`, else `~/.cache/cog_py`."""
    explicit = os.environ.get("COG_PY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cog_py"


def _package_files() -> list[tuple[str, Path]]:
    """(archive name, file) for every file of the `cog_py` and `cog` packages, sorted."""
    files: list[tuple[str, Path]] = []
    for pkg in (cog_py, cog):
        root = Path(str(pkg.__file__)).resolve().parent
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for name in sorted(filenames):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = Path(dirpath) / name
                files.append((f"{root.name}/{path.relative_to(root).as_posix()}", path))
    return sorted(files)


def runtime_wheel_name() -> str:
    return f"cog_py-{__version__}-py3-none-any.whl"


def source_hash() -> str:
    """Content hash of the runtime's files: the cache key of the wheel."""
    digest = hashlib.sha256(__version__.encode())
    for name, path in _package_files():
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def runtime_wheel(say: Say | None = None) -> Path:
    """The cached cog_py wheel for the current sources, built now if missing.

    `$COG_PY_RUNTIME_WHEEL` names a prebuilt cog_py wheel to use instead.
    """
    given = os.environ.get("COG_PY_RUNTIME_WHEEL")
    if given:
        path = Path(given)
        if not path.is_file():
            raise BuildError(f"COG_PY_RUNTIME_WHEEL: file not found: {path}")
        return path
    target = cache_dir() / "runtime" / source_hash() / runtime_wheel_name()
    if target.is_file():
        return target
    if say:
        say("Building the cog_py runtime wheel (once per cog_py version)...")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    _write_wheel(Path(tmp))
    os.replace(tmp, target)
    return target


def _write_wheel(path: Path) -> None:
    dist_info = f"cog_py-{__version__}.dist-info"
    records: list[str] = []

    def add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=_EPOCH)
        info.external_attr = 0o644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        records.append(f"{name},sha256={digest},{len(data)}")

    metadata = (
        f"Metadata-Version: 2.1\nName: cog_py\nVersion: {__version__}\n"
        "Summary: cog_py runtime (SDK, worker and server) for model images\nRequires-Python: >=3.8\n"
    ).encode()
    wheel_meta = b"Wheel-Version: 1.0\nGenerator: cog_py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    with zipfile.ZipFile(path, "w") as zf:
        for name, file in _package_files():
            add(zf, name, file.read_bytes())
        add(zf, f"{dist_info}/METADATA", metadata)
        add(zf, f"{dist_info}/WHEEL", wheel_meta)
        records.append(f"{dist_info}/RECORD,,")
        info = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=_EPOCH)
        info.external_attr = 0o644 << 16
        zf.writestr(info, "\n".join(records) + "\n")


def server_wheels(python_version: str, say: Say | None = None) -> Path:
    """A directory of the server's wheels for CPython `python_version` (x86_64 Linux), cached."""
    # "markers": caches made before dependencies were resolved for the target Python are stale.
    key = hashlib.sha256("\n".join(("markers", *SERVER_REQUIREMENTS)).encode()).hexdigest()[:12]
    target = cache_dir() / "server-wheels" / f"py{python_version}-{key}"
    if (target / ".complete").is_file():
        return target
    if say:
        say(f"Downloading the server's wheels for Python {python_version} (cached for later builds)...")
    tmp = Path(tempfile.mkdtemp(dir=_ensure(target.parent), prefix=".dl-"))
    wanted = list(SERVER_REQUIREMENTS)
    # pip evaluates environment markers against the host's interpreter, not --python-version:
    # what the wheels require on the target Python only (exceptiongroup on < 3.11, ...) is
    # fetched in further rounds.
    for _ in range(5):
        _pip_download(python_version, tmp, wanted)
        wanted = missing_requirements(tmp, python_version)
        if not wanted:
            break
    (tmp / ".complete").write_text("\n".join(sorted(p.name for p in tmp.glob("*.whl"))) + "\n")
    if target.exists():
        shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


def _pip_download(python_version: str, dest: Path, requirements: list[str]) -> None:
    abi = "cp" + python_version.replace(".", "")
    cmd = [
        sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
        "--only-binary=:all:", "--python-version", python_version, "--implementation", "cp",
        "--abi", abi, "--abi", "abi3", "--abi", "none",
        "--platform", "manylinux2014_x86_64", "--platform", "manylinux_2_17_x86_64",
        "--platform", "manylinux_2_28_x86_64", "--platform", "any",
        "--dest", str(dest), *requirements,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        shutil.rmtree(dest, ignore_errors=True)
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise BuildError(
            f"could not download the server's wheels for Python {python_version}:\n{tail}",
            hint="Check that PyPI is reachable from this machine (pip's proxy and certificate settings).",
        )


def target_environment(python_version: str) -> dict[str, str]:
    """Marker environment of CPython `python_version` on x86_64 Linux (the image)."""
    from packaging.markers import default_environment   # not at the top: a code-only build needs none

    env = {k: str(v) for k, v in default_environment().items()}
    env.update(python_version=python_version, python_full_version=f"{python_version}.0",
               implementation_name="cpython", platform_python_implementation="CPython",
               sys_platform="linux", platform_system="Linux", os_name="posix", platform_machine="x86_64")
    return env


def missing_requirements(wheel_dir: Path, python_version: str) -> list[str]:
    """Requirements of the wheels in `wheel_dir` that apply on `python_version` and that no wheel
    there provides (name + specifier, markers dropped)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    env = target_environment(python_version)
    present: set[str] = set()
    needed: dict[str, str] = {}
    for path in sorted(wheel_dir.glob("*.whl")):
        present.add(canonicalize_name(path.name.split("-", 1)[0]))
        with zipfile.ZipFile(path) as zf:
            meta = next((n for n in zf.namelist() if n.endswith(".dist-info/METADATA")), None)
            text = zf.read(meta).decode("utf-8", "replace") if meta else ""
        for line in text.split("\n\n", 1)[0].splitlines():
            if not line.startswith("Requires-Dist:"):
                continue
            try:
                req = Requirement(line.split(":", 1)[1].strip())
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
                continue
            needed.setdefault(canonicalize_name(req.name), f"{req.name}{req.specifier}")
    return sorted(spec for name, spec in needed.items() if name not in present)


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
