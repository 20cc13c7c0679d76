import json
import re
import tempfile

from cog import BaseModel, Input, Path


class TrainingOutput(BaseModel):
    weights: Path


def words(text: str) -> list[str]:
    """Split text into lowercase words (the model's tokens)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def train(
    text: Path = Input(description="Training text: a UTF-8 text file"),
    min_count: int = Input(default=1, ge=1, description="Ignore words seen fewer times than this"),
) -> TrainingOutput:
    """Count the words of `text` into a unigram language model, written as JSON weights."""
    counts: dict[str, int] = {}
    for word in words(Path(text).read_text(encoding="utf-8")):
        counts[word] = counts.get(word, 0) + 1
    kept = {w: n for w, n in sorted(counts.items()) if n >= min_count}
    out = Path(tempfile.mkdtemp()) / "weights.json"
    out.write_text(json.dumps({"counts": kept, "total": sum(kept.values())}, indent=1))
    return TrainingOutput(weights=out)
