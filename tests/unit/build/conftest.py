from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cog_py.config.models import BuildConfig, Config, Mount, RunItem


def make_config(project: Path, *, predict: str | None = "predict.py:Predictor", train: str | None = None,
                environment: tuple[tuple[str, str], ...] = (), concurrency_max: int | None = None,
                image: str | None = None, **build: Any) -> Config:
    build.setdefault("python_version", "3.11")
    if "run" in build:
        build["run"] = tuple(
            RunItem(command=r) if isinstance(r, str)
            else RunItem(command=r[0], mounts=tuple(Mount(id=i, target=t) for i, t in r[1]))
            for r in build["run"]
        )
    return Config(
        build=BuildConfig(**build), predict=predict, train=train, environment=environment,
        concurrency_max=concurrency_max, image=image, project_dir=project, config_path=project / "cog.yaml",
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "cog.yaml").write_text('build:\n  python_version: "3.11"\npredict: "predict.py:Predictor"\n')
    (tmp_path / "predict.py").write_text(
        "from cog import BasePredictor\n\n\nclass Predictor(BasePredictor):\n"
        "    def predict(self, text: str) -> str:\n        return text\n"
    )
    return tmp_path
