import asyncio
import time

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    async def setup(self) -> None:
        """Async setup runs on the same event loop as the predictions."""
        await asyncio.sleep(0)
        self.running = 0  # predictions share one event loop: no lock needed between awaits
        self.most_at_once = 0

    async def predict(
        self,
        name: str = Input(default="world", description="Who to greet"),
        seconds: float = Input(default=1.0, ge=0, le=30, description="How long to wait (without blocking) first"),
    ) -> str:
        """Wait `seconds` with asyncio.sleep, so other predictions run meanwhile, then greet."""
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        started = time.monotonic()
        try:
            await asyncio.sleep(seconds)
        finally:
            self.running -= 1
        waited = time.monotonic() - started
        return f"hello {name} (waited {waited:.1f}s, {self.most_at_once} at once so far)"
