"""Small builders of Node and Pod dicts for scheduler experiments (tests, the playground).

    >>> from labkit.minicluster.scheduler.builders import make_node, make_pod
    >>> from labkit.minicluster.scheduler import explain
    >>> nodes = [make_node("node-1", cpu="2"), make_node("node-2", cpu="4")]
    >>> explain(make_pod("web", cpu="3"), nodes)["node"]
    'node-2'

The objects have the shapes the API server returns, trimmed to what the scheduler reads.
"""
from __future__ import annotations

CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def make_node(name: str, cpu="4", memory="8Gi", pods="110", labels=None, taints=(),
              unschedulable: bool = False, zone: str | None = None, images=(),
              resources: dict | None = None) -> dict:
    """A Ready node with ``status.allocatable`` = capacity and the well-known labels;
    ``resources`` adds allocatable extended resources (``{"nvidia.com/gpu": "2"}``),
    ``images`` is a list of (name or names, size in bytes)."""
    lab = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **(labels or {})}
    if zone is not None:
        lab["topology.kubernetes.io/zone"] = zone
    alloc = {"cpu": str(cpu), "memory": str(memory), "pods": str(pods),
             **{k: str(v) for k, v in (resources or {}).items()}}
    spec: dict = {}
    if taints:
        spec["taints"] = [dict(t) for t in taints]
    if unschedulable:
        spec["unschedulable"] = True
    status = {"allocatable": alloc, "capacity": dict(alloc),
              "conditions": [{"type": "Ready", "status": "True"}]}
    if images:
        status["images"] = [{"names": list(n) if isinstance(n, (list, tuple)) else [n],
                             "sizeBytes": int(size)} for n, size in images]
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": lab},
            "spec": spec, "status": status}


def make_pod(name: str, cpu=None, memory=None, namespace: str = "default", labels=None,
             node: str | None = None, priority: int | None = None, image: str = "nginx:1.25",
             containers=None, init_containers=None, uid: str | None = None, owner=None,
             **spec) -> dict:
    """A pod with one container requesting ``cpu``/``memory`` (None: no request).
    Extra keyword arguments go into ``spec`` (``tolerations=...``, ``affinity=...``,
    ``nodeSelector=...``, ``topologySpreadConstraints=...``)."""
    if containers is None:
        requests = {k: str(v) for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
        c = {"name": "app", "image": image}
        if requests:
            c["resources"] = {"requests": requests}
        containers = [c]
    body = {"containers": containers, "schedulerName": "default-scheduler", **spec}
    if init_containers:
        body["initContainers"] = init_containers
    if node:
        body["nodeName"] = node
    if priority is not None:
        body["priority"] = priority
    meta = {"name": name, "namespace": namespace, "uid": uid or f"uid-{namespace}-{name}"}
    if labels:
        meta["labels"] = dict(labels)
    if owner:
        meta["ownerReferences"] = [{"apiVersion": owner[0], "kind": owner[1], "name": owner[2],
                                    "uid": f"uid-{owner[2]}", "controller": True}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": body,
            "status": {"phase": "Running" if node else "Pending"}}


def container(name: str = "app", cpu=None, memory=None, restart_policy: str | None = None,
              image: str = "busybox:1.36", **requests) -> dict:
    """A container spec with requests (extra resources by keyword, e.g. ``ephemeral_storage``)."""
    req = {k: str(v) for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    req.update({k.replace("_", "-"): str(v) for k, v in requests.items()})
    c = {"name": name, "image": image}
    if req:
        c["resources"] = {"requests": req}
    if restart_policy:
        c["restartPolicy"] = restart_policy
    return c
