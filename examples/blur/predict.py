import tempfile

from PIL import Image, ImageFilter

from cog import BasePredictor, Input, Path


class Predictor(BasePredictor):
    def predict(
        self,
        image: Path = Input(description="Image to blur"),
        radius: float = Input(default=2, ge=0, le=20, description="Gaussian blur radius, in pixels"),
    ) -> Path:
        """Blur `image` with a Gaussian filter and return it as a PNG."""
        out = Path(tempfile.mkdtemp()) / "blurred.png"
        with Image.open(image) as img:
            if img.mode not in ("RGB", "RGBA", "L"):
                img = img.convert("RGBA")
            img.filter(ImageFilter.GaussianBlur(radius)).save(out, format="PNG")
        return out
