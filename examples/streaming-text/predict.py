import time
from collections import Counter, defaultdict

from cog import BasePredictor, ConcatenateIterator, Input, streaming

# The training text of our tiny bigram language model.
CORPUS = """
the model reads the prompt and writes the next word . the next word comes from the words
that followed the last word in the text it has seen . a model that has seen little text
writes little that is new , but it writes it one word at a time , and each word is sent
to the client as soon as it is ready . that is what streaming means : the client sees the
first words before the last word is written .
"""


class Predictor(BasePredictor):
    def setup(self) -> None:
        """Count which word follows which in the corpus."""
        words = CORPUS.split()
        followers: dict[str, Counter[str]] = defaultdict(Counter)
        for current, following in zip(words, words[1:]):
            followers[current][following] += 1
        self.followers = followers
        self.start = words[0]

    def _next(self, word: str, seen: Counter[tuple[str, str]]) -> str:
        """The most frequent follower of `word`, preferring pairs used least so far (ties: alphabetical)."""
        candidates = self.followers.get(word) or self.followers[self.start]
        return min(candidates, key=lambda w: (seen[(word, w)], -candidates[w], w))

    @streaming
    def predict(
        self,
        prompt: str = Input(description="Text to continue"),
        max_tokens: int = Input(default=12, ge=1, le=256, description="How many words to generate"),
        delay: float = Input(default=0.05, ge=0, le=2, description="Seconds to wait before each word"),
    ) -> ConcatenateIterator[str]:
        """Continue `prompt` word by word, yielding each word as soon as it is chosen."""
        words = prompt.lower().split()
        word = words[-1] if words else self.start
        seen: Counter[tuple[str, str]] = Counter()
        for _ in range(max_tokens):
            following = self._next(word, seen)
            seen[(word, following)] += 1
            word = following
            time.sleep(delay)
            yield " " + word
