from cog import BasePredictor, Path, BaseModel


class Output(BaseModel):
    image: Path
    caption: str


class Predictor(BasePredictor):
    def predict(self, image: Path) -> Output:
        return Output(image=image, caption="a picture")
