"""`cog doctor [--fix]`: check the project for problems a build or Cog would hit (experimental)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cog_py.cli import console
from cog_py.cli.options import DEFAULT_CONFIG_FILE, ConfigFileOption

HELP = """Check the project for problems before a slow build finds them (experimental).

Reads cog.yaml and the model's source (nothing is imported or built) and this machine's Python, Docker engine and GPU driver. Exits 1 when an error remains, 0 with warnings only. COG_SKIP_DOCKER_CHECK, COG_SKIP_GPU_CHECK and COG_SKIP_PYTHON_CHECK switch the machine checks off.
"""


def doctor(
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe fixes (only the affected lines change), then check again.")] = False,
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
) -> None:
    from cog_py.doctor.diagnose import fix_project, run_checks
    from cog_py.doctor.load import load_project
    from cog_py.doctor.report import EXPERIMENTAL, exit_code, render_results, summary

    console.warn(EXPERIMENTAL)
    console.info("Running cog doctor --fix..." if fix else "Running cog doctor...")
    cwd = Path.cwd()
    fixed = 0
    if fix:
        run = fix_project(cwd, file, console.info)
        fixed = len(run.fixed)
        for finding, reason in run.failed:
            console.warn(f"Not fixed: {finding.message} ({finding.where}): {reason}")
    results = run_checks(load_project(cwd, file))
    for line in render_results(results, fixing=fix):
        typer.echo(line, err=True)
    typer.echo("", err=True)
    if fix:
        console.info(f"Fixed {fixed} issue(s).")
    line, ok = summary(results)
    (console.success if ok else console.error)(line)
    code = exit_code(results)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("doctor", help=HELP, short_help="Check the project for problems (experimental).")(doctor)
