"""A KServe InferenceService (RawDeployment mode) running the model server as a custom predictor.

The predictor carries the same container (probes, resources, lifecycle, security) and pod
fields as the plain Deployment. KServe creates the Deployment, the `<name>-predictor` Service
and the autoscaler itself: HPA on CPU for CPU models, KEDA on the in-flight gauge for GPU
models (autoscalerClass keda), no autoscaler for a fixed replica count. A ServiceMonitor makes
Prometheus scrape the predictor pods, which the KEDA query reads.
"""

from __future__ import annotations

from cog_py.deploy.kubernetes import metadata, service_monitor
from cog_py.deploy.plan import DeployPlan
from cog_py.deploy.pod import Obj, container, pod_fields

CONTAINER = "kserve-container"   # the name KServe gives the predictor's main container
ISVC_LABEL = "serving.kserve.io/inferenceservice"


def _autoscaling(plan: DeployPlan) -> tuple[str, Obj]:
    scaling = plan.autoscaling
    if scaling is None:
        return "none", {"minReplicas": plan.replicas, "maxReplicas": plan.replicas}
    fields: Obj = {"minReplicas": max(1, scaling.min_replicas), "maxReplicas": scaling.max_replicas}
    if scaling.query is not None:
        metric: Obj = {"type": "External", "external": {
            "metric": {"backend": "prometheus", "serverAddress": plan.prometheus_url, "query": scaling.query},
            "target": {"type": "AverageValue", "averageValue": scaling.threshold}}}
        return "keda", {**fields, "autoScaling": {"metrics": [metric]}}
    metric = {"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": scaling.cpu_utilization}}}
    return "hpa", {**fields, "autoScaling": {"metrics": [metric]}}


def inference_service(plan: DeployPlan) -> Obj:
    autoscaler, scaling = _autoscaling(plan)
    meta = metadata(plan)
    meta["annotations"] = {"serving.kserve.io/deploymentMode": "RawDeployment",
                           "serving.kserve.io/autoscalerClass": autoscaler}
    predictor: Obj = {**scaling, "containers": [container(plan, CONTAINER)], **pod_fields(plan)}
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": meta,
            "spec": {"predictor": predictor}}


def render_objects(plan: DeployPlan) -> list[Obj]:
    """The InferenceService, and the ServiceMonitor for its predictor's /metrics."""
    return [inference_service(plan), service_monitor(plan, selector={ISVC_LABEL: plan.name})]
