"""The worker subprocess: imports the user's predictor, runs setup() and the predictions.

It runs in the user's environment, so this package and everything it imports is standard
library only (plus our stdlib-only SDK). Start it as `python -m cog_py.worker`.
"""
