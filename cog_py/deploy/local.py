"""A manifest's pod, as the engine would run it: container spec -> docker create arguments + probe schedule.

Pure translation (the docker adapter or a test runs it). What maps to what:

    args / command                       command / entrypoint
    env, envFrom (secretKeyRef, secretRef)   environment (secrets resolved from a given mapping, as a kubelet would)
    securityContext runAsUser/Group      user "UID:GID" (+ fsGroup as a supplementary group)
    allowPrivilegeEscalation: false      security_opt no-new-privileges
    capabilities drop/add                cap_drop / cap_add
    readOnlyRootFilesystem               read_only, each emptyDir mount a tmpfs (sizeLimit -> size)
    resources.limits cpu / memory        nano_cpus / mem_limit;  nvidia.com/gpu -> a GPU device request
    terminationGracePeriodSeconds        grace_seconds: SIGTERM, then SIGKILL when it is over
    startup/readiness/liveness probes    `Probe`s with the manifest's timing; preStop: `PreStop`

The engine here has no bridge network, so the pod can run on the host network with its port
moved (PORT and the probes follow) to one that is free.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cog_py.deploy.plan import DeployError

Obj = Mapping[str, Any]
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "": 1}


@dataclass(frozen=True)
class Probe:
    path: str
    port: int
    initial_delay: float
    period: float
    timeout: float
    failure_threshold: int
    success_threshold: int


@dataclass(frozen=True)
class PreStop:
    sleep: float = 0.0
    exec: tuple[str, ...] = ()
    http_path: str | None = None


@dataclass(frozen=True)
class LocalPod:
    """A pod's single container as docker create arguments, with its probes and stop schedule."""

    create_kwargs: dict[str, Any]
    port: int
    probes: Mapping[str, Probe]        # "startupProbe", "readinessProbe", "livenessProbe"
    pre_stop: PreStop | None
    grace_seconds: int


def memory_bytes(quantity: str | int) -> int:
    """`2Gi` -> 2147483648, `512M` -> 512000000."""
    m = re.fullmatch(r"([0-9.]+)([KMGT]i|[kMGT]?)", str(quantity))
    if not m:
        raise DeployError(f"cannot run with memory '{quantity}'")
    factor = _BINARY.get(m.group(2)) or _DECIMAL[m.group(2)]
    return int(float(m.group(1)) * factor)


def nano_cpus(quantity: str | int) -> int:
    """`500m` -> 500000000, `2` -> 2000000000."""
    text = str(quantity)
    if text.endswith("m"):
        return int(float(text[:-1]) * 10**6)
    return int(float(text) * 10**9)


def _secret_value(secrets: Mapping[str, Mapping[str, str]], ref: Obj, what: str) -> str | None:
    data = secrets.get(ref["name"])
    value = None if data is None else data.get(ref["key"])
    if value is None and not ref.get("optional"):
        raise DeployError(f"{what}: Secret {ref['name']} has no key {ref['key']}")
    return value


def environment(container: Obj, secrets: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """The container's environment as the kubelet builds it: envFrom first, then env (which wins)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or ():
        ref = source.get("secretRef")
        if ref is None:
            raise DeployError("only secretRef sources can run locally")
        data = secrets.get(ref["name"])
        if data is None and not ref.get("optional"):
            raise DeployError(f"envFrom: Secret {ref['name']} is missing")
        env.update(data or {})
    for item in container.get("env") or ():
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        ref = (item.get("valueFrom") or {}).get("secretKeyRef")
        if ref is None:
            raise DeployError(f"env {item['name']}: only values and secretKeyRef can run locally")
        value = _secret_value(secrets, ref, f"env {item['name']}")
        if value is not None:
            env[item["name"]] = value
    return env


def _port(container: Obj, port: Any) -> int:
    if isinstance(port, int):
        return port
    for entry in container.get("ports") or ():
        if entry.get("name") == port:
            return int(entry["containerPort"])
    raise DeployError(f"probe port '{port}' is not a port of the container")


def _probes(container: Obj, remap: Mapping[int, int]) -> dict[str, Probe]:
    out = {}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        spec = container.get(kind)
        if not spec:
            continue
        get = spec.get("httpGet")
        if get is None:
            raise DeployError(f"{kind}: only httpGet probes can run locally")
        port = _port(container, get["port"])
        out[kind] = Probe(path=get.get("path", "/"), port=remap.get(port, port),
                          initial_delay=float(spec.get("initialDelaySeconds", 0)),
                          period=float(spec.get("periodSeconds", 10)), timeout=float(spec.get("timeoutSeconds", 1)),
                          failure_threshold=int(spec.get("failureThreshold", 3)),
                          success_threshold=int(spec.get("successThreshold", 1)))
    return out


def _pre_stop(container: Obj) -> PreStop | None:
    handler = (container.get("lifecycle") or {}).get("preStop")
    if not handler:
        return None
    if "sleep" in handler:
        return PreStop(sleep=float(handler["sleep"]["seconds"]))
    if "exec" in handler:
        return PreStop(exec=tuple(handler["exec"]["command"]))
    if "httpGet" in handler:
        return PreStop(http_path=handler["httpGet"].get("path", "/"))
    raise DeployError("preStop: unsupported handler")


def local_pod(pod_spec: Obj, *, secrets: Mapping[str, Mapping[str, str]] | None = None, host_port: int | None = None,
              container_name: str | None = None) -> LocalPod:
    """Translate a pod spec (a Deployment's template.spec, or a KServe predictor) for one docker container.

    `host_port`: run on the host network with the container's first port moved there (PORT too).
    """
    containers = list(pod_spec.get("containers") or ())
    container = next((c for c in containers if container_name in (None, c.get("name"))), None)
    if container is None:
        raise DeployError("the pod has no such container")
    env = environment(container, secrets or {})
    port = int(((container.get("ports") or [{}])[0]).get("containerPort", 5000))
    remap: dict[int, int] = {}
    kwargs: dict[str, Any] = {"image": container["image"], "detach": True}
    if container.get("command"):
        kwargs["entrypoint"] = list(container["command"])
    if container.get("args"):
        kwargs["command"] = list(container["args"])
    if container.get("workingDir"):
        kwargs["working_dir"] = container["workingDir"]
    if host_port is not None:
        kwargs["network_mode"] = "host"
        remap[port] = host_port
        if env.get("PORT") == str(port):
            env["PORT"] = str(host_port)
        port = host_port
    kwargs["environment"] = env
    pod_ctx = pod_spec.get("securityContext") or {}
    ctx = {**{k: v for k, v in pod_ctx.items() if k != "fsGroup"}, **(container.get("securityContext") or {})}
    if ctx.get("runAsUser") is not None:
        kwargs["user"] = f"{ctx['runAsUser']}:{ctx.get('runAsGroup', ctx['runAsUser'])}"
    if pod_ctx.get("fsGroup") is not None:
        kwargs["group_add"] = [str(pod_ctx["fsGroup"])]
    if ctx.get("allowPrivilegeEscalation") is False:
        kwargs["security_opt"] = ["no-new-privileges"]
    caps = ctx.get("capabilities") or {}
    if caps.get("drop"):
        kwargs["cap_drop"] = list(caps["drop"])
    if caps.get("add"):
        kwargs["cap_add"] = list(caps["add"])
    if ctx.get("readOnlyRootFilesystem"):
        kwargs["read_only"] = True
    volumes = {v["name"]: v for v in pod_spec.get("volumes") or ()}
    tmpfs = {}
    for mount in container.get("volumeMounts") or ():
        volume = volumes.get(mount["name"])
        if volume is None or "emptyDir" not in volume:
            raise DeployError(f"volume {mount['name']}: only emptyDir volumes can run locally")
        size = (volume["emptyDir"] or {}).get("sizeLimit")
        tmpfs[mount["mountPath"]] = ",".join(["rw", "mode=1777", *([f"size={memory_bytes(size)}"] if size else [])])
    if tmpfs:
        kwargs["tmpfs"] = tmpfs
    limits = (container.get("resources") or {}).get("limits") or {}
    if "memory" in limits:
        kwargs["mem_limit"] = memory_bytes(limits["memory"])
    if "cpu" in limits:
        kwargs["nano_cpus"] = nano_cpus(limits["cpu"])
    gpus = next((int(v) for k, v in limits.items() if k.endswith("/gpu")), 0)
    if gpus:
        kwargs["device_requests"] = [{"count": gpus, "capabilities": [["gpu"]]}]
    grace = int(pod_spec.get("terminationGracePeriodSeconds", 30))
    return LocalPod(create_kwargs=kwargs, port=port, probes=_probes(container, remap), pre_stop=_pre_stop(container),
                    grace_seconds=grace)
