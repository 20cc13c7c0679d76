"""One real Ray cluster for the whole session (head + one more node, loopback only), Serve on it,
and `deploy()` to put an example model behind Serve's HTTP proxy.

    def test_x(serve_app):
        app = serve_app("hello", EXAMPLES / "hello-world", replicas=2)   # waits until RUNNING
        app.post("/predictions", json={"input": {"text": "a"}})

Applications are deleted at the end of the test that deployed them; the cluster stays up.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from tests.ray.cluster import REPO, Cluster, running_cluster

pytest.importorskip("ray.serve", reason="Ray Serve is not installed: pip install -e '.[test]' (it has ray[serve])")

EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).parent / "fixtures"
TEST_CPUS = 0.25    # per replica: the cluster has 3 CPUs and the tests run a dozen replicas


class ServeApp:
    """One Serve application under test, reached through Serve's HTTP proxy."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = f"{url}/{name}"
        self.client = httpx.Client(base_url=self.url, timeout=60)

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.get(path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.post(path, **kw)

    def put(self, path: str, **kw: Any) -> httpx.Response:
        return self.client.put(path, **kw)


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Cluster]:
    import ray
    from ray import serve

    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"})   # as cluster.ray_env()
    with running_cluster() as cluster:
        ray.init(address=cluster.address, log_to_driver=False, namespace="cog-tests", _node_ip_address="127.0.0.1")
        try:
            serve.start(http_options={"host": "127.0.0.1", "port": cluster.http_port}, proxy_location="HeadOnly")
            yield cluster
        finally:
            with contextlib.suppress(Exception):
                serve.shutdown()
            ray.shutdown()


def deployment_options(**scaling: Any) -> dict[str, Any]:
    from cog_py.ray.options import ModelLimits, Scaling, deployment_options as render

    max_concurrency = scaling.pop("max_concurrency", 1)
    options = render(ModelLimits(max_concurrency=max_concurrency), Scaling(**scaling), shutdown_grace_s=10,
                     num_cpus=TEST_CPUS)
    options.pop("name")
    options["health_check_period_s"] = 2
    return options


@pytest.fixture
def serve_app(ray_cluster: Cluster) -> Iterator[Any]:
    from ray import serve

    from cog_py.ray.app import CogModel

    deployed: list[ServeApp] = []

    def deploy(name: str, project: Path, args: dict[str, Any] | None = None, **scaling: Any) -> ServeApp:
        options = deployment_options(**scaling)
        app = CogModel.options(**options).bind({"project_dir": str(project), **(args or {})})
        serve.run(app, name=name, route_prefix=f"/{name}", blocking=False)
        deployed.append(ServeApp(name, ray_cluster.url))
        return deployed[-1]

    try:
        yield deploy
    finally:
        for app in deployed:
            app.client.close()
            with contextlib.suppress(Exception):
                serve.delete(app.name)
