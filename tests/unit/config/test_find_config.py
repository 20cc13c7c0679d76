from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.config.loader import find_config, load_config
from cog_py.errors import ConfigError

VALID = "build:\n  python_version: '3.11'\n"


def test_found_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "cog.yaml").write_text(VALID)
    assert find_config(tmp_path) == (tmp_path / "cog.yaml").resolve()


def test_found_in_a_parent_directory(tmp_path: Path) -> None:
    (tmp_path / "cog.yaml").write_text(VALID)
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == (tmp_path / "cog.yaml").resolve()
    loaded = load_config(cwd=deep)
    assert loaded.config.project_dir == tmp_path.resolve()


def test_nearest_one_wins(tmp_path: Path) -> None:
    (tmp_path / "cog.yaml").write_text(VALID)
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "cog.yaml").write_text(VALID)
    assert find_config(tmp_path / "inner") == (tmp_path / "inner" / "cog.yaml").resolve()


def test_other_file_name(tmp_path: Path) -> None:
    (tmp_path / "cog.gpu.yaml").write_text(VALID)
    (tmp_path / "sub").mkdir()
    assert find_config(tmp_path / "sub", "cog.gpu.yaml") == (tmp_path / "cog.gpu.yaml").resolve()


def test_relative_path_with_directories(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "x.yaml").write_text(VALID)
    assert find_config(tmp_path, "configs/x.yaml") == (tmp_path / "configs" / "x.yaml").resolve()


def test_missing_says_where_it_looked_and_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path)
    assert info.value.message == f"cog.yaml not found in {tmp_path} (or in any parent directories)"
    assert info.value.hint is not None and "cog init" in info.value.hint


def test_missing_path_is_not_searched_in_parents(tmp_path: Path) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "x.yaml").write_text(VALID)
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path / "configs", "configs/x.yaml")
    assert info.value.message == f"configs/x.yaml not found in {tmp_path / 'configs'}"
