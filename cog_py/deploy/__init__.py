"""`cog deploy`: from one cog.yaml (and optionally a built image) to cluster manifests.

    facts.py       what the model needs (GPU, slots, queue, image by digest): from cog.yaml and labels
    plan.py        DeployOptions (the flags) + ModelFacts -> DeployPlan (every decision, pure)
    pod.py         the container and pod spec every format shares (probes, lifecycle, security)
    kubernetes.py  plain objects: Deployment, Service, PDB, HPA or KEDA ScaledObject, ServiceMonitor
    kserve.py      one KServe InferenceService in RawDeployment mode
    manifest.py    stable YAML out (one stream, or one file per object in a directory)
    validate.py    validation of core kinds (kubernetes-validate) and custom resources (a CRD's schema)
    local.py       a manifest's container as docker run arguments (tests run the pod on an engine)

Nothing here talks to an engine or a cluster; the CLI (cog_py/cli/deploy.py) reads the image
through the docker adapter and passes its attributes in.
"""
