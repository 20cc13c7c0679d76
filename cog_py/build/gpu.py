"""Resolve CUDA and cuDNN for a GPU model (Cog's algorithm, cog-anatomy §2.4).

TensorFlow pinned -> its tested CUDA/cuDNN; torch pinned -> the newest CUDA build published for
that torch (or the `+cuXYZ` it names); neither -> CUDA 11.8. An explicit `build.cuda` wins,
with Cog's warnings when the framework was not built for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cog_py.build.pins import Pin, find_pin
from cog_py.build.requirements import pinned_version
from cog_py.build.versions import (
    Version,
    cudnns_for,
    latest_cudnn,
    strip_local,
    tensorflow_releases,
    torch_releases,
)
from cog_py.errors import BuildError

DEFAULT_CUDA = "11.8"


@dataclass
class CudaResolution:
    cuda: str
    cudnn: str
    framework: str | None = None      # "torch" | "tensorflow" | None
    framework_version: str | None = None
    warnings: list[str] = field(default_factory=list)
    note: str | None = None           # one line: the release a non-exact pin stands for
    picked: bool = False              # framework_version was picked for a non-exact pin


def check_cuda_syntax(cuda: str) -> None:
    try:
        v = Version.parse(cuda)
    except ValueError:
        raise BuildError(
            f"invalid build.cuda \"{cuda}\": must include both major and minor versions (e.g., '11.8')",
        ) from None
    if v.major < 11:
        raise BuildError(f"invalid build.cuda \"{cuda}\": minimum supported CUDA version is 11")


def torch_cudas(version: str) -> list[str]:
    """CUDA versions torch `version` was built for; exactly one when it names `+cuXYZ`."""
    if "+" in version:
        local = version.split("+", 1)[1]
        if local.startswith("cu") and local[2:].isdigit() and len(local) >= 4:
            digits = local[2:]
            return [f"{digits[:-1]}.{digits[-1]}"]
    want = Version.parse(strip_local(version))
    found = {r.cuda for r in torch_releases() if r.cuda and Version.parse(r.torch).matches(want)}
    return sorted(found, key=lambda c: Version.parse(c).sort_key())


def _pick(pin: Pin, rows: list[tuple[str, tuple[str, ...]]], python: str | None) -> str | None:
    """The newest version `pin` allows, preferring releases built for `python`."""
    if python is not None:
        fits = pin.pick(v for v, pythons in rows if python in pythons)
        if fits is not None:
            return fits
    return pin.pick(v for v, _ in rows)


def _stand_in(requirements: tuple[str, ...], name: str, label: str,
              rows: list[tuple[str, tuple[str, ...]]], python: str | None,
              warnings: list[str]) -> tuple[str, str]:
    """(version, note) for a framework named without an exact pin."""
    pin = find_pin(requirements, name)
    assert pin is not None
    chosen = _pick(pin, rows, python)
    if chosen is None:
        raise BuildError(
            f"no {label} release in cog_py's version tables satisfies '{pin.line}'",
            hint=f"Pin {name} to a release in cog_py/build/data/ (e.g. {name}=={rows[-1][0]}) or set build.cuda explicitly.",
        )
    if pin.unversioned:
        warnings.append(
            f"{name} has no version in your requirements: using {name}=={chosen}, the newest "
            f"{label} cog_py knows; pin it (e.g. {name}=={chosen}) to keep the image reproducible"
        )
        return chosen, f"{name} (no version) stands for {label} {chosen}"
    return chosen, f"{pin.line} stands for {label} {chosen}, the newest release in cog_py's tables it allows"


def resolve_cuda(requirements: tuple[str, ...], cuda: str | None, cudnn: str | None,
                 python: str | None = None) -> CudaResolution:
    """Pick (CUDA, cuDNN) for a GPU model from its pins and the explicit settings."""
    warnings: list[str] = []
    note: str | None = None
    picked = False
    if cuda is not None:
        check_cuda_syntax(cuda)
    tf = pinned_version(requirements, "tensorflow")
    torch = pinned_version(requirements, "torch")
    framework: str | None = None
    fw_version: str | None = None
    if tf == "":
        tf_rows = [(r.tensorflow, r.pythons) for r in tensorflow_releases()]
        tf, note = _stand_in(requirements, "tensorflow", "TensorFlow", tf_rows, python, warnings)
        picked = True
    if tf:
        framework, fw_version = "tensorflow", tf
        rows = [r for r in tensorflow_releases() if r.tensorflow == tf] or [
            r for r in tensorflow_releases() if Version.parse(r.tensorflow).matches(Version.parse(tf))]
        if not rows:
            raise BuildError(
                f"cog doesn't know what CUDA version is compatible with tensorflow=={tf}",
                hint="Set build.cuda (and build.cudnn) in cog.yaml explicitly.",
            )
        row = rows[-1]
        if cuda is None:
            cuda = row.cuda
        elif not Version.parse(cuda).matches(Version.parse(row.cuda)):
            warnings.append(
                f"Cog doesn't know if CUDA {cuda} is compatible with TensorFlow {tf}. "
                f"This might cause CUDA problems. TensorFlow {tf} was built for CUDA {row.cuda}."
            )
        if cudnn is None and Version.parse(cuda).matches(Version.parse(row.cuda)):
            cudnn = row.cudnn
        elif cudnn is not None and cudnn.split(".")[0] != row.cudnn:
            raise BuildError(
                f"TensorFlow {tf} is incompatible with CuDNN {cudnn}: "
                f"TensorFlow {tf} requires CuDNN {row.cudnn}",
            )
    elif torch is not None:
        if torch == "":
            seen: dict[str, tuple[str, ...]] = {}
            for r in torch_releases():
                if r.cuda is not None:
                    seen[r.torch] = seen.get(r.torch, ()) + r.pythons
            torch, note = _stand_in(requirements, "torch", "torch", list(seen.items()), python, warnings)
            picked = True
        framework, fw_version = "torch", torch
        cudas = torch_cudas(torch)
        if cuda is None:
            if not cudas:
                raise BuildError(
                    f"cog doesn't know what CUDA version is compatible with torch=={torch}",
                    hint="Pin a torch release cog_py knows (1.7 to 2.14, see cog_py/build/data/torch.json) "
                         "or set build.cuda explicitly.",
                )
            cuda = cudas[-1]
        elif not any(Version.parse(cuda).matches(Version.parse(c)) for c in cudas):
            warnings.append(
                f"Cog doesn't know if CUDA {cuda} is compatible with PyTorch {torch}. "
                "This might cause CUDA problems."
            )
            if cudas:
                warnings.append(f"Try CUDA {cudas[-1]} instead?")
    elif cuda is None:
        cuda = DEFAULT_CUDA
    assert cuda is not None
    if cudnn is None:
        cudnn = latest_cudnn(cuda)
        if cudnn is None:
            raise BuildError(
                f"CUDA {cuda} is not supported by Cog",
                hint="Choose a CUDA version that has an nvidia/cuda image (see cog_py/build/data/cuda.json).",
            )
    else:
        known = cudnns_for(cuda)
        if known and cudnn.split(".")[0] not in known:
            raise BuildError(
                f"CUDA {cuda} is incompatible with CuDNN {cudnn}: compatible CuDNN versions are: "
                + ", ".join(known),
            )
        cudnn = cudnn.split(".")[0]
    if note is not None:
        note += f": CUDA {cuda}, cuDNN {cudnn}"
    return CudaResolution(cuda=cuda, cudnn=cudnn, framework=framework, framework_version=fw_version,
                          warnings=warnings, note=note, picked=picked)
