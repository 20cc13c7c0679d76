"""The `cog` entry point: version, streams, and the single error boundary."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer

from cog_py._version import __version__
from cog_py.cli import console
from cog_py.cli.main import COMMAND_MODULES, app
from cog_py.errors import CogError, DockerError

from .conftest import CliResult, cog_command


class _ExitsWith3(CogError):
    exit_code = 3


@pytest.fixture
def failing_commands() -> Iterator[None]:
    """Register throwaway commands that fail in each way the boundary handles."""

    def cog_error() -> None:
        raise DockerError("the Docker engine is not running", hint="Start it with: scripts/engine up")

    def no_hint() -> None:
        raise _ExitsWith3("it went wrong")

    def unexpected() -> None:
        raise RuntimeError("boom")

    def silent() -> None:
        raise KeyError()

    def quits() -> None:
        raise typer.Exit(4)

    def interrupted() -> None:
        raise KeyboardInterrupt

    before = list(app.registered_commands)
    for name, fn in [("cog-error", cog_error), ("no-hint", no_hint), ("unexpected", unexpected), ("silent", silent), ("quits", quits),
                     ("interrupted", interrupted)]:
        app.command(name)(fn)
    yield
    app.registered_commands[:] = before


def test_version(cog: Callable[..., CliResult]) -> None:
    result = cog("--version")
    assert (result.code, result.stdout, result.stderr) == (0, f"cog version {__version__}\n", "")


def test_no_arguments_shows_help(cog: Callable[..., CliResult]) -> None:
    result = cog()
    assert result.code == 2
    assert "Usage: cog [OPTIONS] COMMAND [ARGS]..." in result.stdout + result.stderr


def test_unknown_command_is_a_usage_error(cog: Callable[..., CliResult]) -> None:
    result = cog("frobnicate")
    assert result.code == 2
    assert "No such command 'frobnicate'" in result.stderr
    assert result.stdout == ""


@pytest.mark.usefixtures("failing_commands")
def test_cog_error_prints_message_and_hint_and_exits_1(cog: Callable[..., CliResult]) -> None:
    result = cog("cog-error")
    assert result.code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: the Docker engine is not running\nHint: Start it with: scripts/engine up\n"


@pytest.mark.usefixtures("failing_commands")
def test_error_exit_code_comes_from_the_error(cog: Callable[..., CliResult]) -> None:
    result = cog("no-hint")
    assert (result.code, result.stderr) == (3, "Error: it went wrong\n")


@pytest.mark.usefixtures("failing_commands")
def test_unexpected_exception_has_no_traceback_without_debug(cog: Callable[..., CliResult]) -> None:
    result = cog("unexpected")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "Error: boom",
        "Hint: This was not expected. Run the command again with --debug to see the traceback.",
    ]


@pytest.mark.usefixtures("failing_commands")
def test_exception_without_text_is_named(cog: Callable[..., CliResult]) -> None:
    assert cog("silent").stderr.splitlines()[0] == "Error: KeyError"


@pytest.mark.usefixtures("failing_commands")
def test_debug_shows_the_traceback(cog: Callable[..., CliResult]) -> None:
    result = cog("--debug", "unexpected")
    assert result.code == 1
    assert "Traceback (most recent call last):" in result.stderr
    assert 'raise RuntimeError("boom")' in result.stderr
    assert result.stderr.rstrip().splitlines()[-2] == "Error: boom"
    cog_error = cog("--debug", "cog-error")
    assert "Traceback" in cog_error.stderr and "Error: the Docker engine is not running" in cog_error.stderr


@pytest.mark.usefixtures("failing_commands")
def test_typer_exit_code_is_kept(cog: Callable[..., CliResult]) -> None:
    assert cog("quits").code == 4


@pytest.mark.usefixtures("failing_commands")
def test_ctrl_c_in_a_command_says_interrupted_and_exits_130(cog: Callable[..., CliResult]) -> None:
    result = cog("interrupted")
    assert (result.code, result.stdout) == (130, "")
    assert result.stderr.strip() == "Interrupted."


def test_no_color_is_exported_to_child_processes(cog: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "")  # restored (unset) after the test
    monkeypatch.delenv("NO_COLOR")
    assert cog("--no-color", "init", "--help").code == 0
    assert os.environ.get("NO_COLOR") == "1"
    assert console.color_enabled() is False


def test_messages_go_to_stderr_and_results_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    console.info("working")
    console.warn("careful")
    console.success("done")
    console.output("RESULT")
    out = capsys.readouterr()
    assert out.out == "RESULT\n"
    assert out.err == "working\ncareful\ndone\n"


def test_debug_messages_only_with_debug(capsys: pytest.CaptureFixture[str]) -> None:
    console.debug("hidden")
    console.configure(debug=True)
    console.debug("shown")
    assert capsys.readouterr().err == "shown\n"


def test_colour_adds_icons(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "color_enabled", lambda: True)
    console.warn("careful")
    assert "⚠ careful" in capsys.readouterr().err


def test_no_color_env_turns_colour_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("COG_NO_COLOR", raising=False)
    assert console.color_enabled() is True
    monkeypatch.setenv("COG_NO_COLOR", "1")
    assert console.color_enabled() is False


def test_every_command_module_registers_itself() -> None:
    names = {c.name for c in app.registered_commands if c.name} | {g.name for g in app.registered_groups if g.name}
    assert "init" in COMMAND_MODULES
    assert set(COMMAND_MODULES) <= names | {m.replace("_", "-") for m in names}


def test_installed_cog_prints_its_version() -> None:
    result = subprocess.run([*cog_command(), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout == f"cog version {__version__}\n"
    assert result.stderr == ""


def test_installed_cog_reports_errors_on_stderr_with_exit_status_1(tmp_path: Path) -> None:
    readonly = Path("/sys")
    if os.access(readonly, os.W_OK) and not readonly.is_mount():
        pytest.skip("/sys is writable here")
    result = subprocess.run([*cog_command(), "init"], cwd=readonly, capture_output=True, text=True, timeout=60)
    if result.returncode == 0:
        pytest.skip("/sys accepted a write here")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Creating cog.yaml"
    assert lines[1].startswith("Error: cannot write /sys/cog.yaml: ")
    assert lines[2] == "Hint: Run cog init in a directory you can write to."
    assert "Traceback" not in result.stderr


def test_importing_the_cli_stays_light() -> None:
    """`cog --help` must not pay for docker, jinja2, yaml or the server stack."""
    import sys

    code = (
        "import sys, cog_py.cli.main; "
        "print(' '.join(m for m in ('docker', 'jinja2', 'yaml', 'fastapi', 'uvicorn', 'httpx') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == ""
