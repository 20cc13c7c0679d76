"""The pod `cog deploy kubernetes` renders, run on the engine: same command, env, user, security, limits.

A small sleep predictor is built with `cog build` under a unique name; its Deployment
(read-only root, an upload URL, a webhook token from a Secret) is translated by
cog_py.deploy.local and run with host networking. The probes run on the manifest's schedule,
the autoscaler's gauge moves under load, and the preStop + SIGTERM + grace flow lets an
in-flight prediction finish before the container exits 0.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import yaml

from cog_py.deploy.local import local_pod
from tests.integration.cli_support import make_project, run_cog
from tests.integration.conftest import Registry
from tests.integration.pod_support import free_port, http_call, metric, probe_once, run_probe, running_pod, stop_pod

pytestmark = [pytest.mark.engine, pytest.mark.slow]

SLEEPER = """
import os
import time

from cog import BasePredictor, Input


class Predictor(BasePredictor):
    def setup(self) -> None:
        time.sleep(2)   # a setup() that takes a while: the startup probe must wait for it

    def predict(self, seconds: float = Input(description="how long to work", default=1.0)) -> str:
        time.sleep(seconds)
        return f"slept {seconds} as {os.getuid()}"
"""
SECRET = {"sleeper-env": {"WEBHOOK_AUTH_TOKEN": "t0k3n", "COG_LOG_LEVEL": "debug"}}


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory, engine: docker.DockerClient, base_image_311: str) -> Iterator[str]:
    project = make_project(tmp_path_factory.mktemp("deploy"), "sleeper", SLEEPER)
    tag = f"cog-py-test-deploy-{uuid.uuid4().hex[:8]}:v1"
    built = run_cog(project, "build", "-t", tag)
    assert built.returncode == 0, built.stderr[-3000:]
    try:
        yield tag
    finally:
        try:
            engine.images.remove(tag, force=True)
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass


def test_rendered_pod_runs_probes_scales_and_drains(image: str, engine: docker.DockerClient, tmp_path: Path) -> None:
    rendered = run_cog(tmp_path, "deploy", "kubernetes", image, "--name", "sleeper", "--read-only-root",
                       "--upload-url", "http://127.0.0.1:9/uploads/", "--cpu", "1", "--memory", "1Gi",
                       "--grace-period", "60", "-o", str(tmp_path / "manifests"))
    assert rendered.returncode == 0, rendered.stderr
    deployment = yaml.safe_load((tmp_path / "manifests" / "deployment.yaml").read_text())
    pod_spec = deployment["spec"]["template"]["spec"]
    container_spec = pod_spec["containers"][0]
    assert container_spec["image"] == image   # local only: no digest to pin
    pod = local_pod(pod_spec, secrets=SECRET, host_port=free_port())

    with running_pod(engine, pod, f"cog-py-test-sleeper-{uuid.uuid4().hex[:8]}") as container:
        # The engine runs what the manifest says.
        container.reload()
        host = container.attrs["HostConfig"]
        assert container.attrs["Config"]["User"] == "1000:1000"
        assert container.attrs["Config"]["Cmd"] == container_spec["args"]
        assert host["ReadonlyRootfs"] is True and host["CapDrop"] == ["ALL"]
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert host["Memory"] == 2**30 and host["NanoCpus"] == 10**9
        assert set(host["Tmpfs"]) == {"/tmp", "/var/cache/cog", "/var/run/cog"}
        env = dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])
        assert env["WEBHOOK_AUTH_TOKEN"] == "t0k3n" and env["COG_SHUTDOWN_GRACE_S"] == "60"

        # Probes on the manifest's schedule: startup first, then readiness and liveness.
        started, runs = run_probe(pod.probes["startupProbe"])
        assert started, container.logs()[-3000:].decode(errors="replace")
        assert probe_once(pod.probes["readinessProbe"]) and probe_once(pod.probes["livenessProbe"])

        # The gauge KEDA reads moves under load.
        assert metric(pod.port, "cog_predictions_in_flight") == 0
        answer: dict[str, object] = {}

        def predict() -> None:
            status, body = http_call(pod.port, "POST", "/predictions",
                                     json.dumps({"input": {"seconds": 12.5}}).encode(), timeout=300)
            answer.update(status=status, body=json.loads(body or b"{}"))

        worker = threading.Thread(target=predict)
        worker.start()
        deadline = time.monotonic() + 60
        while metric(pod.port, "cog_predictions_in_flight") != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert metric(pod.port, "cog_predictions_in_flight") == 1

        # preStop, SIGTERM, grace: readiness turns 503 (no new work), the in-flight prediction
        # finishes, and the server exits 0.
        codes: list[int] = []
        stopper = threading.Thread(target=lambda: codes.append(stop_pod(container, pod)))
        stopper.start()
        not_ready = False
        while stopper.is_alive() and not not_ready:
            not_ready = http_call(pod.port, "GET", "/readyz")[0] == 503
            time.sleep(0.2)
        stopper.join(timeout=pod.grace_seconds + 60)
        worker.join(timeout=120)
        assert not_ready, "readiness never turned 503 while the server drained"
        code = codes[0]
        assert answer.get("status") == 200, (answer, container.logs()[-3000:])
        body = answer["body"]
        assert isinstance(body, dict) and body["status"] == "succeeded" and body["output"] == "slept 12.5 as 1000"
        logs = container.logs().decode(errors="replace")
        assert "waiting for 1 prediction(s)" in logs, logs[-3000:]   # SIGTERM came while it ran
        assert code == 0, logs[-3000:]


def test_kserve_predictor_container_runs_the_same_way(image: str, engine: docker.DockerClient, tmp_path: Path) -> None:
    rendered = run_cog(tmp_path, "deploy", "kubernetes", image, "--format", "kserve", "--name", "sleeper",
                       "--memory", "1Gi", "--grace-period", "30")
    assert rendered.returncode == 0, rendered.stderr
    isvc = next(d for d in yaml.safe_load_all(rendered.stdout) if d["kind"] == "InferenceService")
    pod = local_pod(isvc["spec"]["predictor"], host_port=free_port())
    with running_pod(engine, pod, f"cog-py-test-sleeper-{uuid.uuid4().hex[:8]}") as container:
        started, _ = run_probe(pod.probes["startupProbe"])
        assert started, container.logs()[-3000:].decode(errors="replace")
        assert probe_once(pod.probes["readinessProbe"]) and probe_once(pod.probes["livenessProbe"])
        status, body = http_call(pod.port, "POST", "/predictions", b'{"input": {"seconds": 0.5}}', timeout=120)
        assert status == 200 and json.loads(body)["output"] == "slept 0.5 as 1000"
        assert stop_pod(container, pod) == 0


def test_pushed_image_is_deployed_by_digest(image: str, engine: docker.DockerClient, registry: Registry,
                                            tmp_path: Path) -> None:
    """After a push the engine knows the image's RepoDigests: the manifests pin that digest."""
    repository = f"{registry.open_url}/cog-py-test/sleeper-{uuid.uuid4().hex[:8]}"
    engine.images.get(image).tag(repository, "v1")
    try:
        for _ in engine.images.push(repository, "v1", stream=True, decode=True):
            pass
        digests = engine.images.get(f"{repository}:v1").attrs["RepoDigests"]
        pinned = next(d for d in digests if d.startswith(repository + "@"))
        rendered = run_cog(tmp_path, "deploy", "kubernetes", f"{repository}:v1")
        assert rendered.returncode == 0, rendered.stderr
        deployment = next(d for d in yaml.safe_load_all(rendered.stdout) if d["kind"] == "Deployment")
        assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == pinned
        assert deployment["metadata"]["name"].startswith("sleeper-")
        assert "by tag" not in rendered.stderr and "no run.cog.openapi_schema" not in rendered.stderr
    finally:
        try:
            engine.images.remove(f"{repository}:v1")
        except (docker.errors.ImageNotFound, docker.errors.APIError):
            pass
