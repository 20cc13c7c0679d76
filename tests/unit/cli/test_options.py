"""Shared command options: -f/--file and reading the config with its warnings printed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cog_py.cli.main import app
from cog_py.cli.options import ConfigFileOption, read_config

from .conftest import CliResult


@pytest.fixture
def show_command() -> Iterator[None]:
    def show(file: ConfigFileOption = "cog.yaml") -> None:
        from cog_py.cli import console

        console.output(read_config(file).build.python_version)

    before = list(app.registered_commands)
    app.command("show-config")(show)
    yield
    app.registered_commands[:] = before


@pytest.mark.usefixtures("show_command")
def test_config_is_found_and_warnings_go_to_stderr(
    cog: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cog.yaml").write_text("build:\n  python_version: '3.12'\n  python_packages: [numpy]\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = cog("show-config")
    assert (result.code, result.stdout) == (0, "3.12\n")
    assert result.stderr == 'cog.yaml:3: deprecated field "build.python_packages": use "build.python_requirements" instead\n'


@pytest.mark.usefixtures("show_command")
@pytest.mark.parametrize("flag", ["-f", "--file"])
def test_file_option_names_another_config(
    cog: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: str
) -> None:
    (tmp_path / "cog.yaml").write_text("build:\n  python_version: '3.12'\n")
    (tmp_path / "cog.gpu.yaml").write_text("build:\n  python_version: '3.13'\n  gpu: true\n")
    monkeypatch.chdir(tmp_path)
    assert cog("show-config", flag, "cog.gpu.yaml").stdout == "3.13\n"


@pytest.mark.usefixtures("show_command")
def test_missing_config_is_an_error_with_a_hint(
    cog: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = cog("show-config")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        f"Error: cog.yaml not found in {tmp_path} (or in any parent directories)",
        'Hint: Run "cog init" to create one, or name another file with -f/--file.',
    ]


@pytest.mark.usefixtures("show_command")
def test_invalid_config_prints_every_line(
    cog: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cog.yaml").write_text("build:\n  python_version: 3.10\n  gpu: 2\n")
    monkeypatch.chdir(tmp_path)
    result = cog("show-config")
    assert result.code == 1
    assert result.stderr.splitlines()[:2] == [
        'Error: cog.yaml:2: build.python_version: YAML reads 3.10 as the number 3.1: quote it, python_version: "3.10"',
        "cog.yaml:3: build.gpu: must be a boolean (true or false), got number 2",
    ]


@pytest.mark.parametrize("command", ["build", "predict", "serve", "push"])
@pytest.mark.parametrize("spelling,noted", [("--use-cog-base-image", True), ("--use-cog-base-image=true", True),
                                             ("--use-cog-base-image=false", False), ("--no-use-cog-base-image", False)])
def test_use_cog_base_image_is_accepted_and_explained(
    cog: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, spelling: str,
    noted: bool,
) -> None:
    monkeypatch.chdir(tmp_path)   # no cog.yaml: the command goes on and stops at the config
    result = cog(command, spelling)
    assert ("cog_py builds its own base layers" in result.stderr) is noted
    assert "cog.yaml not found" in result.stderr and result.code == 1


def test_use_cog_base_image_spelling_is_only_rewritten_for_commands_that_take_it() -> None:
    from cog_py.cli.options import normalise_bool_options

    assert normalise_bool_options(["--debug", "build", "--use-cog-base-image=FALSE"]) == [
        "--debug", "build", "--no-use-cog-base-image"]
    exec_args = ["exec", "prog", "--use-cog-base-image=true"]
    assert normalise_bool_options(exec_args) == exec_args
    assert normalise_bool_options(["predict", "--", "--use-cog-base-image=true"]) == [
        "predict", "--", "--use-cog-base-image=true"]
