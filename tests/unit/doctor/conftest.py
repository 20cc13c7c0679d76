"""The in-process `cog` runner of the CLI tests, for `cog doctor`."""

from tests.unit.cli.conftest import _reset_console, cog  # noqa: F401 - fixtures
