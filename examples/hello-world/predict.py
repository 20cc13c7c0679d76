from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def predict(self, text: str = Input(description="Who or what to greet")) -> str:
        """Greet `text`."""
        return "hello " + text
