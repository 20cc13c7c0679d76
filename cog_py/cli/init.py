"""`cog init`: write a starter project (cog.yaml, predict.py, ...) into the current directory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from cog_py.cli import console
from cog_py.errors import CogError

# (file written, template under templates/init/)
INIT_FILES: tuple[tuple[str, str], ...] = (
    ("cog.yaml", "cog.yaml"),
    ("predict.py", "predict.py"),
    ("requirements.txt", "requirements.txt"),
    (".dockerignore", "dockerignore"),
)


@dataclass(frozen=True)
class InitResult:
    created: list[str]
    skipped: list[str]


def init_project(directory: Path) -> InitResult:
    """Write each starter file that does not exist yet in `directory`; never overwrite."""
    from cog_py.templates import templates_dir

    source = templates_dir() / "init"
    created, skipped = [], []
    for name, template in INIT_FILES:
        target = directory / name
        if target.exists() or target.is_symlink():
            console.info(f"Skipped existing {name}")
            skipped.append(name)
            continue
        console.info(f"Creating {name}")
        try:
            target.write_bytes((source / template).read_bytes())
        except OSError as exc:
            raise CogError(
                f"cannot write {target}: {exc.strerror or exc}",
                hint="Run cog init in a directory you can write to.",
            ) from exc
        created.append(name)
    return InitResult(created=created, skipped=skipped)


def init() -> None:
    """Create a starter project in this directory.

    Writes cog.yaml, predict.py, requirements.txt and .dockerignore; a file that already
    exists is left as it is.
    """
    result = init_project(Path.cwd())
    if not result.created:
        console.info("Nothing to do: every file cog init writes already exists, none was changed.")
        return
    console.success('Done! Next: edit predict.py and cog.yaml, then run "cog predict -i name=you".')


def register(app: typer.Typer) -> None:
    app.command("init")(init)
