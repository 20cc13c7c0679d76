"""Does a GPU model need the system CUDA of an `nvidia/cuda` devel image?

Torch wheels from the PyTorch index carry their own CUDA libraries, so a torch model runs on the
small `python:X-slim` base. Some libraries load the system's CUDA instead (ctranslate2 and
faster-whisper, onnxruntime-gpu, tensorrt, cupy), and building CUDA extensions from source
(flash-attn, xformers from git, anything calling `nvcc`) needs the CUDA toolkit of a devel image.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from cog_py.build.requirements import normalize_name, package_name

# distribution name -> why it needs system CUDA (a prefix match for the CUDA-suffixed families)
SYSTEM_CUDA_PACKAGES: dict[str, str] = {
    "onnxruntime-gpu": "onnxruntime-gpu loads the system's CUDA and cuDNN",
    "ctranslate2": "ctranslate2 loads the system's CUDA and cuDNN",
    "faster-whisper": "faster-whisper (ctranslate2) loads the system's CUDA and cuDNN",
    "flash-attn": "flash-attn is compiled with nvcc",
    "tensorrt": "tensorrt loads the system's CUDA",
    "cupy": "cupy loads the system's CUDA",
}
_PREFIXES = ("tensorrt-", "cupy-")   # tensorrt-cu12, cupy-cuda12x, ...
_NVCC = re.compile(r"(^|[\s;&|(`/])nvcc\b")
_PIP_INSTALL = re.compile(r"\bpip3?\s+install\b(.*)")
_SOURCE_HINT = ("git+", "--no-binary", "setup.py", ".git@", "github.com/")


def _known(name: str) -> str | None:
    if name in SYSTEM_CUDA_PACKAGES:
        return name
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return prefix[:-1]
    return None


def _xformers_from_source(text: str) -> bool:
    return "xformers" in text.lower() and any(h in text for h in _SOURCE_HINT)


def system_cuda_reason(requirements: Iterable[str], run_commands: Iterable[str]) -> str | None:
    """Why the model needs an nvidia/cuda devel base (one phrase), or None."""
    for line in requirements:
        name = package_name(line.strip())
        known = _known(name) if name else None
        if known:
            return f"requirement '{line.strip()}': {SYSTEM_CUDA_PACKAGES[known]}"
        if _xformers_from_source(line):
            return f"requirement '{line.strip()}': xformers built from source needs nvcc"
    for command in run_commands:
        if _NVCC.search(command):
            return f"build.run calls nvcc: '{command}'"
        m = _PIP_INSTALL.search(command)
        if not m:
            continue
        if _xformers_from_source(m.group(1)):
            return f"build.run builds xformers from source: '{command}'"
        for word in m.group(1).split():
            if word.startswith("-"):
                continue
            known = _known(normalize_name(re.split(r"[<>=!~\[;@ ]", word, maxsplit=1)[0]))
            if known:
                return f"build.run installs {word}: {SYSTEM_CUDA_PACKAGES[known]}"
    return None
