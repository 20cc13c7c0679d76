# Prediction interface for cog_py.
# Inputs are the typed parameters of predict(); the return annotation is the output type.

from cog import BasePredictor, Input, Path


class Predictor(BasePredictor):
    def setup(self) -> None:
        """Load the model into memory once, so that predictions are fast."""
        # self.model = torch.load("./weights.pth")
        self.greeting = "hello"

    def predict(
        self,
        name: str = Input(description="Who to greet", default="world"),
        excitement: int = Input(description="How many exclamation marks", ge=0, le=10, default=1),
    ) -> str:
        """Run a single prediction on the model."""
        # Files come in and go out as Path: declare `image: Path = Input(...)` to take one,
        # annotate `-> Path` and return Path("output.png") after writing it to give one back.
        return f"{self.greeting}, {name}" + "!" * excitement
