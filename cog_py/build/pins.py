"""Which torch/torchvision/torchaudio/tensorflow a requirement asks for, for any PEP 440 pin.

`torch==2.1.2` names one release; `torch>=2.1`, `torch~=2.0.1`, `torch<2.3` or a range name
many: the newest release in our version tables that satisfies the specifier stands for them
when picking CUDA and cuDNN. A bare `torch` is "any version".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cog_py.build.requirements import artifact_wheel_version, normalize_name, package_name

# packaging is imported where a pin is read (~12 ms a `cog build` without torch/tensorflow skips).


@dataclass(frozen=True)
class Pin:
    """A requirement line naming `name`; `specifier` is "" when it names no version."""

    name: str
    line: str
    specifier: str

    @property
    def unversioned(self) -> bool:
        return self.specifier == ""

    def pick(self, versions: Iterable[str]) -> str | None:
        """The newest of `versions` this pin allows (pre-releases only when it names one)."""
        from packaging.specifiers import SpecifierSet
        from packaging.version import InvalidVersion
        from packaging.version import Version as PepVersion

        spec = SpecifierSet(self.specifier)
        ok: list[tuple[PepVersion, str]] = []
        for text in versions:
            try:
                version = PepVersion(text)
            except InvalidVersion:
                continue
            if spec.contains(version, prereleases=None):
                ok.append((version, text))
        return max(ok)[1] if ok else None


def find_pin(lines: Iterable[str], name: str) -> Pin | None:
    """The requirement line for distribution `name` (normalised), if any names it."""
    for raw in lines:
        line = raw.strip()
        wheel = artifact_wheel_version(line, name)
        if wheel is not None:
            return Pin(name=name, line=line, specifier=f"=={wheel.split('+', 1)[0]}")
        if package_name(line) != name:
            continue
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req = Requirement(line.split(" #", 1)[0])
        except InvalidRequirement:
            return Pin(name=name, line=line, specifier="")
        if req.url:
            return Pin(name=name, line=line, specifier="")
        return Pin(name=normalize_name(req.name), line=line, specifier=str(req.specifier))
    return None
