"""Container create arguments: publishing on 127.0.0.1, host network, GPUs, mounts, labels."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from cog_py.docker.run import (
    ContainerSpec,
    container_kwargs,
    device_requests,
    extra_labels,
    is_driver_error,
    stop_signals_interrupt,
)
from cog_py.docker.network import use_host_network
from cog_py.errors import DockerError


def test_publishes_on_loopback_only_with_random_port() -> None:
    kwargs = container_kwargs(ContainerSpec(image="cog-x"))
    assert kwargs["ports"] == {"5000/tcp": ("127.0.0.1", None)}
    assert "network_mode" not in kwargs
    assert "PORT" not in kwargs["environment"]
    assert kwargs["shm_size"] == "6g"
    assert kwargs["labels"] == {"dev.cog-py.role": "predict"}


def test_docker_sdk_turns_publish_into_loopback_binding() -> None:
    from docker.utils import convert_port_bindings

    ports = container_kwargs(ContainerSpec(image="x", port=8393))["ports"]
    assert convert_port_bindings(ports) == {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8393"}]}
    ports = container_kwargs(ContainerSpec(image="x"))["ports"]
    assert convert_port_bindings(ports) == {"5000/tcp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}


def test_host_network_passes_port() -> None:
    kwargs = container_kwargs(ContainerSpec(image="x", network_host=True, port=40123, env=(("A", "1"),)))
    assert kwargs["network_mode"] == "host"
    assert "ports" not in kwargs
    assert kwargs["environment"] == {"A": "1", "PORT": "40123"}


def test_serve_on_all_interfaces() -> None:
    kwargs = container_kwargs(ContainerSpec(image="x", host_ip="0.0.0.0", port=8393))
    assert kwargs["ports"] == {"5000/tcp": ("0.0.0.0", 8393)}


def test_project_mounted_at_src(tmp_path: Path) -> None:
    kwargs = container_kwargs(ContainerSpec(image="x", project_dir=tmp_path))
    assert kwargs["volumes"] == {str(tmp_path): {"bind": "/src", "mode": "rw"}}
    assert kwargs["working_dir"] == "/src"


def test_exec_ports_and_tty() -> None:
    spec = ContainerSpec(image="x", publish=False, extra_ports=(("127.0.0.1", 8000),), tty=True, stdin=True,
                         command=("bash",), role="exec")
    kwargs = container_kwargs(spec)
    assert kwargs["ports"] == {"8000/tcp": ("127.0.0.1", 8000)}
    assert kwargs["tty"] is True and kwargs["stdin_open"] is True
    assert kwargs["command"] == ["bash"]
    assert kwargs["labels"]["dev.cog-py.role"] == "exec"


def test_labels_and_extra_hosts() -> None:
    spec = ContainerSpec(image="x", labels=(("dev.cog-py.test", "1"),), extra_hosts=(("host.docker.internal", "host-gateway"),))
    kwargs = container_kwargs(spec)
    assert kwargs["labels"] == {"dev.cog-py.role": "predict", "dev.cog-py.test": "1"}
    assert kwargs["extra_hosts"] == {"host.docker.internal": "host-gateway"}


def test_gpu_requests() -> None:
    (all_gpus,) = device_requests("all")
    assert all_gpus["Count"] == -1 and all_gpus["Capabilities"] == [["gpu"]]
    (two,) = device_requests("2")
    assert two["Count"] == 2
    (ids,) = device_requests("device=0,1")
    assert ids["DeviceIDs"] == ["0", "1"]
    assert device_requests(None) == []
    with pytest.raises(DockerError, match="Invalid --gpus value 'lots'"):
        device_requests("lots")
    kwargs = container_kwargs(ContainerSpec(image="x", gpus="all"))
    assert kwargs["device_requests"][0]["Count"] == -1
    assert "device_requests" not in container_kwargs(ContainerSpec(image="x"))


def test_driver_errors() -> None:
    assert is_driver_error('could not select device driver "" with capabilities: [[gpu]]')
    assert is_driver_error("OCI runtime create failed: nvidia-container-cli: initialization error: nvml error")
    assert not is_driver_error("no such image")


def test_network_choice() -> None:
    assert use_host_network("host", {})
    assert use_host_network(None, {"COG_DOCKER_NETWORK": "host"})
    assert not use_host_network(None, {})
    assert not use_host_network("bridge", {"COG_DOCKER_NETWORK": "host"})


def test_extra_labels_from_env() -> None:
    assert extra_labels({"COG_PY_CONTAINER_LABELS": "dev.cog-py.test=1, a=b"}) == (("dev.cog-py.test", "1"), ("a", "b"))
    assert extra_labels({}) == ()


def test_sigterm_becomes_keyboard_interrupt() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        with stop_signals_interrupt():
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes of the main thread
                pass
    assert signal.getsignal(signal.SIGTERM) is before
