"""The GPU check at boot: find the devices, judge them, report. Standard library only.

`probe()` is the only part that touches the machine (torch when importable, else NVML through
ctypes, else `nvidia-smi`); `assess()` is pure logic over a `Probe`, so unit tests pass fake
probes. The report goes under `gpu` in /health-check and, as lines, into the setup logs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    memory_total_mb: int | None = None
    compute_capability: str | None = None   # "9.0"


@dataclass(frozen=True)
class Probe:
    """What one probing method found. `source` is None when nothing could be asked."""

    source: str | None
    devices: tuple[Device, ...] = ()
    driver_version: str | None = None
    cuda_version: str | None = None
    torch_version: str | None = None
    arch_list: tuple[str, ...] = ()         # torch.cuda.get_arch_list()
    error: str | None = None


@dataclass
class Assessment:
    report: dict[str, Any]
    log_lines: list[str] = field(default_factory=list)
    fatal: str | None = None                # set: setup must fail with this message


def arch_supported(capability: str, arch_list: tuple[str, ...]) -> bool | None:
    """Whether code built for `arch_list` runs on a device of `capability` ("8.6"); None: unknown."""
    if not arch_list:
        return None
    try:
        major, minor = (int(x) for x in capability.split(".")[:2])
    except ValueError:
        return None
    cap = major * 10 + minor
    for arch in arch_list:
        kind, _, num = arch.partition("_")
        digits = "".join(ch for ch in num if ch.isdigit())
        if not digits:
            continue
        value = int(digits)
        if kind == "sm" and value // 10 == major and value <= cap:
            return True   # same major, lower or equal minor: binary compatible
        if kind == "compute" and value <= cap:
            return True   # PTX can be JIT-compiled for newer devices
    return False


HIDE_ALL = ("", "-1", "none", "void", "NoDevFiles")


def visible_devices(devices: tuple[Device, ...], visible: str | None) -> tuple[Device, ...]:
    """The devices CUDA_VISIBLE_DEVICES lets CUDA see (NVML and nvidia-smi list them all)."""
    if visible is None:
        return devices
    if visible.strip() in HIDE_ALL:
        return ()
    wanted = [v.strip() for v in visible.split(",")]
    if not all(v.isdigit() for v in wanted):
        return devices   # UUIDs or MIG names: trust the probe
    by_index = {d.index: d for d in devices}
    return tuple(by_index[int(v)] for v in wanted if int(v) in by_index)


def assess(probe: Probe, *, requested: bool, required: bool, visible: str | None) -> Assessment:
    """Judge a probe for a model that asked (`requested`) or needs (`required`) a GPU."""
    devices = []
    lines: list[str] = []
    warnings: list[str] = []
    for dev in visible_devices(probe.devices, visible):
        supported = arch_supported(dev.compute_capability, probe.arch_list) if dev.compute_capability else None
        devices.append({**asdict(dev), "arch_supported": supported})
        mem = f"{dev.memory_total_mb} MiB" if dev.memory_total_mb is not None else "unknown memory"
        lines.append(f"GPU {dev.index}: {dev.name}, {mem}, compute capability {dev.compute_capability or 'unknown'}")
        if supported is False:
            warnings.append(
                f"GPU {dev.index} ({dev.name}) has compute capability {dev.compute_capability}, "
                f"which this torch build does not support (built for {', '.join(probe.arch_list)})"
            )
    if probe.devices:
        lines.append(
            f"driver {probe.driver_version or 'unknown'}, CUDA {probe.cuda_version or 'unknown'}"
            + (f", torch {probe.torch_version}" if probe.torch_version else "")
            + f", CUDA_VISIBLE_DEVICES={visible if visible is not None else '(unset)'}"
        )
    usable = any(d["arch_supported"] is not False for d in devices)
    fatal = None
    if requested and not usable:
        why = probe.error or ("no NVIDIA GPU found" if not probe.devices else "no GPU usable by torch")
        if visible is not None and visible.strip() in HIDE_ALL:
            why += f" (CUDA_VISIBLE_DEVICES={visible!r} hides every device)"
        if required:
            fatal = f"This model needs a GPU and none is usable: {why}. (COG_REQUIRE_GPU=1)"
        else:
            warnings.append(f"This model asks for a GPU but none is usable ({why}): running on the CPU")
    lines.extend(f"WARNING: {w}" for w in warnings)
    report = {
        "requested": requested,
        "available": usable,
        "source": probe.source,
        "devices": devices,
        "driver_version": probe.driver_version,
        "cuda_version": probe.cuda_version,
        "torch_version": probe.torch_version,
        "cuda_visible_devices": visible,
        "warnings": warnings,
    }
    return Assessment(report=report, log_lines=lines, fatal=fatal)


def _probe_torch() -> Probe:
    import torch

    version = str(torch.__version__)
    if not torch.cuda.is_available():
        return Probe(source="torch", torch_version=version, cuda_version=torch.version.cuda,
                     error="torch.cuda.is_available() is False")
    devices = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        devices.append(Device(i, props.name, props.total_memory // (1024 * 1024), f"{props.major}.{props.minor}"))
    driver = None
    smi = _probe_smi()
    if smi.driver_version:
        driver = smi.driver_version
    return Probe(source="torch", devices=tuple(devices), driver_version=driver, cuda_version=torch.version.cuda,
                 torch_version=version, arch_list=tuple(torch.cuda.get_arch_list()))


def _probe_nvml() -> Probe:
    import ctypes

    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return Probe(source=None, error="NVML library not found")
    if nvml.nvmlInit_v2() != 0:
        return Probe(source="nvml", error="nvmlInit failed")
    try:
        buf = ctypes.create_string_buffer(96)
        driver = buf.value.decode() if nvml.nvmlSystemGetDriverVersion(buf, 96) == 0 else None
        cuda = ctypes.c_int()
        cuda_version = None
        if nvml.nvmlSystemGetCudaDriverVersion_v2(ctypes.byref(cuda)) == 0:
            cuda_version = f"{cuda.value // 1000}.{cuda.value % 1000 // 10}"
        count = ctypes.c_uint()
        nvml.nvmlDeviceGetCount_v2(ctypes.byref(count))
        devices = []
        for i in range(count.value):
            handle = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(i, ctypes.byref(handle)) != 0:
                continue
            name = ctypes.create_string_buffer(96)
            nvml.nvmlDeviceGetName(handle, name, 96)
            mem = (ctypes.c_ulonglong * 3)()
            total = mem[0] // (1024 * 1024) if nvml.nvmlDeviceGetMemoryInfo(handle, mem) == 0 else None
            major, minor = ctypes.c_int(), ctypes.c_int()
            cc = None
            if nvml.nvmlDeviceGetCudaComputeCapability(handle, ctypes.byref(major), ctypes.byref(minor)) == 0:
                cc = f"{major.value}.{minor.value}"
            devices.append(Device(i, name.value.decode(), total, cc))
        return Probe(source="nvml", devices=tuple(devices), driver_version=driver, cuda_version=cuda_version)
    finally:
        nvml.nvmlShutdown()


def _probe_smi() -> Probe:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return Probe(source=None, error="nvidia-smi not found")
    try:
        out = subprocess.run([exe, f"--query-gpu={SMI_FIELDS}", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return Probe(source="nvidia-smi", error=f"nvidia-smi failed: {exc}")
    return parse_smi_csv(out)


SMI_FIELDS = "index,name,memory.total,compute_cap,driver_version"


def parse_smi_csv(out: str) -> Probe:
    """Read `nvidia-smi --query-gpu=SMI_FIELDS --format=csv,noheader,nounits` output."""
    devices, driver = [], None
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 5 or not parts[0].isdigit():
            continue
        mem = int(parts[2]) if parts[2].isdigit() else None
        cap = parts[3] if parts[3] and parts[3] not in ("[N/A]", "N/A") else None
        devices.append(Device(int(parts[0]), parts[1], mem, cap))
        driver = parts[4]
    return Probe(source="nvidia-smi", devices=tuple(devices), driver_version=driver)


def probe_driver() -> Probe:
    """The driver and devices without importing torch (NVML, else nvidia-smi): for host tools."""
    found = _probe_nvml()
    return found if found.driver_version else _probe_smi()


def probe(*, torch_available: Callable[[], bool] | None = None) -> Probe:
    """Ask the machine: torch if importable, else NVML, else nvidia-smi."""
    has_torch = torch_available() if torch_available else importlib.util.find_spec("torch") is not None
    attempts: list[Callable[[], Probe]] = ([_probe_torch] if has_torch else []) + [_probe_nvml, _probe_smi]
    last = Probe(source=None, error="no NVIDIA GPU found")
    for attempt in attempts:
        try:
            result = attempt()
        except Exception as exc:  # a broken driver must not stop the model from starting
            result = Probe(source=None, error=f"{type(exc).__name__}: {exc}")
        if result.devices:
            return result
        if result.source is not None:
            last = result
    return last


def boot_check(env: dict[str, str] | None = None, prober: Callable[[], Probe] = probe) -> Assessment | None:
    """The boot-time check: None when the model did not ask for a GPU (nothing is probed)."""
    env = dict(os.environ) if env is None else env
    requested = env.get("COG_GPU", "") in ("1", "true", "True")
    required = env.get("COG_REQUIRE_GPU", "") in ("1", "true", "True")
    if not requested and not required and env.get("COG_GPU_PROBE", "") != "1":
        return None
    return assess(prober(), requested=requested or required, required=required,
                  visible=env.get("CUDA_VISIBLE_DEVICES"))
