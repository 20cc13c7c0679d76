"""The process entry point freezes what the command allocated before the interpreter exits (its
last full garbage collection is skipped); an in-process call (tests, argv given) does not."""

from __future__ import annotations

import subprocess
import sys

PROBE = ("import gc, sys; from cog_py.cli.main import main; sys.argv = ['cog', '--version']; "
         "code = main({argv}); print(code, gc.get_freeze_count() > 0)")


def test_the_process_entry_point_freezes_before_exit() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv="")], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.splitlines()[-1] == "0 True"


def test_an_in_process_call_leaves_the_collector_alone() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv="['--version']")], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    assert out.splitlines()[-1] == "0 False"
