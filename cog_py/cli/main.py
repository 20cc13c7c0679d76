"""The `cog` command: global options, command registration, and the one error boundary.

Each command lives in `cog_py/cli/<name>.py` and exposes `register(app: typer.Typer) -> None`;
add its name to COMMAND_MODULES. Command modules import only typer and our light modules at
their top (heavy libraries such as docker or jinja2 inside the command body), so that
`cog --help` stays fast.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated

import typer

from cog_py._version import __version__
from cog_py.cli import console
from cog_py.cli.options import normalise_bool_options
from cog_py.errors import CogError

INTERRUPTED = 130  # the exit status after Ctrl-C (128 + SIGINT)

COMMAND_MODULES = ["init", "build", "debug", "predict", "train", "serve", "exec", "push", "login", "deploy",
                   "playground", "doctor"]

app = typer.Typer(
    name="cog",
    help="Containers for machine learning: package a model as a production-ready container.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        console.output(f"cog version {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version, help="Show the version and exit."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show debugging output and tracebacks.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Do not use colour in output.")] = False,
) -> None:
    console.configure(debug=debug, no_color=no_color)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"cog_py.cli.{name}").register(app)


_register_commands()


def main(argv: Sequence[str] | None = None) -> int:
    """Run `cog` with `argv` (default: sys.argv[1:]); return the exit status.

    Without `argv` this is the process's entry point (the `cog` script, `python -m`): the process
    ends after it returns, so what it allocated is frozen for the garbage collector (`_exiting`).
    """
    code = _main(argv)
    if argv is None:
        _exiting()
    return code


def _exiting() -> None:
    """Spare the interpreter's last full garbage collection at exit: it walks every object the
    command left (pydantic's schemas, typer's, ours), 25-70 ms on this machine after a build, to
    free memory the process gives back anyway. Cyclic garbage of the command's last moments is
    collected first (the young generations); all else is freed at exit as before."""
    gc.collect(1)
    gc.freeze()


def _main(argv: Sequence[str] | None) -> int:
    args = normalise_bool_options(list(sys.argv[1:] if argv is None else argv))
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="cog", standalone_mode=False)
    except CogError as err:
        _show_traceback(args)
        console.error(f"Error: {err.message}")
        if err.hint:
            console.hint(err.hint)
        return err.exit_code
    except typer.Abort:
        console.error("Aborted.")
        return INTERRUPTED
    except typer.TyperException as exc:  # usage errors: typer prints them with the usage line
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            console.error(f"Error: {exc.format_message()}")
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("Interrupted.")
        return INTERRUPTED
    except BrokenPipeError:  # `cog ... | head`: the reader left; stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        _show_traceback(args)
        console.error(f"Error: {str(exc) or type(exc).__name__}")
        console.hint("This was not expected. Run the command again with --debug to see the traceback.")
        return 1
    if result == INTERRUPTED:
        # typer turns a KeyboardInterrupt inside a command into Exit(130), which click returns in
        # non-standalone mode, so the except clause above never sees it. Exit status 130 means
        # "interrupted by SIGINT" by convention, and no command of ours exits with it otherwise.
        console.error("Interrupted.")
    return result if isinstance(result, int) else 0


def _show_traceback(args: list[str]) -> None:
    if console.debug_enabled() or "--debug" in args:
        traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
