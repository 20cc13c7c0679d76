"""`cog deploy kubernetes`: golden manifests for a CPU and a GPU example in each format, all of them valid."""

from __future__ import annotations

from pathlib import Path

import pytest

from cog_py.config.loader import load_config
from cog_py.deploy.facts import ModelFacts, model_facts
from cog_py.deploy.manifest import render, to_yaml
from cog_py.deploy.plan import DeployOptions, make_plan
from cog_py.deploy.validate import Crd, load_crd, validate_objects
from tests.golden import assert_golden
from tests.shared_dir import shared_path

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
DIGEST = "sha256:" + "0123456789abcdef" * 4
CRD_FILES = ("keda.sh_scaledobjects.yaml", "monitoring.coreos.com_servicemonitors.yaml",
             "serving.kserve.io_inferenceservices.yaml")


def example_facts(example: str) -> ModelFacts:
    config = load_config(cwd=EXAMPLES / example).config
    image = f"registry.example.com/acme/{example}:v1"
    attrs = {"RepoDigests": [f"registry.example.com/acme/{example}@{DIGEST}"], "Config": {"Labels": {}}}
    return model_facts(config, image=image, attrs=attrs)


@pytest.fixture(scope="module")
def crds() -> list[Crd]:
    return [load_crd(shared_path("reference", "crds", name)) for name in CRD_FILES]


CASES = [("hello-world", "yaml"), ("hello-world", "kserve"), ("resnet", "yaml"), ("resnet", "kserve")]


@pytest.mark.parametrize(("example", "fmt"), CASES)
def test_golden_manifests(example: str, fmt: str) -> None:
    objects = render(make_plan(example_facts(example), DeployOptions(format=fmt)))
    assert_golden(f"deploy/{example}.{'plain' if fmt == 'yaml' else fmt}.yaml", to_yaml(objects))


@pytest.mark.parametrize(("example", "fmt"), CASES)
@pytest.mark.parametrize("variant", [
    DeployOptions(),
    DeployOptions(read_only_root=True, upload_url="https://uploads.example.com/", namespace="models"),
    DeployOptions(replicas=2, run_as_user=0, gpus=2, gpu_type="amd.com/gpu", cpu="500m", memory="1536Mi"),
    DeployOptions(min_replicas=2, max_replicas=10, secret="shared-secrets", grace_period=30, setup_timeout=45),
], ids=["default", "read-only-root", "fixed", "bounds"])
def test_every_object_validates(example: str, fmt: str, variant: DeployOptions, crds: list[Crd]) -> None:
    options = DeployOptions(**{**variant.__dict__, "format": fmt})
    objects = render(make_plan(example_facts(example), options))
    assert validate_objects(objects, crds) == []


def test_golden_read_only_root() -> None:
    options = DeployOptions(read_only_root=True, upload_url="https://uploads.example.com/", replicas=2)
    objects = render(make_plan(example_facts("hello-world"), options))
    assert_golden("deploy/hello-world.read-only-root.yaml", to_yaml(objects))


def test_validation_catches_mistakes(crds: list[Crd]) -> None:
    """The validators are strict: a misspelt field or a wrong type in any kind is reported."""
    objects = render(make_plan(example_facts("resnet"), DeployOptions()))
    kinds = [o["kind"] for o in objects]
    assert kinds == ["Deployment", "Service", "PodDisruptionBudget", "ScaledObject", "ServiceMonitor"]
    objects[0]["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    objects[1]["spec"]["ports"][0]["port"] = "eighty"
    objects[3]["spec"]["minReplicaCount"] = "one"
    objects[4]["spec"]["endpoints"][0]["scrapeEvery"] = "15s"
    problems = validate_objects(objects, crds)
    text = "\n".join(problems)
    assert "'livenessprobe' was unexpected" in text
    assert "Service/resnet" in text and "ScaledObject/resnet: spec.minReplicaCount" in text
    assert "'scrapeEvery' was unexpected" in text
    isvc = render(make_plan(example_facts("resnet"), DeployOptions(format="kserve")))[0]
    isvc["spec"]["predictor"]["autoScaling"]["metrics"][0]["type"] = "Queue"
    isvc["metadata"]["labelz"] = {}
    problems = validate_objects([isvc], crds)
    assert any("autoScaling.metrics.0.type" in p for p in problems)
    assert any("labelz" in p for p in problems)


def test_keda_query_uses_the_servers_metric_names() -> None:
    from cog_py.server import metrics

    objects = render(make_plan(example_facts("resnet"), DeployOptions(namespace="ml")))
    trigger = objects[3]["spec"]["triggers"][0]
    query = trigger["metadata"]["query"]
    exposed = metrics.__doc__ or ""
    for name in ("cog_predictions_in_flight", "cog_prediction_rejections_total"):
        assert name in query and name in exposed
    assert 'namespace="ml",service="resnet"' in query
    assert objects[3]["spec"]["minReplicaCount"] >= 1


@pytest.mark.parametrize("fmt", ["yaml", "kserve"])
def test_pod_honours_the_http_contract(fmt: str) -> None:
    """Port 5000, SIGTERM drains (no --await-explicit-shutdown), the webhook token only by reference."""
    options = DeployOptions(format=fmt, upload_url="https://uploads.example.com/")
    first = render(make_plan(example_facts("hello-world"), options))[0]
    pod = first["spec"]["template"]["spec"] if fmt == "yaml" else first["spec"]["predictor"]
    container = pod["containers"][0]
    assert container["ports"] == [{"name": "http", "containerPort": 5000, "protocol": "TCP"}]
    assert {"name": "PORT", "value": "5000"} in container["env"]
    assert not any("await-explicit-shutdown" in arg for arg in container["args"])
    assert container["args"][-2:] == ["--upload-url", "https://uploads.example.com/"]
    token = next(e for e in container["env"] if e["name"] == "WEBHOOK_AUTH_TOKEN")
    assert "value" not in token and token["valueFrom"]["secretKeyRef"]["name"] == "hello-world-env"
    drain = int(next(e["value"] for e in container["env"] if e["name"] == "COG_SHUTDOWN_GRACE_S"))
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pod["terminationGracePeriodSeconds"] > pre_stop + drain
