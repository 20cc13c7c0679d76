from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cog_py.cli import console
from cog_py.cli.main import main


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture(autouse=True)
def _reset_console() -> Iterator[None]:
    yield
    console.configure(debug=False, no_color=False)


@pytest.fixture
def cog(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run `cog` in this process through main(), the real entry point, and capture its streams."""
    monkeypatch.setenv("COLUMNS", "80")

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


def cog_command() -> list[str]:
    """The installed `cog` console script next to this interpreter (else `python -m`)."""
    script = Path(sys.executable).parent / "cog"
    if script.exists():
        return [str(script)]
    found = shutil.which("cog")
    return [found] if found else [sys.executable, "-m", "cog_py.cli.main"]
