"""The container and pod spec every format shares: the server's HTTP contract, probes, lifecycle, security.

The contract (cog_py/server/settings.py, ops.py): the server listens on PORT (5000); /readyz
is 200 only while it admits predictions, /livez is 503 only when it can never recover,
/metrics is Prometheus text; SIGTERM drains for COG_SHUTDOWN_GRACE_S and exits 0 (unless
--await-explicit-shutdown, which pods never pass); WEBHOOK_AUTH_TOKEN signs webhooks.
"""

from __future__ import annotations

from typing import Any

from cog_py.deploy.plan import (CACHE_DIR, LIVE_PATH, PORT, READY_PATH, RUN_DIR, STARTUP_PERIOD, TMP_DIR,
                                DeployPlan)

Obj = dict[str, Any]
SERVER_ARGS = ("python", "-m", "cog.server.http")   # Cog's server command (any Cog image); ENTRYPOINT (tini) stays
WEBHOOK_TOKEN = "WEBHOOK_AUTH_TOKEN"


def _probe(path: str, period: int, timeout: int, failures: int) -> Obj:
    return {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": timeout,
            "failureThreshold": failures}


def probes(plan: DeployPlan) -> Obj:
    """startupProbe (slow setup), readinessProbe and livenessProbe; the kubelet runs them in that order."""
    return {
        "startupProbe": _probe(READY_PATH, STARTUP_PERIOD, 5, plan.startup_failures),
        "readinessProbe": {**_probe(READY_PATH, 5, 3, 2), "successThreshold": 1},
        "livenessProbe": _probe(LIVE_PATH, 10, 5, 3),
    }


def volumes(plan: DeployPlan) -> list[tuple[str, str, Obj]]:
    """(volume name, mount path, emptyDir): writable places for a non-root user, /tmp too on a read-only root."""
    out = [("model-cache", CACHE_DIR, {}), ("cog-run", RUN_DIR, {"medium": "Memory", "sizeLimit": "1Mi"})]
    if plan.read_only_root:
        out.insert(0, ("tmp", TMP_DIR, {}))
    return out


def resources(plan: DeployPlan) -> Obj:
    requests: Obj = {"cpu": plan.cpu, "memory": plan.memory}
    limits: Obj = {"cpu": plan.cpu, "memory": plan.memory}
    if plan.gpu_resource:
        limits[plan.gpu_resource] = plan.gpus   # extended resources: the request equals the limit
        requests[plan.gpu_resource] = plan.gpus
    return {"requests": requests, "limits": limits}


def environment(plan: DeployPlan) -> list[Obj]:
    env: list[Obj] = [
        {"name": "PORT", "value": str(PORT)},
        # The drain the server allows after SIGTERM must fit in terminationGracePeriodSeconds.
        {"name": "COG_SHUTDOWN_GRACE_S", "value": str(plan.drain_seconds)},
        {"name": "XDG_CACHE_HOME", "value": CACHE_DIR},
        {"name": "HF_HOME", "value": f"{CACHE_DIR}/huggingface"},
        {"name": "TORCH_HOME", "value": f"{CACHE_DIR}/torch"},
        {"name": WEBHOOK_TOKEN, "valueFrom": {"secretKeyRef": {"name": plan.secret, "key": WEBHOOK_TOKEN,
                                                                "optional": True}}},
    ]
    return env


def security_context(plan: DeployPlan) -> Obj:
    ctx: Obj = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
    if plan.read_only_root:
        ctx["readOnlyRootFilesystem"] = True
    if plan.run_as_user:
        ctx.update(runAsNonRoot=True, runAsUser=plan.run_as_user, runAsGroup=plan.run_as_user)
    ctx["seccompProfile"] = {"type": "RuntimeDefault"}
    return ctx


def container(plan: DeployPlan, name: str = "model") -> Obj:
    """The model server's container."""
    args = list(SERVER_ARGS)
    if plan.upload_url:
        args += ["--upload-url", plan.upload_url]
    return {
        "name": name,
        "image": plan.image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": environment(plan),
        # Other COG_* settings and secrets the model reads: from a Secret by reference, never inline.
        "envFrom": [{"secretRef": {"name": plan.secret, "optional": True}}],
        "resources": resources(plan),
        **probes(plan),
        # Keep serving while endpoints drop this pod, then SIGTERM starts the server's drain.
        "lifecycle": {"preStop": {"sleep": {"seconds": plan.pre_stop_seconds}}},
        "securityContext": security_context(plan),
        "volumeMounts": [{"name": vol, "mountPath": path} for vol, path, _ in volumes(plan)],
    }


def pod_fields(plan: DeployPlan) -> Obj:
    """The pod-level fields next to `containers` (shared by a Deployment's template and a KServe predictor)."""
    fields: Obj = {"terminationGracePeriodSeconds": plan.termination_grace,
                   "automountServiceAccountToken": False}   # the server never calls the API
    if plan.run_as_user:
        fields["securityContext"] = {"fsGroup": plan.run_as_user}
    if plan.gpu_resource:
        fields["tolerations"] = [{"key": plan.gpu_resource, "operator": "Exists", "effect": "NoSchedule"}]
    fields["volumes"] = [{"name": vol, "emptyDir": spec} for vol, _, spec in volumes(plan)]
    return fields
