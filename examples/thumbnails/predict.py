import tempfile

from PIL import Image

from cog import BasePredictor, Input, Path

SIZES = (256, 128, 64)


class Predictor(BasePredictor):
    def predict(
        self,
        image: Path = Input(description="Image to make thumbnails of"),
        format: str = Input(default="png", choices=["png", "jpeg", "webp"], description="Thumbnail file format"),
    ) -> list[Path]:
        """Return thumbnails whose longer side is 256, 128 and 64 pixels, keeping the aspect ratio."""
        out_dir = Path(tempfile.mkdtemp())
        outputs = []
        with Image.open(image) as img:
            img.load()
            if format == "jpeg" and img.mode != "RGB":
                img = img.convert("RGB")
            for size in SIZES:
                thumb = img.copy()
                thumb.thumbnail((size, size))
                path = out_dir / f"thumbnail-{size}.{'jpg' if format == 'jpeg' else format}"
                thumb.save(path, format=format.upper())
                outputs.append(path)
        return outputs
