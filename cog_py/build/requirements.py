"""Turn the user's requirement lines into the requirements.txt installed in the image.

Decisions made here: which lines are local artifacts (copied into the build context), which
torch/TensorFlow pins get a CUDA-specific index or package, and which lines we drop because
our runtime is installed by us (`cog`, `cog_py`, `coglet`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from cog_py.build.versions import TorchRelease, Version, strip_local, tensorflow_releases, torch_releases
from cog_py.errors import BuildError

ARTIFACT_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")
LOCAL_DIR_IN_IMAGE = "/tmp/cog-local"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)(\[[^\]]*\])?\s*==\s*([^\s;,]+)\s*$")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._\-]*)")
_BARE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*(\[[^\]]*\])?")
_OURS = {"cog", "cog-py", "coglet"}
_TORCH_FAMILY = ("torch", "torchvision", "torchaudio")


def normalize_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def package_name(line: str) -> str | None:
    """The distribution a requirement line names, or None for options and paths."""
    if line.startswith("-") or is_artifact_path(line) or "://" in line:
        return None
    m = _NAME.match(line)
    return normalize_name(m.group(1)) if m else None


def pinned_version(lines: tuple[str, ...] | list[str], name: str) -> str | None:
    """`V` of a `name==V` line; `""` when the package is named without an exact pin."""
    for line in lines:
        m = _PIN.match(line)
        if m and normalize_name(m.group(1)) == name:
            return m.group(3) if "*" not in m.group(3) else ""
        if package_name(line) == name:
            return ""
        wheel = artifact_wheel_version(line, name)
        if wheel is not None:
            return wheel
    return None


def is_artifact_path(line: str) -> bool:
    """A local wheel or sdist named by path (`./dist/x.whl`, `wheels/torch-2.1.whl`)."""
    text = line.strip()
    if text.startswith("-") or "://" in text or " @ " in text:
        return False
    return text.lower().endswith(ARTIFACT_SUFFIXES)


def artifact_wheel_version(line: str, name: str) -> str | None:
    """Version from a local wheel's file name, e.g. `torch-2.13.0+cpu-cp311-...whl`."""
    if not is_artifact_path(line) or not line.endswith(".whl"):
        return None
    parts = PurePosixPath(line.strip()).name.split("-")
    if len(parts) >= 2 and normalize_name(parts[0]) == name:
        return parts[1]
    return None


@dataclass(frozen=True)
class LocalArtifact:
    """A file in the project named as a requirement; `rel` is its path inside the project."""

    rel: str

    @property
    def in_image(self) -> str:
        return f"{LOCAL_DIR_IN_IMAGE}/{self.rel}"


@dataclass
class RequirementsResult:
    text: str
    artifacts: tuple[LocalArtifact, ...]
    warnings: list[str] = field(default_factory=list)


def resolve_artifact(line: str, base_dir: Path, project_dir: Path) -> LocalArtifact:
    """Check a local artifact line and return where it sits inside the project."""
    raw = line.strip()
    path = (base_dir / raw).resolve() if not Path(raw).is_absolute() else Path(raw).resolve()
    root = project_dir.resolve()
    try:
        rel = path.relative_to(root)
    except ValueError:
        raise BuildError(
            f"requirement '{raw}' points outside the project directory {root}",
            hint="Move the file into the project directory and name it by a relative path.",
        ) from None
    if not path.is_file():
        raise BuildError(
            f"requirement '{raw}': file not found ({path})",
            hint="Check the path in your requirements; it is relative to the requirements file.",
        )
    return LocalArtifact(rel=rel.as_posix())


def _torch_row(name: str, version: str, cuda: str | None) -> TorchRelease | None:
    """The table row for a torch-family pin: CPU build, or the highest CUDA <= `cuda`."""
    want = Version.parse(strip_local(version))
    field_name = {"torch": "torch", "torchvision": "torchvision", "torchaudio": "torchaudio"}[name]
    rows = [r for r in torch_releases()
            if getattr(r, field_name) and Version.parse(getattr(r, field_name)).matches(want)]
    if cuda is None:
        cpu = [r for r in rows if r.cuda is None]
        return cpu[0] if cpu else None
    limit = Version.parse(cuda)
    gpu = [
        r for r in rows
        if r.cuda is not None and Version.parse(r.cuda).sort_key()[:2] <= limit.sort_key()[:2]
    ]
    return max(gpu, key=lambda r: Version.parse(r.cuda or "0.0").sort_key()) if gpu else None


def render_requirements(
    lines: tuple[str, ...],
    *,
    gpu_cuda: str | None,
    base_dir: Path,
    project_dir: Path,
    torch_pick: str | None = None,
    provided: tuple[str, ...] = (),
    overrides: tuple[str, ...] = (),
) -> RequirementsResult:
    """Rewrite requirement lines for the image. `gpu_cuda` is the resolved CUDA for GPU models;
    `torch_pick` the torch release that decided CUDA (gpu.py): torch-family lines without an
    exact pin get its index, and unversioned ones its matching version."""
    warnings: list[str] = []
    find_links: list[str] = []
    indexes: list[str] = []
    packages: list[str] = []
    artifacts: list[LocalArtifact] = []
    override = {package_name(o.strip()): o.strip() for o in overrides if package_name(o.strip())}
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name = package_name(line)
        if name in override:  # build.python_overrides: its line replaces the user's
            line = override[name]
        if name in _OURS or (name is None and _artifact_is_ours(line)):
            warnings.append(
                f"'{line}' found in requirements: removed. cog_py installs its own runtime "
                "in the image; remove the line from your requirements."
            )
            continue
        opt = _option(line)
        if opt is not None:
            key, value = opt
            target = find_links if key == "--find-links" else indexes
            entry = f"{key} {value}"
            if entry not in target:
                target.append(entry)
            continue
        if is_artifact_path(line):
            art = resolve_artifact(line, base_dir, project_dir)
            artifacts.append(art)
            packages.append(art.in_image)
            continue
        m = _PIN.match(line)
        if m and "*" in m.group(3):
            m = None
        if m and name in _TORCH_FAMILY:
            row = _torch_row(name, m.group(3), gpu_cuda)
            if row is not None:
                packages.append(_torch_line(row, name, f"{m.group(1)}{m.group(2) or ''}", strip_local(m.group(3))))
                _add_source(row, find_links, indexes)
                continue
        if not m and name in _TORCH_FAMILY and gpu_cuda is not None and torch_pick is not None:
            row = _torch_row("torch", torch_pick, gpu_cuda)
            if row is not None:
                if _BARE.fullmatch(line.split(";")[0].strip()):
                    # no version at all: the release matching the torch picked for CUDA
                    version = {"torch": row.torch, "torchvision": row.torchvision, "torchaudio": row.torchaudio}[name]
                    packages.append(_torch_line(row, name, line.split(";")[0].strip(), version) if version else line)
                else:
                    packages.append(line)
                _add_source(row, find_links, indexes)
                continue
        if m and name == "tensorflow" and gpu_cuda is not None:
            tf = [t for t in tensorflow_releases() if t.tensorflow == m.group(3)]
            if tf:
                packages.append(tf[0].gpu_package)
                continue
        packages.append(line)
    named = {package_name(line.strip()) for line in lines}
    packages += [p for p in provided if normalize_name(p) not in named]
    body = find_links + indexes + packages
    text = "\n".join(body) + "\n" if body else ""
    return RequirementsResult(text=text, artifacts=tuple(artifacts), warnings=warnings)


def _torch_line(row: TorchRelease, name: str, written: str, version: str) -> str:
    """`torch==V`, or `torch==V+cuXYZ` for the old builds published on a find-links page."""
    if row.find_links and row.local and "+" not in version and name != "torchaudio":
        return f"{written}=={version}+{row.local}"
    return f"{written}=={version}"


def _add_source(row: TorchRelease, find_links: list[str], indexes: list[str]) -> None:
    """The index (or find-links page) that holds `row`'s build; none for PyPI's own wheels."""
    if row.pypi:
        return
    if row.find_links:
        target, entry = find_links, f"--find-links {row.find_links}"
    else:
        target, entry = indexes, f"--extra-index-url {row.index_url}"
    if entry not in target:
        target.append(entry)


def _artifact_is_ours(line: str) -> bool:
    if not is_artifact_path(line):
        return False
    first = PurePosixPath(line.strip()).name.split("-")[0]
    return normalize_name(first) in _OURS


def _option(line: str) -> tuple[str, str] | None:
    """`--extra-index-url X`, `--index-url X`, `--find-links X`, `-f X` as (long name, value)."""
    aliases = {"-f": "--find-links", "--find-links": "--find-links",
               "--extra-index-url": "--extra-index-url", "--index-url": "--index-url", "-i": "--index-url"}
    for key, long in aliases.items():
        if line.startswith(key + " ") or line.startswith(key + "="):
            return long, line[len(key) + 1:].strip()
    return None
