"""The version tables (torch, TensorFlow, CUDA images) and the version arithmetic they need.

The tables are data (`data/*.json`) so a new release is a one-line change, not a code change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

_VERSION = re.compile(r"^(\d+)\.(\d+)(?:\.(\d+))?(?:\+(.*))?$")


@dataclass(frozen=True, order=True)
class Version:
    """`major.minor[.patch][+local]`; the local part is kept but never compared."""

    major: int
    minor: int
    patch: int | None = None

    @classmethod
    def parse(cls, text: str) -> Version:
        m = _VERSION.match(text.strip())
        if not m:
            raise ValueError(f"not a version: {text!r}")
        patch = int(m.group(3)) if m.group(3) is not None else None
        return cls(int(m.group(1)), int(m.group(2)), patch)

    def matches(self, other: Version) -> bool:
        """Same major and minor; same patch only when both name one (Cog's rule)."""
        if (self.major, self.minor) != (other.major, other.minor):
            return False
        return self.patch is None or other.patch is None or self.patch == other.patch

    @property
    def short(self) -> str:
        return f"{self.major}.{self.minor}"

    def sort_key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch or 0)


def strip_local(version: str) -> str:
    """`2.3.0+cu121` -> `2.3.0`."""
    return version.split("+", 1)[0]


@dataclass(frozen=True)
class CudaImage:
    tag: str
    cuda: str
    cudnn: str
    ubuntu: str


@dataclass(frozen=True)
class TorchRelease:
    torch: str
    torchvision: str
    torchaudio: str
    cuda: str | None
    pythons: tuple[str, ...]
    find_links: str | None = None    # old builds: `-f <page>` and `torch==V+<local>`
    local: str | None = None         # e.g. "cu110" for 1.7.1+cu110
    pypi: bool = False               # the plain PyPI wheel is this CUDA build

    @property
    def index_url(self) -> str:
        """The PyTorch wheel index holding this build."""
        if self.cuda is None:
            return "https://download.pytorch.org/whl/cpu"
        v = Version.parse(self.cuda)
        return f"https://download.pytorch.org/whl/cu{v.major}{v.minor}"


@dataclass(frozen=True)
class TensorflowRelease:
    tensorflow: str
    cpu_package: str
    gpu_package: str
    cuda: str
    cudnn: str
    pythons: tuple[str, ...]


def _load(name: str) -> Any:
    text = resources.files("cog_py.build").joinpath("data", name).read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def cuda_images() -> tuple[CudaImage, ...]:
    """Every known nvidia/cuda devel+cuDNN image."""
    return tuple(CudaImage(**row) for row in _load("cuda.json")["images"])


@lru_cache(maxsize=None)
def torch_releases() -> tuple[TorchRelease, ...]:
    """Torch builds whose CUDA version has a CUDA image (Cog filters the same way)."""
    known = {Version.parse(i.cuda).short for i in cuda_images()}
    rows = []
    for row in _load("torch.json")["releases"]:
        rel = TorchRelease(
            torch=row["torch"], torchvision=row["torchvision"], torchaudio=row["torchaudio"],
            cuda=row["cuda"], pythons=tuple(row["pythons"]), find_links=row.get("find_links"),
            local=row.get("local"), pypi=bool(row.get("pypi", False)),
        )
        if rel.cuda is None or rel.cuda in known:
            rows.append(rel)
    return tuple(rows)


@lru_cache(maxsize=None)
def tensorflow_releases() -> tuple[TensorflowRelease, ...]:
    return tuple(
        TensorflowRelease(
            tensorflow=r["tensorflow"], cpu_package=r["cpu_package"], gpu_package=r["gpu_package"],
            cuda=r["cuda"], cudnn=r["cudnn"], pythons=tuple(r["pythons"]),
        )
        for r in _load("tensorflow.json")["releases"]
    )


def latest_cudnn(cuda: str) -> str | None:
    """The highest cuDNN major published with an image for this CUDA version."""
    want = Version.parse(cuda)
    found = [int(i.cudnn) for i in cuda_images() if Version.parse(i.cuda).matches(want)]
    return str(max(found)) if found else None


def cudnns_for(cuda: str) -> list[str]:
    want = Version.parse(cuda)
    return sorted({i.cudnn for i in cuda_images() if Version.parse(i.cuda).matches(want)}, key=int)


@lru_cache(maxsize=None)
def ubuntu_pythons() -> dict[str, tuple[str, ...]]:
    """Python versions (`3.X`) that each Ubuntu release packages."""
    return {k: tuple(v) for k, v in _load("cuda.json")["ubuntu_pythons"].items()}


def cuda_image_tags(cuda: str, cudnn: str) -> list[CudaImage]:
    """All images for (CUDA, cuDNN), best first (highest CUDA patch, then newest Ubuntu)."""
    want = Version.parse(cuda)
    hits = [i for i in cuda_images() if Version.parse(i.cuda).matches(want) and i.cudnn == cudnn]
    return sorted(
        hits,
        key=lambda i: (Version.parse(i.cuda).sort_key(), Version.parse(i.ubuntu).sort_key()),
        reverse=True,
    )
