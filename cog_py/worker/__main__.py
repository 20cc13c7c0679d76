import gc
import os
import sys

# No cyclic garbage collection while the worker imports its own modules (they make only
# long-lived objects; the collections cost ~7% of that start): enabled again before the model is
# imported (Worker._boot).
gc.disable()

# `python -m` put the project directory first on sys.path: a model file named like a stdlib
# module (concurrent.py, logging.py) must not shadow what the worker itself imports. The
# loader puts the project directory back when it imports the model.
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]

from cog_py.worker.runtime import main  # noqa: E402

main()
