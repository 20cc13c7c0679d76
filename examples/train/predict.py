import json
import math
import urllib.request

from cog import BaseModel, BasePredictor, Input, Path
from train import words

# Used when no trained weights are given.
DEFAULT_WEIGHTS = {"counts": {"hello": 2, "world": 1}, "total": 3}


class Score(BaseModel):
    log_probability: float
    known_words: int
    unknown_words: int
    vocabulary: int


class Predictor(BasePredictor):
    def setup(self, weights: Path | None = None) -> None:
        """Load the weights `cog train` produced (COG_WEIGHTS: a path or a URL), or the defaults."""
        if weights is None:
            model = DEFAULT_WEIGHTS
        elif str(weights).startswith(("http://", "https://", "data:")):
            with urllib.request.urlopen(str(weights)) as response:
                model = json.load(response)
        else:
            model = json.loads(Path(weights).read_text(encoding="utf-8"))
        self.counts: dict[str, int] = model["counts"]
        self.total: int = model["total"]

    def predict(self, text: str = Input(description="Text to score under the trained word model")) -> Score:
        """Return the log-probability of `text` under the unigram model (add-one smoothing)."""
        tokens = words(text)
        size = len(self.counts) + 1  # one slot for unknown words
        logp = sum(math.log((self.counts.get(t, 0) + 1) / (self.total + size)) for t in tokens)
        known = sum(1 for t in tokens if t in self.counts)
        return Score(
            log_probability=round(logp, 6),
            known_words=known,
            unknown_words=len(tokens) - known,
            vocabulary=len(self.counts),
        )
