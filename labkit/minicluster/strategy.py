"""Per-kind rules the API server applies around a write (upstream: pkg/registry/*/strategy.go).

- Which kinds have a ``status`` that only the status subresource may change (and that a plain
  create/update must not set).
- Which kinds count ``metadata.generation``: it starts at 1 and increases by one each time the
  *spec* changes (not metadata, not status). Controllers echo it in ``status.observedGeneration``
  so clients can tell whether the status describes the latest spec.
- What a freshly created object's status looks like (a new Pod is ``phase: Pending``).
"""
from __future__ import annotations

from .objects import clone
from .quantity import parse_cpu, parse_memory


def _q(resource, value):
    try:
        return parse_cpu(value) if resource == "cpu" else parse_memory(value)
    except (ValueError, TypeError, ArithmeticError):
        return str(value)

#: kinds whose status is owned by the status subresource (create/update of the main resource
#: keep the old status; ``/status`` writes keep the old spec).
STATUS_SUBRESOURCE = {
    "Pod", "Node", "Namespace", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
    "CronJob", "ReplicationController", "Service", "PersistentVolume", "PersistentVolumeClaim",
    "HorizontalPodAutoscaler", "Ingress", "ResourceQuota", "PodDisruptionBudget",
}

#: kinds with metadata.generation tracking of spec changes
GENERATION = {
    "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob",
    "ReplicationController", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Pod",
}


def spec_fields(kind: str) -> tuple[str, ...]:
    """The top-level fields whose change bumps generation."""
    if kind in ("ConfigMap", "Secret"):
        return ("data", "stringData", "binaryData")
    return ("spec",)


def prepare_for_create(kind: str, obj: dict) -> None:
    if kind in STATUS_SUBRESOURCE:
        obj["status"] = initial_status(kind, obj)
    if kind in GENERATION:
        obj["metadata"]["generation"] = 1


def initial_status(kind: str, obj: dict) -> dict:
    if kind == "Pod":
        return {"phase": "Pending", "qosClass": qos_class(obj.get("spec", {}))}
    if kind == "Namespace":
        return {"phase": "Active"}
    if kind == "PersistentVolumeClaim":
        return {"phase": "Pending"}
    if kind == "PersistentVolume":
        return {"phase": "Pending"}
    if kind == "Service":
        return {"loadBalancer": {}}
    if kind == "Node":
        return clone(obj.get("status") or {})  # kubelets register nodes with their status
    return {}


def prepare_for_update(kind: str, obj: dict, old: dict, subresource: str | None) -> None:
    """Keep the part of the object this endpoint may not change; bump generation on spec change.

    A Namespace's ``spec.finalizers`` change only through ``/finalize`` (which in turn cannot
    change the status): a plain update keeps the old list (namespace/strategy.go)."""
    if kind == "Namespace" and subresource is None:
        _keep_namespace_finalizers(obj, old)
    if kind == "Pod" and subresource in (None, "ephemeralcontainers"):
        _ephemeral_containers_only(obj, old, subresource)
    if subresource == "finalize":
        subresource = None  # otherwise like the main resource: status kept, spec free
    if kind in STATUS_SUBRESOURCE:
        if subresource == "status":
            for f in spec_fields(kind):
                if f in old:
                    obj[f] = old[f]
                else:
                    obj.pop(f, None)
            obj["metadata"] = _status_metadata(obj["metadata"], old["metadata"], kind)
        elif subresource is None:
            if "status" in old:
                obj["status"] = old["status"]
            else:
                obj.pop("status", None)
    if kind in GENERATION:
        gen = old["metadata"].get("generation", 1)
        if any(obj.get(f) != old.get(f) for f in spec_fields(kind)):
            gen += 1
        obj["metadata"]["generation"] = gen


def _ephemeral_containers_only(obj: dict, old: dict, subresource) -> None:
    """``spec.ephemeralContainers`` changes only through ``/ephemeralcontainers``, which in turn
    changes nothing else (pkg/registry/core/pod/strategy.go podEphemeralContainersStrategy)."""
    eph = (old.get("spec") or {}).get("ephemeralContainers")
    if subresource == "ephemeralcontainers":
        eph = (obj.get("spec") or {}).get("ephemeralContainers")
        obj["spec"] = dict(old.get("spec") or {})
        obj["metadata"] = _status_metadata(obj["metadata"], old["metadata"])
        if "status" in old:
            obj["status"] = old["status"]
    if not isinstance(obj.get("spec"), dict):
        return
    if eph:
        obj["spec"]["ephemeralContainers"] = eph
    else:
        obj["spec"].pop("ephemeralContainers", None)


def _keep_namespace_finalizers(obj: dict, old: dict) -> None:
    fins = (old.get("spec") or {}).get("finalizers")
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else None
    if fins is None:
        if spec is not None:
            spec.pop("finalizers", None)
    else:
        if spec is None:
            spec = obj["spec"] = {}
        spec["finalizers"] = list(fins)


def _status_metadata(new: dict, old: dict, kind: str = "") -> dict:
    """A status write cannot change metadata (upstream strategies reset it); keep the old
    metadata but carry the resourceVersion the client sent, for the conflict check.
    Exception: a Deployment's status strategy resets only spec and labels, and the deployment
    controller writes its ``deployment.kubernetes.io/revision`` annotation through /status
    (pkg/registry/apps/deployment/strategy.go)."""
    m = dict(old)
    if "resourceVersion" in new:
        m["resourceVersion"] = new["resourceVersion"]
    if kind == "Deployment":
        if new.get("annotations"):
            m["annotations"] = new["annotations"]
        else:
            m.pop("annotations", None)
    return m


def qos_class(spec: dict) -> str:
    """Guaranteed / Burstable / BestEffort, as pkg/apis/core/helper/qos computes it."""
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    requests_seen = limits_seen = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        for r in ("cpu", "memory"):
            if r in req:
                requests_seen = True
            if r in lim:
                limits_seen = True
            if r not in lim or (r in req and _q(r, req[r]) != _q(r, lim[r])):
                guaranteed = False
    if not requests_seen and not limits_seen:
        return "BestEffort"
    if guaranteed and limits_seen:
        return "Guaranteed"
    return "Burstable"
