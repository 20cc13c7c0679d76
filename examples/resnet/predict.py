import torch
from PIL import Image
from torch import nn

from cog import BaseModel, BasePredictor, Input, Path

LABELS = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
SIZE = 64  # the network sees 64x64 RGB images
SEED = 0   # the weights are generated from this seed: same weights, same answers, everywhere


class Guess(BaseModel):
    label: str
    score: float


class Prediction(BaseModel):
    label: str
    score: float
    device: str
    top_k: list[Guess]


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut, as in ResNet."""

    def __init__(self, channels_in: int, channels_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels_out)
        self.conv2 = nn.Conv2d(channels_out, channels_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or channels_in != channels_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(channels_in, channels_out, 1, stride=stride, bias=False), nn.BatchNorm2d(channels_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return torch.relu(out + self.shortcut(x))


class TinyResNet(nn.Module):
    """A stem, three residual stages (16, 32, 64 channels), global pooling and a classifier."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.stages = nn.Sequential(ResidualBlock(16, 16, 1), ResidualBlock(16, 32, 2), ResidualBlock(32, 64, 2))
        self.head = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))
        return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Predictor(BasePredictor):
    def setup(self) -> None:
        """Build the network with weights generated from a fixed seed, on the GPU when there is one."""
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        torch.manual_seed(SEED)
        self.model = TinyResNet(len(LABELS)).eval().to(self.device)
        self.mean = torch.tensor([0.485, 0.456, 0.406], device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor([0.229, 0.224, 0.225], device=self.device).view(1, 3, 1, 1)

    def _tensor(self, image: Path) -> torch.Tensor:
        with Image.open(image) as img:
            rgb = img.convert("RGB").resize((SIZE, SIZE), Image.Resampling.BILINEAR)
            data = torch.tensor(list(rgb.tobytes()), dtype=torch.uint8)
        pixels = data.view(SIZE, SIZE, 3).permute(2, 0, 1).unsqueeze(0).to(self.device)
        return (pixels.float() / 255.0 - self.mean) / self.std

    def predict(
        self,
        image: Path = Input(description="Image to classify"),
        top_k: int = Input(default=3, ge=1, le=10, description="How many of the best guesses to return"),
    ) -> Prediction:
        """Classify `image` into one of ten CIFAR-10 labels."""
        with torch.inference_mode():
            probabilities = torch.softmax(self.model(self._tensor(image)), dim=1)[0]
            scores, indices = probabilities.float().cpu().topk(top_k)
        guesses = [Guess(label=LABELS[i], score=round(s, 6)) for s, i in zip(scores.tolist(), indices.tolist())]
        return Prediction(label=guesses[0].label, score=guesses[0].score, device=self.device.type, top_k=guesses)
