"""drain() returns only once what was written to fd 1/2 has been routed (no early return)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCRIPT = textwrap.dedent(
    """
    import os
    import subprocess
    from cog_py.worker.capture import Capture

    capture = Capture()
    capture.install()
    report_fd, capture.router.mirror_fd = capture.mirror_fd, None
    got = []
    capture.router.setup_sink = lambda source, text: got.append(text)
    misses = 0
    for i in range(2000):
        got.clear()
        os.write(2 if i % 2 else 1, b"line %d\\n" % i)
        capture.drain(timeout=5)
        misses += "".join(got) != "line %d\\n" % i
    # A child process writing while this thread waits for it: the pump gets the GIL meanwhile
    # and can be in the middle of routing when drain() starts (it used to count that as done).
    for i in range(3000):
        got.clear()
        os.write(1, b"own %d\\n" % i)
        subprocess.run(["sh", "-c", "echo child %d" % i], check=True)
        capture.drain(timeout=5)
        misses += "".join(got) != "own %d\\nchild %d\\n" % (i, i)
    os.write(report_fd, b"misses %d\\n" % misses)
    """
)


def test_drain_waits_for_every_byte_written_to_fd_1_and_2() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == "misses 0"
