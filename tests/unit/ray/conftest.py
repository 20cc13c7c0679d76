from tests.unit.cli.conftest import _reset_console, cog  # noqa: F401 - the CLI fixtures, shared
