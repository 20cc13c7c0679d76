from __future__ import annotations

import pytest

from cog_py.build.gpu import resolve_cuda, torch_cudas
from cog_py.errors import BuildError


@pytest.mark.parametrize(
    ("pin", "cuda", "cudnn"),
    [
        ("torch==2.0.1", "11.8", "8"),
        ("torch==2.1.2", "12.1", "8"),
        ("torch==2.4.1", "12.4", "9"),
        ("torch==2.6.0", "12.6", "9"),
        ("torch==2.7.1", "12.8", "9"),
        ("torch==2.8.0", "12.9", "9"),
        ("torch==2.10.0", "13.0", "9"),
        ("torch==2.14.0", "13.0", "9"),
        ("torch==2.3.0+cu118", "11.8", "8"),
        ("torch==2.7.1+cu126", "12.6", "9"),
    ],
)
def test_torch_pin_picks_the_newest_cuda_build(pin: str, cuda: str, cudnn: str) -> None:
    res = resolve_cuda((pin, "numpy"), None, None)
    assert (res.cuda, res.cudnn, res.framework) == (cuda, cudnn, "torch")
    assert res.warnings == []


def test_every_torch_from_2_0_to_2_14_is_known() -> None:
    for minor in range(0, 15):
        assert torch_cudas(f"2.{minor}.0"), f"torch 2.{minor}.0 has no CUDA builds in the table"


def test_unpinned_torch_is_cogs_error() -> None:
    with pytest.raises(BuildError, match="^torch version must be specified when using CUDA$"):
        resolve_cuda(("torch",), None, None)
    with pytest.raises(BuildError, match="torch version must be specified"):
        resolve_cuda(("torch>=2.0",), None, None)


def test_unknown_torch_version() -> None:
    with pytest.raises(BuildError, match=r"cog doesn't know what CUDA version is compatible with torch==1\.5\.0"):
        resolve_cuda(("torch==1.5.0",), None, None)


def test_explicit_cuda_is_honoured_with_cogs_warnings() -> None:
    res = resolve_cuda(("torch==2.7.1",), "12.4", None)
    assert res.cuda == "12.4" and res.cudnn == "9"
    assert res.warnings == [
        "Cog doesn't know if CUDA 12.4 is compatible with PyTorch 2.7.1. This might cause CUDA problems.",
        "Try CUDA 12.8 instead?",
    ]


def test_explicit_compatible_cuda_gives_no_warning() -> None:
    res = resolve_cuda(("torch==2.7.1",), "12.6", "9")
    assert (res.cuda, res.cudnn, res.warnings) == ("12.6", "9", [])


def test_tensorflow_pin() -> None:
    res = resolve_cuda(("tensorflow==2.15.0",), None, None)
    assert (res.cuda, res.cudnn, res.framework) == ("12.2", "8", "tensorflow")


def test_tensorflow_with_other_cuda_warns() -> None:
    res = resolve_cuda(("tensorflow==2.15.0",), "12.4", None)
    assert res.cuda == "12.4" and res.cudnn == "9"
    assert "Cog doesn't know if CUDA 12.4 is compatible with TensorFlow 2.15.0" in res.warnings[0]


def test_tensorflow_cudnn_mismatch_is_an_error() -> None:
    with pytest.raises(BuildError, match="TensorFlow 2.15.0 is incompatible with CuDNN 9"):
        resolve_cuda(("tensorflow==2.15.0",), None, "9")


def test_unknown_tensorflow() -> None:
    with pytest.raises(BuildError, match="compatible with tensorflow==1.0.0"):
        resolve_cuda(("tensorflow==1.0.0",), None, None)


def test_no_framework_defaults_to_cuda_11_8() -> None:
    res = resolve_cuda(("numpy",), None, None)
    assert (res.cuda, res.cudnn, res.framework) == ("11.8", "8", None)


def test_incompatible_cudnn() -> None:
    with pytest.raises(BuildError, match="CUDA 12.8 is incompatible with CuDNN 8: compatible CuDNN versions are: 9"):
        resolve_cuda((), "12.8", "8")


@pytest.mark.parametrize("cuda", ["10.2", "12", "abc"])
def test_bad_cuda_values(cuda: str) -> None:
    with pytest.raises(BuildError, match="build.cuda"):
        resolve_cuda((), cuda, None)


def test_unsupported_cuda() -> None:
    with pytest.raises(BuildError, match="CUDA 11.9 is not supported by Cog"):
        resolve_cuda((), "11.9", None)
