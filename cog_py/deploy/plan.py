"""Every decision of a deployment, made once: DeployOptions (the flags) + ModelFacts -> DeployPlan.

Renderers (kubernetes.py, kserve.py, pod.py) only lay the plan out as objects; all defaults
and all branching live here, where unit tests reach them.

Sizing, and why:
- shutdown: SIGTERM makes the server stop admitting (/readyz turns 503) and wait up to
  COG_SHUTDOWN_GRACE_S for the predictions it holds, running or queued, then exit 0. The pod
  gets a preStop pause first (endpoints are removed while it still serves), then that drain,
  then a margin: terminationGracePeriodSeconds = pre_stop + drain + margin.
- startup: setup() can download weights for many minutes; the startup probe allows
  `setup_timeout` before the kubelet restarts the container, and liveness only starts after it.
- autoscaling: CPU models scale on CPU (HorizontalPodAutoscaler). GPU models scale with KEDA on
  the server's own gauges: predictions in flight per replica against a target below the
  replica's capacity (its slots, plus its queue when it has one), and requests refused at
  capacity, never below one replica (a GPU model's cold start is long).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from cog_py.deploy.facts import ModelFacts
from cog_py.errors import CogError

PORT = 5000
METRICS_PATH = "/metrics"
READY_PATH = "/readyz"
LIVE_PATH = "/livez"
CACHE_DIR = "/var/cache/cog"        # XDG_CACHE_HOME, HF_HOME, TORCH_HOME point below it
RUN_DIR = "/var/run/cog"            # the server writes its ready file here under Kubernetes
TMP_DIR = "/tmp"
DEFAULT_USER = 1000
DEFAULT_GRACE = 300                 # the server's own COG_SHUTDOWN_GRACE_S default
PRE_STOP_SECONDS = 5
GRACE_MARGIN = 15
STARTUP_PERIOD = 10
CPU_TARGET_UTILIZATION = 70         # percent of the CPU request
BUSY_TARGET = 0.8                   # in-flight per slot a replica should carry before another is added
DEFAULT_PROMETHEUS = "http://prometheus-operated.monitoring.svc:9090"
FORMATS = ("yaml", "kserve")
_DNS_1035 = re.compile(r"^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$")
_QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


class DeployError(CogError):
    """The deployment asked for cannot be rendered as given."""


@dataclass(frozen=True)
class DeployOptions:
    """`cog deploy kubernetes` flags; None means "derive it from the model"."""

    name: str | None = None
    namespace: str = "default"
    format: str = "yaml"
    replicas: int | None = None         # a fixed count: no autoscaler
    min_replicas: int | None = None
    max_replicas: int | None = None
    gpu_type: str = "nvidia.com/gpu"
    gpus: int = 1
    cpu: str | None = None
    memory: str | None = None
    read_only_root: bool = False
    upload_url: str | None = None
    secret: str | None = None           # Secret with COG_* settings and WEBHOOK_AUTH_TOKEN (default NAME-env)
    grace_period: int = DEFAULT_GRACE   # seconds in-flight predictions may take after SIGTERM
    setup_timeout: int | None = None    # seconds setup() may take before the pod is restarted
    run_as_user: int = DEFAULT_USER
    prometheus_url: str = DEFAULT_PROMETHEUS


@dataclass(frozen=True)
class Autoscaling:
    min_replicas: int
    max_replicas: int
    cpu_utilization: int | None         # HPA on CPU (CPU models)
    query: str | None                   # KEDA Prometheus query (GPU models)
    threshold: str | None               # KEDA AverageValue target per replica


@dataclass(frozen=True)
class DeployPlan:
    name: str
    namespace: str
    format: str
    image: str
    gpu: bool
    slots: int
    queue: int
    replicas: int                       # Deployment.spec.replicas when not autoscaled
    autoscaling: Autoscaling | None
    cpu: str
    memory: str
    gpu_resource: str | None
    gpus: int
    read_only_root: bool
    upload_url: str | None
    secret: str
    run_as_user: int
    drain_seconds: int                  # COG_SHUTDOWN_GRACE_S
    pre_stop_seconds: int
    termination_grace: int
    startup_failures: int               # startupProbe failureThreshold at STARTUP_PERIOD
    prometheus_url: str
    labels: tuple[tuple[str, str], ...]
    selector: tuple[tuple[str, str], ...]

    @property
    def service(self) -> str:
        """The Service the pods are behind (KServe names its own `<name>-predictor`)."""
        return f"{self.name}-predictor" if self.format == "kserve" else self.name


def _positive(value: int | None, flag: str) -> None:
    if value is not None and value < 1:
        raise DeployError(f"{flag} must be at least 1 (got {value})")


def _quantity(value: str, flag: str) -> str:
    if not _QUANTITY.match(value):
        raise DeployError(f"{flag}: '{value}' is not a Kubernetes quantity",
                          hint="Use forms such as 500m or 2 (CPU) and 512Mi or 16Gi (memory).")
    return value


def in_flight_query(namespace: str, service: str) -> str:
    """PromQL for the load KEDA compares with its per-replica target (real metric names, metrics.py).

    cog_predictions_in_flight counts every prediction a server admitted and has not finished
    (queued ones too, once servers queue); refusals at capacity are demand nobody served.
    """
    where = f'namespace="{namespace}",service="{service}"'
    in_flight = f"sum(cog_predictions_in_flight{{{where}}})"
    refused = f'sum(rate(cog_prediction_rejections_total{{{where},reason="at_capacity"}}[2m]))'
    return f"({in_flight} + {refused}) or vector(0)"


def _threshold(slots: int, queue: int) -> str:
    """In flight per replica before KEDA adds one: most of the slots, or all of them once a queue absorbs bursts."""
    target = float(slots) if queue > 0 else slots * BUSY_TARGET
    text = f"{target:.2f}".rstrip("0").rstrip(".")
    return text


def make_plan(facts: ModelFacts, options: DeployOptions) -> DeployPlan:
    """Decide everything the manifests say."""
    if options.format not in FORMATS:
        raise DeployError(f"Unknown format '{options.format}'", hint=f"Use one of: {', '.join(FORMATS)}.")
    name = options.name or facts.name
    if not _DNS_1035.match(name):
        raise DeployError(f"'{name}' cannot name Kubernetes objects",
                          hint="Use --name with lowercase letters, digits and '-', starting with a letter "
                               "(50 characters at most).")
    if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", options.namespace) or len(options.namespace) > 63:
        raise DeployError(f"'{options.namespace}' is not a valid namespace")
    for value, flag in ((options.replicas, "--replicas"), (options.min_replicas, "--min-replicas"),
                        (options.max_replicas, "--max-replicas"), (options.gpus, "--gpus")):
        _positive(value, flag)
    if options.replicas is not None and (options.min_replicas or options.max_replicas):
        raise DeployError("--replicas fixes the count; it cannot be combined with --min-replicas/--max-replicas",
                          hint="Drop --replicas to autoscale between --min-replicas and --max-replicas.")
    if options.grace_period < 1:
        raise DeployError("--grace-period must be at least 1 second")
    autoscaling: Autoscaling | None = None
    replicas = options.replicas or 1
    if options.replicas is None:
        low = options.min_replicas or 1
        high = options.max_replicas or max(low, 3)
        if high < low:
            raise DeployError(f"--max-replicas ({high}) is below --min-replicas ({low})")
        service = f"{name}-predictor" if options.format == "kserve" else name
        if facts.gpu:
            autoscaling = Autoscaling(low, high, None, in_flight_query(options.namespace, service),
                                      _threshold(facts.slots, facts.queue))
        else:
            autoscaling = Autoscaling(low, high, CPU_TARGET_UTILIZATION, None, None)
        replicas = low
    setup_timeout = options.setup_timeout or (1800 if facts.gpu else 600)
    _positive(setup_timeout, "--setup-timeout")
    cpu = _quantity(options.cpu or ("4" if facts.gpu else "1"), "--cpu")
    memory = _quantity(options.memory or ("16Gi" if facts.gpu else "2Gi"), "--memory")
    if options.run_as_user < 0:
        raise DeployError("--run-as-user must be 0 (root) or a user id")
    if "/" not in options.gpu_type:
        raise DeployError(f"--gpu-type '{options.gpu_type}' is not an extended resource name",
                          hint="Use the device plugin's resource, e.g. nvidia.com/gpu or amd.com/gpu.")
    labels = (("app.kubernetes.io/name", name), ("app.kubernetes.io/component", "predictor"),
              ("app.kubernetes.io/managed-by", "cog"))
    return DeployPlan(
        name=name, namespace=options.namespace, format=options.format, image=facts.image, gpu=facts.gpu,
        slots=facts.slots, queue=facts.queue, replicas=replicas, autoscaling=autoscaling, cpu=cpu, memory=memory,
        gpu_resource=options.gpu_type if facts.gpu else None, gpus=options.gpus, read_only_root=options.read_only_root,
        upload_url=options.upload_url, secret=options.secret or f"{name}-env", run_as_user=options.run_as_user,
        drain_seconds=options.grace_period, pre_stop_seconds=PRE_STOP_SECONDS,
        termination_grace=PRE_STOP_SECONDS + options.grace_period + GRACE_MARGIN,
        startup_failures=math.ceil(setup_timeout / STARTUP_PERIOD), prometheus_url=options.prometheus_url,
        labels=labels, selector=labels[:1],
    )
