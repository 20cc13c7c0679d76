import os
import sys

# `python -m` put the project directory first on sys.path: a model file named like a stdlib
# module (concurrent.py, logging.py) must not shadow what the worker itself imports. The
# loader puts the project directory back when it imports the model.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from cog_py.worker.runtime import main  # noqa: E402

main()
