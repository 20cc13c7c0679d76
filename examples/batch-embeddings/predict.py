"""Text embeddings from a small MLP, batched with @batch: one call embeds up to 16 texts.

The weights are generated (a fixed seed), so the example needs no download: what matters is
the shape of the work. Embedding one text multiplies a vector by three large matrices, which
reads all 137 MB of weights for a few thousand multiply-adds per weight read: bound by memory,
as a GPU model is at batch size 1. Sixteen texts in one call read the weights once, so a batch
costs little more than a single text.
"""

import math
import zlib
from typing import List

import torch

from cog import BasePredictor, Input, batch, current_scope

FEATURES = 4096   # hashed character trigrams
HIDDEN = 4096
DIM = 256         # the embedding's size


def trigram_features(text: str) -> List[int]:
    """Bucket indices of the text's character trigrams (feature hashing)."""
    padded = f"  {text.lower()}  "
    return [zlib.crc32(padded[i:i + 3].encode()) % FEATURES for i in range(len(padded) - 2)]


class Predictor(BasePredictor):
    def setup(self) -> None:
        torch.set_num_threads(1)   # one core: the comparison measures batching, not threads
        gen = torch.Generator().manual_seed(0)
        self.w1 = torch.randn(FEATURES, HIDDEN, generator=gen) / math.sqrt(FEATURES)
        self.w2 = torch.randn(HIDDEN, HIDDEN, generator=gen) / math.sqrt(HIDDEN)
        self.w3 = torch.randn(HIDDEN, DIM, generator=gen) / math.sqrt(HIDDEN)

    @batch(max_size=16, max_wait_ms=10)
    def predict(
        self,
        text: List[str] = Input(description="The text to embed", min_length=1, max_length=10000),
        normalize: List[bool] = Input(default=True, description="Scale the embedding to length 1"),
    ) -> List[List[float]]:
        x = torch.zeros(len(text), FEATURES)
        for row, t in enumerate(text):
            for index in trigram_features(t):
                x[row, index] += 1.0
        with torch.inference_mode():
            h = torch.relu(x @ self.w1)
            h = torch.relu(h @ self.w2)
            out = h @ self.w3
        rows = []
        # current_scope().items[i] is the i-th request's own scope: its metrics, its context.
        for t, vector, norm, scope in zip(text, out, normalize, current_scope().items):
            if norm:
                vector = vector / vector.norm().clamp_min(1e-12)
            scope.record_metric("trigrams", max(0, len(t) + 2))
            rows.append(vector.tolist())
        return rows
