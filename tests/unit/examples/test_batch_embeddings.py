"""examples/batch-embeddings: per-item schema, and a batch gives what each text gives alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.predictor.adt import Kind
from cog_py.predictor.loader import load_predictor
from cog_py.predictor.static import inspect_source
from cog_py.scope import Scope, scope_for_batch
from tests.unit.predictor._static_cases import isolated_imports

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "batch-embeddings"


def test_schema_is_per_item_without_torch() -> None:
    info = inspect_source(EXAMPLE, "predict.py:Predictor")
    assert [(f.name, f.type.kind) for f in info.inputs] == [("text", Kind.STR), ("normalize", Kind.BOOL)]
    assert info.output.type.kind is Kind.LIST and info.output.type.item.kind is Kind.FLOAT  # type: ignore[union-attr]
    assert (info.batch_max_size, info.batch_max_wait_ms) == (16, 10.0)


def test_a_batch_embeds_as_single_calls_do() -> None:
    pytest.importorskip("torch", reason="torch is not installed (the example's model needs it)")
    with isolated_imports():
        loaded = load_predictor("predict.py:Predictor", project_dir=EXAMPLE)
        assert loaded.setup is not None
        loaded.setup()
        texts = ["a cat on a mat", "the dog barks", "a cat on a mat"]
        scopes = [Scope() for _ in texts]
        with scope_for_batch(scopes):
            batched = loaded.predict(text=texts, normalize=[True, True, False])
        assert len(batched) == 3 and all(len(v) == 256 for v in batched)
        assert abs(sum(x * x for x in batched[0]) - 1.0) < 1e-4
        assert batched[0] != batched[1]
        with scope_for_batch([Scope()]):
            [alone] = loaded.predict(text=["the dog barks"], normalize=[True])
        assert max(abs(a - b) for a, b in zip(alone, batched[1])) < 1e-4
        assert [s.metrics["trigrams"] for s in scopes] == [16, 15, 16]
