"""Where human messages go: the one protocol the layers below the CLI talk to.

The CLI passes its console module (`cog_py.cli.console`); tests pass a recorder. Info is
progress ("Building..."), warn is something the user should look at; the UI decides how each
looks (icon, colour, "Warning:" prefix), so no layer formats a warning as a string prefix.
"""

from __future__ import annotations

from typing import Protocol


class UI(Protocol):
    """Where human messages go (the CLI passes its console module)."""

    def info(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...


class Silent:
    """A UI that shows nothing (tests, library callers that want no messages)."""

    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass
