"""A predictor written for cog 0.16."""
import warnings

from cog import BasePredictor, Input  # the SDK


class Predictor(BasePredictor):
    def predict(self, text: str = Input(description="Text")) -> str:
        return text.upper()
