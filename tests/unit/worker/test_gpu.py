"""The boot-time GPU check, behind the device layer: fake probes, pure logic."""

from __future__ import annotations

from cog_py.worker.gpu import Device, Probe, arch_supported, assess, boot_check

H100 = Device(0, "NVIDIA H100 80GB HBM3", 81559, "9.0")
TORCH_ARCHS = ("sm_80", "sm_86", "sm_90", "compute_90")


def test_arch_support_rules():
    assert arch_supported("9.0", TORCH_ARCHS) is True
    assert arch_supported("8.9", ("sm_80", "sm_86")) is True      # same major, newer minor
    assert arch_supported("12.0", ("sm_80", "sm_90")) is False
    assert arch_supported("12.0", ("sm_80", "compute_90")) is True  # PTX JIT
    assert arch_supported("7.0", ("sm_80",)) is False
    assert arch_supported("9.0", ()) is None


def test_usable_gpu_reports_devices_and_logs():
    probe = Probe("torch", (H100,), driver_version="580.1", cuda_version="13.0", torch_version="2.11.0",
                  arch_list=TORCH_ARCHS)
    result = assess(probe, requested=True, required=True, visible="0")
    assert result.fatal is None
    assert result.report["available"] is True
    assert result.report["devices"][0]["arch_supported"] is True
    assert result.report["warnings"] == []
    assert result.log_lines[0] == "GPU 0: NVIDIA H100 80GB HBM3, 81559 MiB, compute capability 9.0"
    assert "driver 580.1, CUDA 13.0, torch 2.11.0, CUDA_VISIBLE_DEVICES=0" in result.log_lines[1]


def test_gpu_model_without_gpu_runs_on_cpu_with_a_warning():
    result = assess(Probe(None, error="no NVIDIA GPU found"), requested=True, required=False, visible=None)
    assert result.fatal is None
    assert result.report["available"] is False
    assert result.report["warnings"] == ["This model asks for a GPU but none is usable (no NVIDIA GPU found): running on the CPU"]
    assert result.log_lines == ["WARNING: " + result.report["warnings"][0]]


def test_required_gpu_missing_fails_setup():
    result = assess(Probe(None, error="no NVIDIA GPU found"), requested=True, required=True, visible="")
    assert result.fatal is not None
    assert "needs a GPU" in result.fatal and "COG_REQUIRE_GPU=1" in result.fatal
    assert "hides every device" in result.fatal


def test_unsupported_architecture_warns_and_counts_as_unusable():
    old = Device(0, "Tesla K80", 11441, "3.7")
    result = assess(Probe("torch", (old,), arch_list=TORCH_ARCHS), requested=True, required=False, visible=None)
    assert result.report["available"] is False
    assert any("compute capability 3.7" in w for w in result.report["warnings"])


def test_boot_check_probes_only_when_asked():
    calls = []

    def prober():
        calls.append(1)
        return Probe("nvml", (H100,), driver_version="580.1")

    assert boot_check({}, prober) is None
    assert calls == []
    result = boot_check({"COG_GPU": "1"}, prober)
    assert result is not None and result.report["requested"] is True and calls == [1]
    result = boot_check({"COG_REQUIRE_GPU": "1"}, lambda: Probe(None, error="none"))
    assert result is not None and result.fatal


def test_cuda_visible_devices_filters_nvml_devices():
    two = (H100, Device(1, "NVIDIA H100 80GB HBM3", 81559, "9.0"))
    probe = Probe("nvml", two, driver_version="580.1")
    assert [d["index"] for d in assess(probe, requested=True, required=False, visible="1").report["devices"]] == [1]
    hidden = assess(probe, requested=True, required=True, visible="")
    assert hidden.report["devices"] == [] and hidden.fatal is not None
    assert "hides every device" in hidden.fatal
