"""Serving a cog_py model on Ray Serve (the optional `ray` extra: `pip install 'cog_py[ray]'`).

Each Serve replica runs the container server's own ASGI app (runner + worker supervisor, see
cog_py/server/app.py) in-process, and owns one worker subprocess in the model's Python
(`COG_WORKER_PYTHON`), exactly as in the container; Serve's HTTP proxy forwards the raw ASGI
request to it, so validation and responses are the container's, byte for byte.

- options.py   cog.yaml + flags -> Serve deployment options (pure; no Ray import)
- ingress.py   the per-replica ASGI wrapper: replica header, setup gating, graceful drain (no Ray)
- app.py       the Serve deployment and the application builder (`cog_py.ray.app:build_app`)
- deploy.py    `cog deploy ray`: a Serve config file and a KubeRay RayService manifest
- local.py     `cog serve --ray`: the model on a local Ray instance

Only app.py and local.py import Ray; nothing outside this package imports either.
"""

# The Ray release the generated configs, images (`cog build --with-ray`) and tests are made for.
RAY_VERSION = "2.60.0"
