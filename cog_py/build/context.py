"""Assemble the build context as a tar: the project under `src/`, our generated files under `cog/`.

Laying the context out ourselves (instead of building from the project directory) lets one
Dockerfile name both the user's files and ours without a BuildKit named context, keeps `.cog/`
out always, and lets `--separate-weights` and local wheels leave the `src/` copy.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from cog_py.build import plan as p
from cog_py.docker.ignore import included_paths, read_dockerignore

WEIGHT_THRESHOLD = 10 * 1024 * 1024
LARGE_CONTEXT = 500 * 1024 * 1024
_NOT_WEIGHTS = (
    ".py", ".ipynb", ".whl", ".txt", ".md", ".yaml", ".yml", ".json", ".toml", ".cfg", ".log",
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tiff", ".svg",
    ".mp4", ".mov", ".avi", ".mkv", ".webm", ".mp3", ".wav", ".flac", ".ogg", ".m4a",
)
_NOT_WEIGHT_DIRS = (".cog", ".git", "__pycache__")

Say = Callable[[str], None]


@dataclass(frozen=True)
class ProjectFiles:
    """The project's paths that go into the image (after .dockerignore, `.cog/` and `.git/`)."""

    root: Path
    paths: tuple[str, ...]          # files and directories, project-relative

    def files(self) -> list[str]:
        return [q for q in self.paths if (self.root / q).is_file() or (self.root / q).is_symlink()]


# Never copied into an image: our own state, and the git repository (its config can hold
# credentials in remote URLs; the OCI labels carry the revision instead).
ALWAYS_EXCLUDED = (".cog", ".git")


def scan_project(root: Path) -> ProjectFiles:
    """List what `.dockerignore` lets through; `.cog/` and `.git/` are always left out."""
    patterns = read_dockerignore(root) + [p for d in ALWAYS_EXCLUDED for p in (d, f"{d}/**")]
    paths = [q for q in included_paths(root, patterns) if q.split("/", 1)[0] not in ALWAYS_EXCLUDED]
    return ProjectFiles(root=root, paths=tuple(paths))


def find_weights(project: ProjectFiles) -> tuple[str, ...]:
    """Files of 10 MiB or more that are not code or media: candidates for their own layer."""
    found = []
    for rel in project.files():
        parts = rel.split("/")
        if any(part in _NOT_WEIGHT_DIRS for part in parts[:-1]) or rel.lower().endswith(_NOT_WEIGHTS):
            continue
        path = project.root / rel
        if not path.is_symlink() and path.stat().st_size >= WEIGHT_THRESHOLD:
            found.append(rel)
    return tuple(sorted(found))


def warn_if_large(project: ProjectFiles, say: Say) -> int:
    """Warn about a context over 500 MB, naming its largest files; return the total size."""
    sizes = [(project.root.joinpath(q).lstat().st_size, q) for q in project.files()]
    total = sum(s for s, _ in sizes)
    if total > LARGE_CONTEXT:
        largest = sorted(sizes, reverse=True)[:5]
        lines = "\n".join(f"  {s / 1e6:8.1f} MB  {q}" for s, q in largest)
        say(
            f"The build context is {total / 1e6:.0f} MB; the largest files are:\n{lines}\n"
            "Add what the image does not need to .dockerignore (or use --separate-weights)."
        )
    return total


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if info.isfile():
        with path.open("rb") as fh:
            tar.addfile(info, fh)
    else:
        tar.addfile(info)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def write_context(
    plan: p.BuildPlan,
    dockerfile: str,
    project: ProjectFiles,
    *,
    generated: Mapping[str, bytes],
    files: Mapping[str, Path],
    source: bool = True,
    deps: bool = True,
) -> IO[bytes]:
    """A temporary tar file holding the context; the caller closes it.

    `generated`: context path -> content (requirements.txt, CA cert); `files`: context path ->
    host file (the runtime wheel and the server's wheels). `source=False` leaves the project's
    code out (a build of the dependencies only), `deps=False` the weights and local wheels (a
    build on top of the dependencies).
    """
    moved = set(plan.weights) | set(plan.local_artifacts)
    out = tempfile.TemporaryFile(prefix="cog-py-context-")
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, "Dockerfile", dockerfile.encode())
        if plan.copy_source and source:
            for rel in project.paths:
                if rel in moved:
                    continue
                _add_file(tar, f"{p.CTX_SOURCE}/{rel}", project.root / rel)
        for rel in plan.weights if deps else ():
            _add_file(tar, f"{p.CTX_WEIGHTS}/{rel}", project.root / rel)
        for rel in plan.local_artifacts if deps else ():
            _add_file(tar, f"{p.CTX_LOCAL}/{rel}", project.root / rel)
        for name, data in sorted(generated.items()):
            _add_bytes(tar, name, data)
        for name, path in sorted(files.items()):
            _add_file(tar, name, path)
    out.seek(0)
    return out


def write_code_archive(plan: p.BuildPlan, project: ProjectFiles, *, generated: Mapping[str, bytes],
                       source: bool = True) -> IO[bytes]:
    """A temporary tar of what a code build's `COPY src/ /src/` copies, named from `/` (`src/...`):
    the project's files (less weights and local wheels) and `generated` (context path -> content,
    under `src/`); `source=False`: `generated` only. Extracted at `/` on the dependency image
    (docker/layers.py); the caller closes it.
    """
    moved = set(plan.weights) | set(plan.local_artifacts)
    out = tempfile.TemporaryFile(prefix="cog-py-code-")
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if plan.copy_source and source:
            for rel in project.paths:
                if rel not in moved:
                    _add_file(tar, f"{p.CTX_SOURCE}/{rel}", project.root / rel)
        for name, data in sorted(generated.items()):
            _add_bytes(tar, name, data)
    out.seek(0)
    return out
