"""examples/batch-embeddings built for real (CPU torch from the local wheel): per-item schema in the
label, the queue and batching baked into the image, and batched predictions served."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cog_py import labels as keys
from tests.integration.test_build_examples import (  # noqa: F401 - fixtures used by name
    EXAMPLES,
    TORCH_WHEEL,
    build_dir,
    built,
    predict_in_image,
)

pytestmark = [pytest.mark.engine, pytest.mark.timeout(1800)]


def embeddings_cpu_copy(project: Path) -> Path:
    """The example with the local torch wheel beside it, named by path (as resnet_cpu_copy does)."""
    if not TORCH_WHEEL.is_file():
        pytest.skip(f"{TORCH_WHEEL} is absent on this machine")
    if not project.exists():
        shutil.copytree(EXAMPLES / "batch-embeddings", project, ignore=shutil.ignore_patterns(".cog", "__pycache__"))
        (project / "wheels").mkdir()
        shutil.copy2(TORCH_WHEEL, project / "wheels" / TORCH_WHEEL.name)
        (project / "requirements.txt").write_text(f"wheels/{TORCH_WHEEL.name}\n")
    return project


def test_batch_embeddings_image(engine: Any, built: Callable[..., str], build_dir: Path) -> None:  # noqa: F811
    project = embeddings_cpu_copy(build_dir / "batch-embeddings-cpu")
    image = built("batch-embeddings-cpu", project)
    attrs = engine.images.get(image).attrs
    labels = attrs["Config"]["Labels"]
    schema = json.loads(labels[keys.COG_OPENAPI_SCHEMA])
    assert schema["components"]["schemas"]["Input"]["properties"]["text"]["type"] == "string"
    assert schema["components"]["schemas"]["Output"] == {"items": {"type": "number"}, "title": "Output",
                                                        "type": "array"}
    assert json.loads(labels[keys.COG_CONFIG])["concurrency"] == {"max": 1, "queue": 64}
    assert "COG_QUEUE_SIZE=64" in attrs["Config"]["Env"]
    result = predict_in_image(engine, image, {"text": "a cat on a mat"})
    assert result["status"] == "succeeded", result
    assert len(result["output"]) == 256 and result["metrics"]["batch_size"] == 1
