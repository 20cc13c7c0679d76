"""Each example answers a real prediction in-process: loader, setup, input coercion, encoding.

Inputs go in as JSON (files as `data:` URIs, as `cog predict -i x=@file` sends them) and the
output is checked as the JSON the server would return.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pytest

from cog_py.errors import InputValidationError
from tests.unit.examples._run import data_uri, decode_data_uri, example

PIL = pytest.importorskip("PIL", reason="pillow is not installed (pip install pillow)")
from PIL import Image  # noqa: E402


def _edge_image(path: Path, size: tuple[int, int] = (40, 30)) -> Path:
    """Left half black, right half white: blurring must soften the edge."""
    img = Image.new("RGB", size, (0, 0, 0))
    img.paste((255, 255, 255), (size[0] // 2, 0, size[0], size[1]))
    img.save(path)
    return path


def _image(uri: str) -> tuple[str, Image.Image]:
    mime, data = decode_data_uri(uri)
    img = Image.open(io.BytesIO(data))
    img.load()
    return mime, img


def test_hello_world(tmp_path: Path) -> None:
    with example("hello-world", tmp_path) as model:
        assert model.predict({"text": "world"}) == "hello world"
        with pytest.raises(InputValidationError):
            model.predict({})


def test_blur(tmp_path: Path) -> None:
    source = _edge_image(tmp_path / "edge.png")
    with example("blur", tmp_path) as model:
        mime, blurred = _image(model.predict({"image": data_uri(source), "radius": 3}))
        assert mime == "image/png" and blurred.size == (40, 30)
        assert blurred.getpixel((19, 15)) not in ((0, 0, 0), (255, 255, 255))  # the edge is soft now
        _, same = _image(model.predict({"image": data_uri(source), "radius": 0}))
        assert same.getpixel((19, 15)) == (0, 0, 0) and same.getpixel((20, 15)) == (255, 255, 255)
        _, default = _image(model.predict({"image": data_uri(source)}))  # radius defaults to 2
        assert default.getpixel((19, 15)) != (0, 0, 0)
        with pytest.raises(InputValidationError):
            model.predict({"image": data_uri(source), "radius": 25})


def test_thumbnails(tmp_path: Path) -> None:
    source = tmp_path / "wide.png"
    Image.new("RGB", (300, 150), (10, 200, 30)).save(source)
    with example("thumbnails", tmp_path) as model:
        output = model.predict({"image": data_uri(source)})
        assert isinstance(output, list) and len(output) == 3
        assert [_image(uri)[1].size for uri in output] == [(256, 128), (128, 64), (64, 32)]
        jpegs = model.predict({"image": data_uri(source), "format": "jpeg"})
        assert {_image(uri)[0] for uri in jpegs} == {"image/jpeg"}
        with pytest.raises(InputValidationError):
            model.predict({"image": data_uri(source), "format": "gif"})


def test_streaming_text_is_deterministic(tmp_path: Path) -> None:
    with example("streaming-text", tmp_path) as model:
        payload = {"prompt": "tell me about the", "max_tokens": 12, "delay": 0}
        tokens = model.predict(payload)
        assert len(tokens) == 12 and all(t.startswith(" ") for t in tokens)
        assert "".join(tokens) == " client as it has seen . a model reads the last word"
        assert model.predict(payload) == tokens


def test_async_predictions_overlap(tmp_path: Path) -> None:
    with example("async-concurrency", tmp_path) as model:
        assert re.fullmatch(r"hello one \(waited \d+\.\ds, 1 at once so far\)", model.predict({"name": "one", "seconds": 0}))
        outputs = model.predict_many([{"name": str(i), "seconds": 0.2} for i in range(4)])
        # All four were running together before any finished: each saw four at once.
        for i, output in enumerate(outputs):
            match = re.fullmatch(rf"hello {i} \(waited (\d+\.\d)s, 4 at once so far\)", output)
            assert match and float(match.group(1)) >= 0.2, output


def test_resnet_classifies_an_image(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="torch is not installed (pip install the CPU wheel from /opt/wheels)")
    source = tmp_path / "red.png"
    Image.new("RGB", (100, 80), (200, 30, 30)).save(source)
    with example("resnet", tmp_path) as model:
        out = model.predict({"image": data_uri(source), "top_k": 3})
        assert set(out) == {"label", "score", "device", "top_k"}
        assert out["device"] in ("cpu", "cuda")
        scores = [g["score"] for g in out["top_k"]]
        assert len(scores) == 3 and scores == sorted(scores, reverse=True) and 0 < sum(scores) <= 1
        assert out["label"] == out["top_k"][0]["label"] and out["score"] == scores[0]
        assert model.predict({"image": data_uri(source), "top_k": 3}) == out  # same weights every time
        assert len(model.predict({"image": data_uri(source)})["top_k"]) == 3  # default top_k
    with example("resnet", tmp_path) as again:  # a fresh setup generates the same weights
        assert again.predict({"image": data_uri(source), "top_k": 3}) == out


def test_train_then_predict_with_the_weights(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The cat sat on the mat.\n")
    with example("train", tmp_path, mode="train") as trainer:
        trained = trainer.raw({"text": data_uri(corpus)})
        encoded = trainer.predict({"text": data_uri(corpus)})
    mime, data = decode_data_uri(encoded["weights"])
    assert mime == "application/json"
    weights = json.loads(data)
    assert weights == {"counts": {"cat": 1, "mat": 1, "on": 1, "sat": 1, "the": 2}, "total": 6}
    with example("train", tmp_path, weights=str(trained.weights)) as model:
        score = model.predict({"text": "the cat"})
        expected = math.log(3 / 12) + math.log(2 / 12)
        assert score == {"log_probability": round(expected, 6), "known_words": 2, "unknown_words": 0, "vocabulary": 5}
    with example("train", tmp_path) as untrained:  # no COG_WEIGHTS: the built-in two words
        assert untrained.predict({"text": "hello there"})["vocabulary"] == 2
