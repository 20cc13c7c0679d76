"""`python -m cog.server.http`, the command Cog images run, kept so tooling written for Cog works.

Standard library only: it runs under the user's interpreter. When the image keeps the server's
own dependencies in a separate environment (`COG_SERVER_PYTHON`), it execs that interpreter;
otherwise it runs the server in this process.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    server_python = os.environ.get("COG_SERVER_PYTHON")
    # Compare the paths as given: a venv's python is a symlink to the base interpreter, so
    # resolving links would make the server venv look like this interpreter.
    if server_python and os.path.abspath(server_python) != os.path.abspath(sys.executable):
        # The worker must run with the user's interpreter, which is this one.
        os.environ.setdefault("COG_WORKER_PYTHON", sys.executable)
        # glibc reads these at start: no large allocation returned to the kernel and mapped
        # again per request (see cog_py/server/spawn.py, MALLOC_ENV).
        os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
        os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", str(4 << 20))
        os.execv(server_python, [server_python, "-m", "cog_py.server", *sys.argv[1:]])
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]   # the model's directory: its files must not shadow the server's modules
    from cog_py.server.__main__ import main as server_main

    sys.exit(server_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
