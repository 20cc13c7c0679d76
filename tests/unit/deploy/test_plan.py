"""Decisions of `cog deploy`: defaults derived from the model, flags, errors, and facts from image labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cog_py import labels
from cog_py.config.loader import load_config
from cog_py.deploy.facts import ModelFacts, model_facts, object_name, pinned_reference
from cog_py.deploy.plan import DeployError, DeployOptions, make_plan
from cog_py.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def test_grace_covers_pre_stop_and_the_servers_drain() -> None:
    plan = make_plan(ModelFacts(name="m", image="m:1"), DeployOptions(grace_period=120))
    assert plan.drain_seconds == 120
    assert plan.termination_grace > plan.pre_stop_seconds + plan.drain_seconds


def test_gpu_model_scales_with_keda_and_never_to_zero() -> None:
    plan = make_plan(ModelFacts(name="m", image="m:1", gpu=True, slots=4), DeployOptions(min_replicas=1))
    assert plan.autoscaling is not None and plan.autoscaling.query is not None
    assert plan.autoscaling.min_replicas == 1 and plan.autoscaling.threshold == "3.2"
    assert plan.gpu_resource == "nvidia.com/gpu" and plan.startup_failures * 10 >= 1800


def test_queue_raises_the_target_to_all_slots() -> None:
    plan = make_plan(ModelFacts(name="m", image="m:1", gpu=True, slots=2, queue=8), DeployOptions())
    assert plan.autoscaling is not None and plan.autoscaling.threshold == "2"


def test_cpu_model_scales_on_cpu() -> None:
    plan = make_plan(ModelFacts(name="m", image="m:1"), DeployOptions())
    assert plan.autoscaling is not None and plan.autoscaling.cpu_utilization == 70 and plan.gpu_resource is None


def test_fixed_replicas_have_no_autoscaler() -> None:
    plan = make_plan(ModelFacts(name="m", image="m:1"), DeployOptions(replicas=3))
    assert plan.autoscaling is None and plan.replicas == 3


@pytest.mark.parametrize(("options", "message"), [
    (DeployOptions(replicas=2, max_replicas=4), "--replicas fixes the count"),
    (DeployOptions(min_replicas=5, max_replicas=2), "below --min-replicas"),
    (DeployOptions(replicas=0), "--replicas must be at least 1"),
    (DeployOptions(name="My_Model"), "cannot name Kubernetes objects"),
    (DeployOptions(format="helm"), "Unknown format"),
    (DeployOptions(memory="lots"), "not a Kubernetes quantity"),
    (DeployOptions(gpu_type="gpu"), "not an extended resource name"),
    (DeployOptions(namespace="Prod"), "not a valid namespace"),
])
def test_bad_flags_are_refused(options: DeployOptions, message: str) -> None:
    with pytest.raises(DeployError, match=message):
        make_plan(ModelFacts(name="m", image="m:1"), options)


def test_object_names() -> None:
    assert object_name("r8.im/me/My_Model:v1") == "my-model"
    assert object_name("localhost:5000/x/9lives@sha256:abc") == "lives"
    assert object_name("___") == "cog-model"


def test_digest_from_repo_digests() -> None:
    digests = ["other.io/a/b@sha256:1", "reg.io:5000/me/m@sha256:2"]
    assert pinned_reference("reg.io:5000/me/m:v1", digests) == "reg.io:5000/me/m@sha256:2"
    assert pinned_reference("reg.io:5000/me/unpushed", digests) is None


def test_image_labels_say_what_is_baked() -> None:
    config = load_config(cwd=EXAMPLES / "hello-world").config
    baked = {"build": {"gpu": True, "python_version": "3.11"}, "concurrency": {"max": 4, "queue": 16}}
    attrs = {"Config": {"Labels": {labels.COG_CONFIG: json.dumps(baked), labels.COG_OPENAPI_SCHEMA: "{}"}},
             "RepoDigests": ["reg.io/me/hello@sha256:ff"]}
    facts = model_facts(config, image="reg.io/me/hello:latest", attrs=attrs)
    assert (facts.gpu, facts.slots, facts.queue, facts.has_schema) == (True, 4, 16, True)
    assert facts.image == "reg.io/me/hello@sha256:ff" and facts.by_digest and facts.name == "hello"


def test_without_cog_yaml_the_image_alone_is_enough() -> None:
    facts = model_facts(None, image="reg.io/me/m:1", attrs={"Config": {"Labels": {}}, "RepoDigests": []})
    assert facts.image == "reg.io/me/m:1" and not facts.gpu and facts.slots == 1


def test_no_image_at_all_is_an_error() -> None:
    with pytest.raises(ConfigError, match="No image to deploy"):
        model_facts(None)
