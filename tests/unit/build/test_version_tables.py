"""Our version tables (cog_py/build/data/) agree with every row of Cog's (../shared/reference/cog-data/).

Cog v0.16.12's tables and the current ones: torch (1.2 onwards), TensorFlow (2.4 onwards), the
nvidia/cuda images. Read at run time from the shared reference directory; skipped without it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from cog_py.build.versions import cuda_images, tensorflow_releases
from tests.shared import shared_path

TORCH_FILES = ("v0.16.12-torch_compatibility_matrix.json", "head-torch_compatibility.json")
TF_FILES = ("v0.16.12-tf_compatibility_matrix.json", "head-tf_compatibility.json")


def _reference(name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(shared_path(f"reference/cog-data/{name}").read_text())
    return rows


def _torch_rows() -> dict[tuple[str, str | None], dict[str, Any]]:
    # the raw table: torch_releases() drops builds whose CUDA has no image
    from importlib import resources
    text = resources.files("cog_py.build").joinpath("data", "torch.json").read_text(encoding="utf-8")
    return {(r["torch"], r["cuda"]): r for r in json.loads(text)["releases"]}


@pytest.mark.parametrize("name", TORCH_FILES)
def test_torch_table_has_every_reference_row(name: str) -> None:
    ours = _torch_rows()
    missing, differ = [], []
    for ref in _reference(name):
        torch = ref["Torch"].split("+")[0]
        row = ours.get((torch, ref["CUDA"]))
        if row is None:
            missing.append(ref["Torch"])
            continue
        want = (ref["Torchvision"].split("+")[0], ref["Torchaudio"].split("+")[0])
        if (row["torchvision"], row["torchaudio"]) != want:
            differ.append((ref["Torch"], want, (row["torchvision"], row["torchaudio"])))
        if ref["FindLinks"] and "+" in ref["Torch"]:
            assert row.get("find_links") == ref["FindLinks"] and row.get("local") == ref["Torch"].split("+")[1]
    assert not missing, f"torch rows of {name} missing from torch.json: {missing}"
    assert not differ, f"torchvision/torchaudio differ from {name}: {differ}"


def test_torch_table_starts_at_1_7_or_earlier() -> None:
    assert ("1.7.1", "11.0") in _torch_rows()


@pytest.mark.parametrize("name", TF_FILES)
def test_tensorflow_table_has_every_reference_row(name: str) -> None:
    ours = {r.tensorflow: r for r in tensorflow_releases()}
    for ref in _reference(name):
        row = ours.get(ref["TF"])
        assert row is not None, f"tensorflow {ref['TF']} of {name} missing from tensorflow.json"
        assert (row.cuda, row.cudnn, row.gpu_package, row.cpu_package) == (
            ref["CUDA"], ref["CuDNN"].split(".")[0], ref["TFGPUPackage"], ref["TFCPUPackage"]), ref["TF"]


def test_cuda_images_include_every_image_cog_0_16_chose_from() -> None:
    ours = {i.tag: i for i in cuda_images()}
    for ref in _reference("v0.16.12-cuda_base_images.json"):
        image = ours.get(ref["Tag"])
        assert image is not None, f"nvidia/cuda:{ref['Tag']} missing from cuda.json"
        assert (image.cuda, image.cudnn, image.ubuntu) == (ref["CUDA"], ref["CuDNN"], ref["Ubuntu"])
