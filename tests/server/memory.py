"""Peak resident memory of a process, from /proc (Linux): reset the peak, act, read the growth."""

from __future__ import annotations

from pathlib import Path

MIB = 1024 * 1024


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class PeakRss:
    """`with PeakRss(pid) as peak: ...; peak.growth` = peak RSS during the block minus RSS before."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = 0
        self.growth = 0

    def __enter__(self) -> "PeakRss":
        try:   # reset VmHWM to the current RSS (needs the process to be ours)
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            pass
        self.before = _status_kib(self.pid, "VmRSS") * 1024
        return self

    def __exit__(self, *exc: object) -> None:
        self.growth = max(0, _status_kib(self.pid, "VmHWM") * 1024 - self.before)
