"""`--help` of `cog` and of every registered command is golden (tests/golden/help/)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cog_py.cli.main import app

from .conftest import CliResult

COMMANDS = sorted(c.name for c in app.registered_commands if c.name and not c.hidden)


def test_root_help(cog: Callable[..., CliResult]) -> None:
    from tests.golden import assert_golden

    result = cog("--help")
    assert result.code == 0 and result.stderr == ""
    assert_golden("help/cog.txt", result.stdout)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_help(cog: Callable[..., CliResult], name: str) -> None:
    from tests.golden import assert_golden

    result = cog(name, "--help")
    assert result.code == 0 and result.stderr == ""
    assert_golden(f"help/{name}.txt", result.stdout)


def test_short_help_flag(cog: Callable[..., CliResult]) -> None:
    assert cog("-h").stdout == cog("--help").stdout
