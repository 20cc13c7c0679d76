"""The machine checks on recorded answers: `nvidia-smi` CSV through the worker's GPU layer, the
local Python, and an engine that does not answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.doctor.env_checks import check_docker, check_gpu_compat, check_python_version, driver_cuda
from cog_py.doctor.load import load_project
from cog_py.doctor.model import Project, Skipped
from cog_py.worker.gpu import Probe, parse_smi_csv

# `nvidia-smi --query-gpu=index,name,memory.total,compute_cap,driver_version --format=csv,noheader,nounits`
# in the shape the driver prints it (one line per GPU)
SMI_H100_535 = "0, NVIDIA H100 80GB HBM3, 81559, 9.0, 535.104.05\n"
SMI_A100_470 = "0, NVIDIA A100-SXM4-40GB, 40536, 8.0, 470.82.01\n1, NVIDIA A100-SXM4-40GB, 40536, 8.0, 470.82.01\n"
SMI_RTX5090_570 = "0, NVIDIA GeForce RTX 5090, 32607, 12.0, 570.86.10\n"
SMI_T4_OLD_SMI = "0, Tesla T4, 15360, [N/A], 450.80.02\n"   # drivers before 510 print no compute_cap


def _project(tmp_path: Path, torch: str | None, *, gpu: bool = True, cuda: str | None = None) -> Project:
    lines = ['build:', f'  gpu: {"true" if gpu else "false"}', '  python_version: "3.11"']
    if cuda:
        lines.append(f'  cuda: "{cuda}"')
    if torch:
        lines.append(f'  python_packages: ["torch=={torch}"]')
    (tmp_path / "cog.yaml").write_text("\n".join(lines) + "\n")
    return load_project(tmp_path, environ={})


def test_smi_csv_is_read_by_the_worker_gpu_layer() -> None:
    probe = parse_smi_csv(SMI_A100_470)
    assert probe.driver_version == "470.82.01"
    assert [(d.index, d.name, d.memory_total_mb, d.compute_capability) for d in probe.devices] == [
        (0, "NVIDIA A100-SXM4-40GB", 40536, "8.0"), (1, "NVIDIA A100-SXM4-40GB", 40536, "8.0")]
    assert parse_smi_csv(SMI_T4_OLD_SMI).devices[0].compute_capability is None


@pytest.mark.parametrize("smi,newest", [(SMI_H100_535, "12.2"), (SMI_A100_470, "11.4"), (SMI_RTX5090_570, "12.8")])
def test_newest_cuda_of_a_driver(smi: str, newest: str) -> None:
    assert driver_cuda(parse_smi_csv(smi)) == newest
    assert driver_cuda(Probe(source="nvml", driver_version="999.1", cuda_version="13.1")) == "13.1"


def test_a_driver_new_enough_passes(tmp_path: Path) -> None:
    project = _project(tmp_path, "2.1.0", cuda="12.1")
    assert check_gpu_compat(project, lambda: parse_smi_csv(SMI_H100_535)) == []


def test_a_driver_too_old_for_the_cuda_the_build_picks(tmp_path: Path) -> None:
    [finding] = check_gpu_compat(_project(tmp_path, "2.3.1"), lambda: parse_smi_csv(SMI_A100_470))
    assert finding.severity == "warning" and finding.check == "env-gpu-compat"
    assert finding.message == ("driver 470.82.01 supports CUDA up to 11.4; the build picks CUDA 12.1 (the newest CUDA "
                               "build of torch 2.3.1): the model will not see the GPU")
    assert (finding.file, finding.line) == ("cog.yaml", 2)


def test_minor_version_compatibility_is_information(tmp_path: Path) -> None:
    [finding] = check_gpu_compat(_project(tmp_path, "2.3.1"), lambda: parse_smi_csv(SMI_H100_535.replace("535.104.05", "525.85.12")))
    assert finding.severity == "info" and "minor version compatibility" in finding.message


def test_a_gpu_newer_than_the_cuda_build(tmp_path: Path) -> None:
    findings = check_gpu_compat(_project(tmp_path, "2.3.1"), lambda: parse_smi_csv(SMI_RTX5090_570))
    assert [f.severity for f in findings] == ["warning"]
    assert "compute capability 12.0) needs CUDA 12.8 or newer; the build picks CUDA 12.1" in findings[0].message


def test_no_driver_here_is_information_with_the_pairing(tmp_path: Path) -> None:
    [finding] = check_gpu_compat(_project(tmp_path, None), lambda: Probe(source=None, error="nvidia-smi not found"))
    assert finding.severity == "info"
    assert "the build picks CUDA 11.8 (no torch or tensorflow pin: the default)" in finding.message


def test_gpu_check_skips(tmp_path: Path) -> None:
    with pytest.raises(Skipped, match="not a GPU model"):
        check_gpu_compat(_project(tmp_path, None, gpu=False), lambda: parse_smi_csv(SMI_H100_535))
    project = _project(tmp_path, None)
    project.environ = {"COG_SKIP_GPU_CHECK": "1"}
    with pytest.raises(Skipped, match="COG_SKIP_GPU_CHECK"):
        check_gpu_compat(project, lambda: parse_smi_csv(SMI_H100_535))


def test_local_python_against_cog_yaml(tmp_path: Path) -> None:
    project = _project(tmp_path, None, gpu=False)
    assert check_python_version(project, lambda: "3.11") == []
    [finding] = check_python_version(project, lambda: "3.12")
    assert finding.message == "local python3 is 3.12; cog.yaml asks for 3.11" and finding.severity == "warning"
    [missing] = check_python_version(project, lambda: None)
    assert missing.message == "python3 not found on this machine"
    project.environ = {"COG_SKIP_PYTHON_CHECK": "1"}
    with pytest.raises(Skipped):
        check_python_version(project, lambda: "3.12")


def test_an_engine_that_does_not_answer_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    project = _project(tmp_path, None, gpu=False)
    [finding] = check_docker(project)
    assert finding.severity == "error" and "cannot reach the Docker engine" in finding.message
    assert finding.remediation
    project.environ = {"COG_SKIP_DOCKER_CHECK": "1"}
    with pytest.raises(Skipped, match="COG_SKIP_DOCKER_CHECK"):
        check_docker(project)
