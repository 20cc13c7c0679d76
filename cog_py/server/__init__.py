"""The in-container HTTP server (the parent process): FastAPI/uvicorn, never imports user code.

    python -m cog_py.server [--host H] [--upload-url U] [--await-explicit-shutdown] [--x-mode M]
"""
