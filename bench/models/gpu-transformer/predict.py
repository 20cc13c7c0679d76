"""A GPT-style decoder with generated weights, held on the GPU: the GPU check's model.

Greedy generation without a KV cache (each step runs the whole sequence), in bf16 on CUDA,
so one prediction keeps the GPU busy for tens of milliseconds.
"""

import os
import resource
import time

import torch
from torch import nn

from cog import BasePredictor, Input, current_scope

VOCAB = 32000
# GPU_CHECK_SMALL=1 shrinks the model so the script itself can be smoke-tested on a CPU.
SMALL = os.environ.get("GPU_CHECK_SMALL") == "1"
D_MODEL = 128 if SMALL else 1024
LAYERS = 2 if SMALL else 12
HEADS = 16


class TinyGPT(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, 4 * D_MODEL, batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, LAYERS, enable_nested_tensor=False)
        self.head = nn.Linear(D_MODEL, VOCAB, bias=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        n = tokens.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(n, device=tokens.device, dtype=self.head.weight.dtype)
        return self.head(self.blocks(self.embed(tokens), mask=mask, is_causal=True))


class Predictor(BasePredictor):
    def setup(self) -> None:
        torch.manual_seed(0)
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.bfloat16 if self.device.type == "cuda" else torch.float32
        self.model = TinyGPT().to(self.device, dtype).eval()
        print(f"model on {self.device} ({sum(p.numel() for p in self.model.parameters()) / 1e6:.0f}M params)")

    @torch.inference_mode()
    def predict(
        self,
        batch: int = Input(default=8, ge=1, le=64),
        prompt_len: int = Input(default=32, ge=1, le=512),
        new_tokens: int = Input(default=32, ge=1, le=512),
        seed: int = Input(default=0),
    ) -> str:
        # Per-call diagnostics, the same in the bare loop and behind the server: wall and CPU
        # time of this thread, and its context switches (a contended thread shows them).
        # On CUDA, events around the loop give the GPU's own time: gpu_ms close to gen_ms means
        # the GPU is the bottleneck (a CPU spinning in a sync also shows as thread CPU time).
        cuda = self.device.type == "cuda"
        t0, c0 = time.perf_counter(), time.thread_time()
        r0 = resource.getrusage(resource.RUSAGE_THREAD)
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
        gen = torch.Generator(device="cpu").manual_seed(seed)
        tokens = torch.randint(0, VOCAB, (batch, prompt_len), generator=gen).to(self.device)
        for _ in range(new_tokens):
            nxt = self.model(tokens)[:, -1].argmax(-1, keepdim=True)
            tokens = torch.cat([tokens, nxt], dim=1)
        launched_ms = (time.perf_counter() - t0) * 1000   # CPU done queueing work
        if cuda:
            end.record()
        out = " ".join(str(t) for t in tokens[0, prompt_len:].tolist())
        r1 = resource.getrusage(resource.RUSAGE_THREAD)
        self.last_stats = {
            "gen_ms": (time.perf_counter() - t0) * 1000,
            "launched_ms": launched_ms,
            "gpu_ms": start.elapsed_time(end) if cuda else 0.0,
            "thread_cpu_ms": (time.thread_time() - c0) * 1000,
            "vol_csw": r1.ru_nvcsw - r0.ru_nvcsw,
            "invol_csw": r1.ru_nivcsw - r0.ru_nivcsw,
        }
        scope = current_scope()
        for name, value in self.last_stats.items():
            scope.record_metric(name, value)
        return out
