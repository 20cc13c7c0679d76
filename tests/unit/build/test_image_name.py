from __future__ import annotations

from pathlib import Path

from cog_py.build.image import image_name
from tests.unit.build.conftest import make_config


def test_tag_then_image_then_directory(tmp_path: Path) -> None:
    project = tmp_path / "My Model_v2!"
    project.mkdir()
    assert image_name(make_config(project), "x/y:1") == "x/y:1"
    assert image_name(make_config(project, image="registry.local/m")) == "registry.local/m"
    assert image_name(make_config(project)) == "cog-my-modelv2"


def test_generated_name_is_at_most_30_characters(tmp_path: Path) -> None:
    project = tmp_path / ("a" * 50)
    project.mkdir()
    name = image_name(make_config(project))
    assert name == "cog-" + "a" * 26 and len(name) == 30
