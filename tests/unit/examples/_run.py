"""Run an example model in-process the way the worker does: load, setup, coerce, predict, encode."""

from __future__ import annotations

import asyncio
import base64
import inspect
import mimetypes
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cog_py.predictor.encode import encode_output
from cog_py.predictor.loader import LoadedPredictor, load_predictor
from cog_py.predictor.coerce import prepare_inputs
from tests.unit.predictor._static_cases import isolated_imports

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def data_uri(path: Path) -> str:
    """A file as the CLI sends it for `-i name=@file`."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def decode_data_uri(uri: str) -> tuple[str, bytes]:
    header, _, payload = uri.partition(",")
    assert header.startswith("data:") and header.endswith(";base64"), header
    return header[5:-7], base64.b64decode(payload)


async def _collect(value: Any) -> Any:
    if inspect.isawaitable(value):
        value = await value
    if inspect.isasyncgen(value):
        value = [item async for item in value]
    return value


@dataclass
class Model:
    """A loaded and set-up example; `predict()` takes JSON inputs and returns JSON output."""

    loaded: LoadedPredictor
    loop: asyncio.AbstractEventLoop
    tmp: Path

    def raw(self, payload: dict[str, Any]) -> Any:
        prepared = prepare_inputs(self.loaded.info, payload, tmpdir=self.tmp)
        return self.loop.run_until_complete(_collect(self.loaded.predict(**prepared.kwargs)))

    def predict(self, payload: dict[str, Any]) -> Any:
        return encode_output(self.raw(payload))

    def predict_many(self, payloads: list[dict[str, Any]]) -> list[Any]:
        """Run predictions at once on the model's event loop (an async model's concurrency)."""
        calls = []
        for payload in payloads:
            prepared = prepare_inputs(self.loaded.info, payload, tmpdir=self.tmp)
            calls.append(_collect(self.loaded.predict(**prepared.kwargs)))

        async def together() -> list[Any]:
            return list(await asyncio.gather(*calls))

        return [encode_output(r) for r in self.loop.run_until_complete(together())]


@contextmanager
def example(name: str, tmp: Path, *, mode: str = "predict", ref: str | None = None,
            weights: str | None = None) -> Iterator[Model]:
    """Load `examples/<name>` (its predict: or train: reference) and run setup()."""
    import yaml

    config = yaml.safe_load((EXAMPLES / name / "cog.yaml").read_text())
    ref = ref or config[mode]
    loop = asyncio.new_event_loop()
    try:
        with isolated_imports():
            loaded = load_predictor(ref, project_dir=EXAMPLES / name, mode=mode)
            if loaded.setup is not None:
                kwargs = {"weights": weights} if loaded.info.setup_weights else {}
                loop.run_until_complete(_collect(loaded.setup(**kwargs)))
            yield Model(loaded, loop, tmp)
    finally:
        loop.close()
