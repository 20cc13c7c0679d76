from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from cog_py.build import wheel


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("COG_PY_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_runtime_wheel_is_built_once_and_reused(cache: Path) -> None:
    said: list[str] = []
    first = wheel.runtime_wheel(said.append)
    mtime = first.stat().st_mtime_ns
    second = wheel.runtime_wheel(said.append)
    assert first == second and second.stat().st_mtime_ns == mtime
    assert len(said) == 1  # "Building ..." only the first time
    assert first.is_relative_to(cache) and first.name == wheel.runtime_wheel_name()


def test_runtime_wheel_contents(cache: Path) -> None:
    with zipfile.ZipFile(wheel.runtime_wheel()) as zf:
        names = zf.namelist()
        assert "cog_py/__init__.py" in names and "cog/__init__.py" in names
        assert any(n.endswith(".dist-info/METADATA") for n in names)
        assert any(n.endswith(".dist-info/RECORD") for n in names)
        assert not any("__pycache__" in n or n.endswith(".pyc") or "/templates/" in n for n in names)
        assert zf.testzip() is None


def test_wheel_bytes_are_reproducible(cache: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a.whl", tmp_path / "b.whl"
    wheel._write_wheel(a)
    wheel._write_wheel(b)
    assert a.read_bytes() == b.read_bytes()


def test_cache_dir_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("COG_PY_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert wheel.cache_dir() == tmp_path / "cog_py"


def test_prebuilt_wheel_from_the_environment(cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from cog_py.errors import BuildError

    given = tmp_path / "cog_py-9-py3-none-any.whl"
    given.write_bytes(b"x")
    monkeypatch.setenv("COG_PY_RUNTIME_WHEEL", str(given))
    assert wheel.runtime_wheel() == given
    monkeypatch.setenv("COG_PY_RUNTIME_WHEEL", str(tmp_path / "missing.whl"))
    with pytest.raises(BuildError, match="COG_PY_RUNTIME_WHEEL: file not found"):
        wheel.runtime_wheel()


def test_server_requirements_match_the_server_extra() -> None:
    """The image's server environment installs what `pip install cog_py[server]` would."""
    import re
    import tomllib

    from cog_py.build.wheel import SERVER_REQUIREMENTS

    pyproject = tomllib.loads((Path(__file__).parents[3] / "pyproject.toml").read_text())
    extra = {re.split(r"[<>=;\s]", req, maxsplit=1)[0] for req in pyproject["project"]["optional-dependencies"]["server"]}
    image = {re.split(r"[<>=;\s]", req, maxsplit=1)[0] for req in SERVER_REQUIREMENTS}
    # pydantic is a core dependency of cog_py, so the extra does not repeat it.
    assert image - {"pydantic"} == extra


def test_runtime_wheel_installs_on_python_3_8(cache: Path) -> None:
    """The runtime (SDK, worker) goes into the model's Python, which may be 3.8."""
    with zipfile.ZipFile(wheel.runtime_wheel()) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        assert "Requires-Python: >=3.8\n" in zf.read(meta).decode()


def _fake_wheel(directory: Path, name: str, requires: list[str]) -> None:
    with zipfile.ZipFile(directory / f"{name}-1.0-py3-none-any.whl", "w") as zf:
        lines = [f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0"] + [f"Requires-Dist: {r}" for r in requires]
        zf.writestr(f"{name}-1.0.dist-info/METADATA", "\n".join(lines) + "\n\nlong description\nRequires-Dist: no\n")


def test_dependencies_are_resolved_for_the_target_python_not_the_host(tmp_path: Path) -> None:
    """pip download evaluates markers on the host's Python: anyio's `exceptiongroup; python_version
    < "3.11"` was missing from images of Python 3.8-3.10."""
    _fake_wheel(tmp_path, "anyio", ['exceptiongroup>=1.0.2; python_version < "3.11"', "idna>=2.8",
                                    'typing_extensions>=4.5; python_version < "3.13"', 'trio>=0.26; extra == "trio"'])
    _fake_wheel(tmp_path, "idna", [])
    assert wheel.missing_requirements(tmp_path, "3.9") == ["exceptiongroup>=1.0.2", "typing_extensions>=4.5"]
    assert wheel.missing_requirements(tmp_path, "3.12") == ["typing_extensions>=4.5"]
    assert wheel.missing_requirements(tmp_path, "3.13") == []
