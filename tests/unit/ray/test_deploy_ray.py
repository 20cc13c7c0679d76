"""`cog deploy ray`: golden files, the RayService against KubeRay's CRD, the Serve config against
Ray's own schema (when Ray is installed), and the options derived from cog.yaml and flags."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from cog_py.errors import RayError
from cog_py.ray.deploy import RayTarget, dns_name, render
from cog_py.ray.options import ModelLimits, Scaling, deployment_options
from tests.golden import assert_golden
from tests.unit.cli.conftest import CliResult

REPO = Path(__file__).resolve().parents[3]
EXAMPLES = REPO / "examples"


def shared_dir() -> Path | None:
    """The project's shared reference material: <repo>/../shared, else $COG_SHARED_DIR."""
    for candidate in (REPO.parent / "shared", Path(os.environ.get("COG_SHARED_DIR", "/nonexistent"))):
        if (candidate / "reference").is_dir():
            return candidate
    return None


@functools.cache
def _crd_schema(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # the CRD is large: libyaml when present
    crd = yaml.load(path.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def rayservice_crd_schema() -> dict[str, Any]:
    shared = shared_dir()
    path = shared / "reference" / "crds" / "ray.io_rayservices.yaml" if shared else None
    if path is None or not path.is_file():
        pytest.skip("KubeRay's RayService CRD is not at <repo>/../shared/reference/crds/ray.io_rayservices.yaml "
                    "nor under $COG_SHARED_DIR/reference/crds/")
    return _crd_schema(path)


TARGETS = {
    "fixed": RayTarget(name="hello", image="registry.example.com/me/hello:1", limits=ModelLimits(),
                       scaling=Scaling(replicas=2)),
    "autoscaling-gpu": RayTarget(name="resnet", image="r8.im/me/resnet@sha256:" + "a" * 64,
                                 limits=ModelLimits(max_concurrency=4, max_queued=16, gpu=True),
                                 scaling=Scaling(min_replicas=0, max_replicas=8, target_ongoing=2.0,
                                                 upscale_delay_s=10, downscale_delay_s=120)),
}


@pytest.mark.parametrize("case", sorted(TARGETS))
def test_golden_files(case: str) -> None:
    for filename, text in render(TARGETS[case]).items():
        assert_golden(f"ray/{case}.{filename}", text)


@pytest.mark.parametrize("case", sorted(TARGETS))
def test_rayservice_validates_against_kuberay_crd(case: str) -> None:
    import jsonschema

    schema = rayservice_crd_schema()
    manifest = yaml.safe_load(render(TARGETS[case])["rayservice.yaml"])
    jsonschema.validate(manifest, schema)
    # ...and the check can fail: a worker group without its required fields is refused.
    broken = yaml.safe_load(render(TARGETS[case])["rayservice.yaml"])
    del broken["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["minReplicas"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("case", sorted(TARGETS))
def test_serve_config_is_valid_for_ray_serve(case: str) -> None:
    schema = pytest.importorskip("ray.serve.schema", reason="Ray Serve is not installed")
    files = render(TARGETS[case])
    schema.ServeDeploySchema.model_validate(yaml.safe_load(files["serve-config.yaml"]))
    embedded = yaml.safe_load(yaml.safe_load(files["rayservice.yaml"])["spec"]["serveConfigV2"])
    schema.ServeDeploySchema.model_validate(embedded)


def test_options_from_config_and_flags() -> None:
    fixed = deployment_options(ModelLimits(max_concurrency=3), Scaling(replicas=4))
    assert fixed == {"name": "CogModel", "num_replicas": 4, "max_ongoing_requests": 3,
                     "graceful_shutdown_timeout_s": 300.0, "ray_actor_options": {"num_cpus": 1.0}}
    auto = deployment_options(ModelLimits(gpu=True, max_queued=5), Scaling(max_replicas=3, downscale_delay_s=30))
    assert auto["autoscaling_config"] == {"min_replicas": 1, "max_replicas": 3, "target_ongoing_requests": 1.0,
                                          "upscale_delay_s": 5.0, "downscale_delay_s": 30}
    assert auto["max_queued_requests"] == 5 and auto["ray_actor_options"] == {"num_cpus": 1.0, "num_gpus": 1}
    assert "num_replicas" not in auto
    with pytest.raises(RayError, match="--min-replicas needs --max-replicas"):
        deployment_options(ModelLimits(), Scaling(min_replicas=2))
    with pytest.raises(RayError, match="autoscaling bounds"):
        deployment_options(ModelLimits(), Scaling(min_replicas=4, max_replicas=2))


def test_dns_names() -> None:
    assert dns_name("registry.example.com:5000/me/My_Model:v1") == "my-model"
    assert dns_name("r8.im/me/resnet@sha256:abc") == "resnet"
    assert dns_name("___") == "cog-model"


def test_cli_writes_both_files(cog: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello-world", project)
    monkeypatch.chdir(project)
    out = tmp_path / "out"
    result = cog("deploy", "ray", "-o", str(out), "--min-replicas", "1", "--max-replicas", "3")
    assert result.code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["rayservice.yaml", "serve-config.yaml"]
    config = yaml.safe_load((out / "serve-config.yaml").read_text())
    app = config["applications"][0]
    assert app["name"] == "cog-hello" and app["import_path"] == "cog_py.ray.app:build_app"
    assert app["deployments"][0]["autoscaling_config"]["max_replicas"] == 3
    assert "Wrote" in result.stderr
    bad = cog("deploy", "ray", "-o", str(out), "--min-replicas", "2")
    assert bad.code != 0 and "--min-replicas needs --max-replicas" in bad.stderr


def test_help_is_golden(cog: Callable[..., CliResult]) -> None:
    result = cog("deploy", "ray", "--help")
    assert result.code == 0
    assert_golden("help/deploy-ray.txt", result.stdout)
