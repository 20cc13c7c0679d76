"""Plain Kubernetes objects for a plan: Deployment, Service, PodDisruptionBudget, an autoscaler, ServiceMonitor.

CPU models get a HorizontalPodAutoscaler on CPU; GPU models a KEDA ScaledObject whose
Prometheus trigger reads the server's in-flight gauge, so the ServiceMonitor that makes
Prometheus scrape /metrics is part of the set.
"""

from __future__ import annotations

from cog_py.deploy.plan import METRICS_PATH, PORT, DeployPlan
from cog_py.deploy.pod import Obj, container, pod_fields


def metadata(plan: DeployPlan, name: str | None = None) -> Obj:
    return {"name": name or plan.name, "namespace": plan.namespace, "labels": dict(plan.labels)}


def deployment(plan: DeployPlan) -> Obj:
    spec: Obj = {}
    if plan.autoscaling is None:
        spec["replicas"] = plan.replicas   # left out when autoscaled: an apply must not undo the autoscaler
    spec.update({
        "selector": {"matchLabels": dict(plan.selector)},
        # Start the new pod before stopping an old one: a model's capacity never dips during a rollout.
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": dict(plan.labels)},
            "spec": {"containers": [container(plan)], **pod_fields(plan)},
        },
    })
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata(plan), "spec": spec}


def service(plan: DeployPlan) -> Obj:
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": metadata(plan),
        "spec": {"type": "ClusterIP", "selector": dict(plan.selector),
                 "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
    }


def disruption_budget(plan: DeployPlan) -> Obj:
    # maxUnavailable, not minAvailable: with one replica, minAvailable: 1 would block every node drain.
    return {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata(plan),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": dict(plan.selector)}},
    }


def cpu_autoscaler(plan: DeployPlan) -> Obj:
    scaling = plan.autoscaling
    assert scaling is not None and scaling.cpu_utilization is not None
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": metadata(plan),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": plan.name},
            "minReplicas": scaling.min_replicas, "maxReplicas": scaling.max_replicas,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": scaling.cpu_utilization}}}],
        },
    }


def prometheus_trigger(plan: DeployPlan) -> Obj:
    scaling = plan.autoscaling
    assert scaling is not None and scaling.query is not None and scaling.threshold is not None
    return {"type": "prometheus", "metricType": "AverageValue", "metadata": {
        "serverAddress": plan.prometheus_url, "query": scaling.query, "threshold": scaling.threshold}}


def scaled_object(plan: DeployPlan) -> Obj:
    scaling = plan.autoscaling
    assert scaling is not None
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": metadata(plan),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": plan.name},
            "minReplicaCount": max(1, scaling.min_replicas),   # never to zero: a GPU model's cold start is long
            "maxReplicaCount": scaling.max_replicas,
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "triggers": [prometheus_trigger(plan)],
        },
    }


def service_monitor(plan: DeployPlan, *, selector: Obj | None = None) -> Obj:
    """Prometheus scrapes /metrics on the pods behind the Service (by the Service's port name, or the pod port)."""
    endpoint: Obj = {"port": "http"} if selector is None else {"targetPort": PORT}
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": metadata(plan),
        "spec": {
            "selector": {"matchLabels": selector or dict(plan.selector)},
            "endpoints": [{**endpoint, "path": METRICS_PATH, "interval": "15s"}],
        },
    }


def render_objects(plan: DeployPlan) -> list[Obj]:
    """Every object of the plain format, in the order `kubectl apply` should create them."""
    objects = [deployment(plan), service(plan), disruption_budget(plan)]
    if plan.autoscaling is not None:
        objects.append(scaled_object(plan) if plan.autoscaling.query else cpu_autoscaler(plan))
    objects.append(service_monitor(plan))
    return objects
