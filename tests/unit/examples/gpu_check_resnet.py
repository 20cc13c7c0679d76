"""GPU check of examples/resnet (run by hand on a GPU machine, from the repository root):

    python tests/unit/examples/gpu_check_resnet.py

Sets the model up on cuda, predicts, and compares labels and scores with the CPU on the same
machine. Needs torch and pillow. Not collected by pytest (no GPU here).
"""
import importlib.util, json, os, sys, time
from pathlib import Path

sys.path.insert(0, os.getcwd())
import torch
from PIL import Image

print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "-")

from cog_py.predictor.static import inspect_source
info = inspect_source(Path("examples/resnet"), "predict.py:Predictor")
print("static inspection:", info.method, [f.name for f in info.inputs], info.output.type.name)

spec = importlib.util.spec_from_file_location("predict", "examples/resnet/predict.py")
mod = importlib.util.module_from_spec(spec); sys.modules["predict"] = mod; spec.loader.exec_module(mod)
img = Path("/tmp/red.png"); Image.new("RGB", (100, 80), (200, 30, 30)).save(img)

def run(force_cpu):
    real = torch.cuda.is_available
    if force_cpu:
        torch.cuda.is_available = lambda: False
    try:
        p = mod.Predictor(); t = time.perf_counter(); p.setup(); setup_s = time.perf_counter() - t
    finally:
        torch.cuda.is_available = real
    p.predict(image=mod.Path(img), top_k=3)  # warm up
    t = time.perf_counter()
    for _ in range(20):
        out = p.predict(image=mod.Path(img), top_k=3)
    return out, setup_s, (time.perf_counter() - t) / 20

gpu, gs, gt = run(False)
cpu, cs, ct = run(True)
print("GPU:", gpu.device, gpu.label, [(g.label, g.score) for g in gpu.top_k], f"setup {gs:.3f}s predict {gt*1000:.1f}ms")
print("CPU:", cpu.device, cpu.label, [(g.label, g.score) for g in cpu.top_k], f"setup {cs:.3f}s predict {ct*1000:.1f}ms")
assert gpu.device == "cuda", gpu.device
assert cpu.device == "cpu"
assert [g.label for g in gpu.top_k] == [g.label for g in cpu.top_k]
assert all(abs(a.score - b.score) < 1e-3 for a, b in zip(gpu.top_k, cpu.top_k))
print("RESNET GPU CHECK OK")
