"""Checks of this machine: the local Python against cog.yaml, the Docker engine, and whether the
CUDA/torch pairing the build would pick runs on the local driver and GPUs.

Each can be switched off so that tests are hermetic: COG_SKIP_PYTHON_CHECK, COG_SKIP_DOCKER_CHECK
(Cog's name), COG_SKIP_GPU_CHECK (Cog's name).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable

from cog_py.doctor.model import Finding, Project, Skipped
from cog_py.worker.gpu import Probe

SKIP_PYTHON = "COG_SKIP_PYTHON_CHECK"
SKIP_DOCKER = "COG_SKIP_DOCKER_CHECK"
SKIP_GPU = "COG_SKIP_GPU_CHECK"


def local_python_version() -> str | None:
    """`3.12` of the `python3` on PATH, or None when there is none."""
    exe = shutil.which("python3")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)\.(\d+)", out)
    return f"{match[1]}.{match[2]}" if match else None


def check_python_version(project: Project, local: Callable[[], str | None] = local_python_version) -> list[Finding]:
    if project.skip(SKIP_PYTHON):
        raise Skipped(f"{SKIP_PYTHON} is set")
    if project.config is None:
        raise Skipped("cog.yaml is not valid")
    wanted = ".".join(project.config.build.python_version.split(".")[:2])
    found = local()
    line = project.line_of("build", "python_version")
    if found is None:
        return [Finding("env-python-version", "warning", "python3 not found on this machine", project.config_name, line,
                        remediation=f"Install Python {wanted} to run and test the model's code locally")]
    if found != wanted:
        return [Finding("env-python-version", "warning",
                        f"local python3 is {found}; cog.yaml asks for {wanted}", project.config_name, line,
                        remediation=f"Use Python {wanted} locally (e.g. `uv python install {wanted}` or pyenv) so "
                        "that local runs match the image")]
    return []


def check_docker(project: Project) -> list[Finding]:
    if project.skip(SKIP_DOCKER):
        raise Skipped(f"{SKIP_DOCKER} is set")
    from cog_py.docker.client import connect
    from cog_py.errors import DockerError

    try:
        client = connect()
    except DockerError as exc:
        return [Finding("env-docker", "error", exc.message, remediation=exc.hint or "Start a Docker engine")]
    client.close()
    return []


# Oldest Linux driver of each CUDA toolkit release (NVIDIA's CUDA release notes).
TOOLKIT_DRIVER = {
    "11.0": "450.36.06", "11.1": "455.23", "11.2": "460.27.03", "11.3": "465.19.01", "11.4": "470.42.01",
    "11.5": "495.29.05", "11.6": "510.39.01", "11.7": "515.43.04", "11.8": "520.61.05", "12.0": "525.60.13",
    "12.1": "530.30.02", "12.2": "535.54.03", "12.3": "545.23.06", "12.4": "550.54.14", "12.5": "555.42.02",
    "12.6": "560.28.03", "12.8": "570.26", "12.9": "575.51.03", "13.0": "580.65.06",
}
# CUDA minor version compatibility: any release of a major runs on this driver (no PTX JIT).
MAJOR_DRIVER = {"11": "450.80.02", "12": "525.60.13", "13": "580.65.06"}
# Oldest CUDA that generates code for a compute capability (Blackwell, Hopper, Ada, Ampere).
CAPABILITY_CUDA = {"12.0": "12.8", "10.0": "12.8", "9.0": "11.8", "8.9": "11.8", "8.6": "11.1", "8.0": "11.0"}


def _v(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text))


def driver_cuda(probe: Probe) -> str | None:
    """The newest CUDA the driver supports: NVML says so; else the toolkit table."""
    if probe.cuda_version:
        return probe.cuda_version
    if not probe.driver_version:
        return None
    fits = [c for c, d in TOOLKIT_DRIVER.items() if _v(probe.driver_version) >= _v(d)]
    return max(fits, key=_v) if fits else None


def pairing(project: Project) -> tuple[str, str]:
    """(CUDA the build would pick, why), as `cog build` resolves it."""
    from cog_py.build.gpu import resolve_cuda
    from cog_py.errors import CogError

    build = project.config.build
    try:
        res = resolve_cuda(build.requirements, build.cuda, build.cudnn)
    except CogError as exc:
        raise Skipped(f"the build cannot pick a CUDA version: {exc.message}") from exc
    if build.cuda:
        why = f"build.cuda is {build.cuda}"
    elif res.framework == "torch":
        why = f"the newest CUDA build of torch {res.framework_version}"
    elif res.framework == "tensorflow":
        why = f"the CUDA tensorflow {res.framework_version} was tested with"
    else:
        why = "no torch or tensorflow pin: the default"
    return res.cuda, why


def check_gpu_compat(project: Project, prober: Callable[[], Probe] | None = None) -> list[Finding]:
    if project.skip(SKIP_GPU):
        raise Skipped(f"{SKIP_GPU} is set")
    if project.config is None:
        raise Skipped("cog.yaml is not valid")
    if not project.config.build.gpu:
        raise Skipped("not a GPU model (build.gpu is false)")
    from cog_py.worker.gpu import probe_driver

    cuda, why = pairing(project)
    picked = f"the build picks CUDA {cuda} ({why})"
    where = (project.config_name, project.line_of("build", "gpu"))
    probe = (prober or probe_driver)()
    if not probe.driver_version:
        return [Finding("env-gpu-compat", "info", f"no NVIDIA driver on this machine ({probe.error or 'none found'}); "
                        f"{picked}", *where, remediation="Run the model where its GPU driver supports that CUDA version")]
    findings = []
    newest = driver_cuda(probe)
    major = cuda.split(".")[0]
    if newest is not None and _v(newest) < _v(cuda):
        minimum = MAJOR_DRIVER.get(major)
        if minimum is not None and _v(probe.driver_version) >= _v(minimum):
            findings.append(Finding(
                "env-gpu-compat", "info",
                f"driver {probe.driver_version} supports CUDA up to {newest}; {picked}: it runs through CUDA minor "
                "version compatibility (no PTX JIT)", *where,
                remediation=f"Update the driver to {TOOLKIT_DRIVER.get(cuda, 'a newer one')} or newer for full support"))
        else:
            findings.append(Finding(
                "env-gpu-compat", "warning",
                f"driver {probe.driver_version} supports CUDA up to {newest}; {picked}: the model will not see the GPU",
                *where, remediation=f'Update the driver, or pin a torch built for CUDA {newest} (or set build.cuda: "{newest}")'))
    for device in probe.devices:
        need = CAPABILITY_CUDA.get(device.compute_capability or "")
        if need is not None and _v(cuda) < _v(need):
            findings.append(Finding(
                "env-gpu-compat", "warning",
                f"GPU {device.index} ({device.name}, compute capability {device.compute_capability}) needs CUDA {need} "
                f"or newer; {picked}", *where,
                remediation=f"Pin a torch release built for CUDA {need} or newer"))
    return findings
