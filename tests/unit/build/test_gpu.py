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


@pytest.mark.parametrize(
    ("pin", "torch", "cuda"),
    [   # issue 12 row "torch-specifier": any PEP 440 specifier; the newest release it allows decides
        ("torch>=2.1", "2.14.0", "13.0"),
        ("torch~=2.0.1", "2.0.1", "11.8"),
        ("torch<2.3", "2.2.2", "12.1"),
        ("torch>=1.13,<2.1", "2.0.1", "11.8"),
        ("torch==2.4.*", "2.4.1", "12.4"),
        ("torch[opt-einsum]>=2.5,<2.6 ; python_version >= '3.8'", "2.5.1", "12.4"),
    ],
)
def test_any_pep440_torch_pin_picks_the_newest_release_it_allows(pin: str, torch: str, cuda: str) -> None:
    res = resolve_cuda((pin,), None, None, python="3.11")
    assert (res.framework_version, res.cuda, res.picked) == (torch, cuda, True)
    assert res.note == f"{pin} stands for torch {torch}, the newest release in cog_py's tables it allows: " \
        f"CUDA {cuda}, cuDNN {res.cudnn}"
    assert res.warnings == []


def test_unpinned_torch_gets_the_newest_known_torch_and_a_warning() -> None:
    # issue 12 row "torch-unpinned": Cog errs; cog_py picks the newest torch and says so
    res = resolve_cuda(("torch",), None, None, python="3.11")
    assert res.framework_version == "2.14.0" and res.cuda == "13.0"
    assert res.warnings == [
        "torch has no version in your requirements: using torch==2.14.0, the newest torch cog_py knows; "
        "pin it (e.g. torch==2.14.0) to keep the image reproducible"]


def test_a_pin_no_table_release_satisfies_is_an_error() -> None:
    with pytest.raises(BuildError, match=r"no torch release in cog_py's version tables satisfies 'torch<1\.0'"):
        resolve_cuda(("torch<1.0",), None, None)


@pytest.mark.parametrize(("pin", "cuda", "cudnn"), [
    ("torch==1.13.1", "11.7", "8"), ("torch==1.11.0", "11.3", "8"), ("torch==1.7.1", "11.0", "8"),
    ("torch==1.9.0", "11.1", "8"),
])
def test_torch_1_x_is_known(pin: str, cuda: str, cudnn: str) -> None:
    # issue 12 row "torch-old": torch 1.7 to 1.13 on a GPU model
    res = resolve_cuda((pin,), None, None)
    assert (res.cuda, res.cudnn) == (cuda, cudnn)


@pytest.mark.parametrize(("pin", "tf", "cuda", "cudnn"), [
    ("tensorflow==2.8.0", "2.8.0", "11.2", "8"), ("tensorflow==2.4.0", "2.4.0", "11.0", "8"),
    ("tensorflow<2.10", "2.9.0", "11.2", "8"), ("tensorflow~=2.15.0", "2.15.1", "12.2", "8"),
])
def test_tensorflow_from_2_4_and_any_pin(pin: str, tf: str, cuda: str, cudnn: str) -> None:
    # issue 12 row "tensorflow-old"
    res = resolve_cuda((pin,), None, None)
    assert (res.framework, res.framework_version, res.cuda, res.cudnn) == ("tensorflow", tf, cuda, cudnn)


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
