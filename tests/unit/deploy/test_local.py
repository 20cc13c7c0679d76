"""The pod-to-engine translation: every field the engine test relies on maps as documented."""

from __future__ import annotations

import pytest

from cog_py.deploy.facts import ModelFacts
from cog_py.deploy.local import local_pod, memory_bytes, nano_cpus
from cog_py.deploy.manifest import render
from cog_py.deploy.plan import DeployError, DeployOptions, make_plan


def pod(**options: object) -> dict[str, object]:
    plan = make_plan(ModelFacts(name="m", image="img:1"), DeployOptions(**options))  # type: ignore[arg-type]
    return render(plan)[0]["spec"]["template"]["spec"]


def test_read_only_pod_on_the_host_network() -> None:
    local = local_pod(pod(read_only_root=True, upload_url="http://u/", cpu="500m", memory="1Gi"),
                      secrets={"m-env": {"WEBHOOK_AUTH_TOKEN": "t0k", "COG_LOG_LEVEL": "debug"}}, host_port=5123)
    kw = local.create_kwargs
    assert kw["command"] == ["python", "-m", "cog.server.http", "--upload-url", "http://u/"]
    assert kw["network_mode"] == "host" and kw["environment"]["PORT"] == "5123" and local.port == 5123
    assert kw["environment"]["WEBHOOK_AUTH_TOKEN"] == "t0k" and kw["environment"]["COG_LOG_LEVEL"] == "debug"
    assert kw["user"] == "1000:1000" and kw["group_add"] == ["1000"]
    assert kw["security_opt"] == ["no-new-privileges"] and kw["cap_drop"] == ["ALL"] and kw["read_only"] is True
    assert set(kw["tmpfs"]) == {"/tmp", "/var/cache/cog", "/var/run/cog"}
    assert kw["mem_limit"] == 2**30 and kw["nano_cpus"] == 5 * 10**8
    assert local.probes["startupProbe"].port == 5123 and local.probes["livenessProbe"].path == "/livez"
    assert local.pre_stop is not None and local.pre_stop.sleep == 5
    assert local.grace_seconds == 320


def test_missing_optional_secret_is_fine_and_root_has_no_user() -> None:
    local = local_pod(pod(run_as_user=0))
    assert "WEBHOOK_AUTH_TOKEN" not in local.create_kwargs["environment"]
    assert "user" not in local.create_kwargs and "read_only" not in local.create_kwargs


def test_quantities() -> None:
    assert memory_bytes("1536Mi") == 1536 * 2**20 and memory_bytes("2G") == 2 * 10**9
    assert nano_cpus("2") == 2 * 10**9 and nano_cpus("250m") == 25 * 10**7
    with pytest.raises(DeployError):
        memory_bytes("lots")
