"""The modules `execute.Executor` needs, imported in one go before the user's code is loaded.

The model's directory goes first on sys.path when its predictor is imported; a model file named
like a standard-library module (`concurrent.py`, `queue.py`) would then shadow what these
modules import later. Importing them here, at boot, settles that.
"""

import concurrent.futures  # noqa: F401  (coerce's parallel downloads)

from cog_py.predictor import coerce, encode  # noqa: F401
from cog_py.worker import download, files  # noqa: F401
