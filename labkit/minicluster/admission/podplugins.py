"""Small pod and class plugins: DefaultTolerationSeconds, Priority, DefaultStorageClass and
DefaultIngressClass (plugin/pkg/admission/*, v1.33).

- **DefaultTolerationSeconds**: every pod tolerates ``node.kubernetes.io/not-ready`` and
  ``node.kubernetes.io/unreachable`` (NoExecute) for 300 s, unless it already tolerates them.
  That is the five minutes a pod survives on a dead node before it is evicted.
- **Priority**: ``spec.priority`` comes from the pod's PriorityClass (or the global default, or
  0), and ``preemptionPolicy`` with it; a client may not set a different number.
- **DefaultStorageClass** / **DefaultIngressClass**: a claim (an Ingress) naming no class gets
  the class annotated ``is-default-class: "true"``.
"""
from __future__ import annotations

from ..upstream import (DEFAULT_NOT_READY_TOLERATION_SECONDS,
                        DEFAULT_UNREACHABLE_TOLERATION_SECONDS, TAINT_NODE_NOT_READY,
                        TAINT_NODE_UNREACHABLE)
from .common import Request, cached_list, forbidden, get, list_in

DEFAULT_STORAGE_CLASS_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class",
                                     "storageclass.beta.kubernetes.io/is-default-class")
DEFAULT_INGRESS_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"


def default_toleration_seconds(req: Request) -> None:
    if req.rt.kind != "Pod" or req.operation not in ("CREATE", "UPDATE"):
        return
    spec = req.obj.setdefault("spec", {})
    tolerations = spec.get("tolerations") or []
    not_ready = unreachable = False
    for t in tolerations:
        t = t or {}
        any_effect = t.get("effect") in (None, "", "NoExecute")
        if t.get("key") in (None, "", TAINT_NODE_NOT_READY) and any_effect:
            not_ready = True
        if t.get("key") in (None, "", TAINT_NODE_UNREACHABLE) and any_effect:
            unreachable = True
    added = []
    if not not_ready:
        added.append({"key": TAINT_NODE_NOT_READY, "operator": "Exists", "effect": "NoExecute",
                      "tolerationSeconds": DEFAULT_NOT_READY_TOLERATION_SECONDS})
    if not unreachable:
        added.append({"key": TAINT_NODE_UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                      "tolerationSeconds": DEFAULT_UNREACHABLE_TOLERATION_SECONDS})
    if added:
        spec["tolerations"] = list(tolerations) + added


def _default_priority_class(api) -> dict | None:
    """The class marked globalDefault (the lowest value if several, as upstream picks)."""
    defaults = [pc for pc in cached_list(api, "priorityclasses.scheduling.k8s.io")
                if pc.get("globalDefault")]
    return min(defaults, key=lambda pc: pc.get("value", 0)) if defaults else None


def priority(api, req: Request) -> None:
    """Priority Admit for pods on create (plugin/pkg/admission/priority)."""
    if req.rt.kind != "Pod" or req.operation != "CREATE":
        return
    spec = req.obj.setdefault("spec", {})
    name = spec.get("priorityClassName")
    if not name:
        pc = _default_priority_class(api)
        value = pc.get("value", 0) if pc else 0
        policy = pc.get("preemptionPolicy", "PreemptLowerPriority") if pc \
            else "PreemptLowerPriority"
        if pc:
            spec["priorityClassName"] = pc["metadata"]["name"]
    else:
        pc = get(api, "priorityclasses.scheduling.k8s.io", None, name)
        if pc is None:
            raise forbidden(req, f"no PriorityClass with name {name} was found")
        value, policy = pc.get("value", 0), pc.get("preemptionPolicy", "PreemptLowerPriority")
    if spec.get("priority") is not None and spec["priority"] != value:
        raise forbidden(req, f"the integer value of priority ({spec['priority']}) must not be "
                        f"provided in pod spec; priority admission controller computed {value} "
                        "from the given PriorityClass name")
    spec["priority"] = value
    if policy is not None:
        if spec.get("preemptionPolicy") is not None and spec["preemptionPolicy"] != policy:
            raise forbidden(req, f"the string value of PreemptionPolicy "
                            f"({spec['preemptionPolicy']}) must not be provided in pod spec; "
                            f"priority admission controller computed {policy} from the given "
                            "PriorityClass name")
        spec["preemptionPolicy"] = policy


def validate_priority_class(api, req: Request) -> None:
    """Only one PriorityClass may be the global default."""
    if req.rt.kind != "PriorityClass" or req.operation not in ("CREATE", "UPDATE") \
            or not req.obj.get("globalDefault"):
        return
    current = _default_priority_class(api)
    if current is not None and (req.operation == "CREATE" or
                                current["metadata"]["name"] != req.obj["metadata"].get("name")):
        raise forbidden(req, f"PriorityClass {current['metadata']['name']} is already marked as "
                        "default. Only one default can exist")


def _default_class(objects, annotations) -> str | None:
    marked = [o for o in objects if any(((o.get("metadata") or {}).get("annotations") or {})
                                        .get(a) == "true" for a in annotations)]
    if not marked:
        return None
    marked.sort(key=lambda o: (o["metadata"].get("creationTimestamp", ""),
                               o["metadata"]["name"]), reverse=True)
    return marked[0]["metadata"]["name"]  # the newest default wins (GetDefaultClass)


def default_storage_class(api, req: Request) -> None:
    if req.rt.kind != "PersistentVolumeClaim" or req.operation != "CREATE":
        return
    spec = req.obj.setdefault("spec", {})
    annotations = (req.obj.get("metadata") or {}).get("annotations") or {}
    if spec.get("storageClassName") is not None or \
            "volume.beta.kubernetes.io/storage-class" in annotations:
        return  # PersistentVolumeClaimHasClass
    name = _default_class(list_in(api, "storageclasses.storage.k8s.io"),
                          DEFAULT_STORAGE_CLASS_ANNOTATIONS)
    if name:
        spec["storageClassName"] = name


def default_ingress_class(api, req: Request) -> None:
    if req.rt.kind != "Ingress" or req.operation != "CREATE":
        return
    spec = req.obj.setdefault("spec", {})
    annotations = (req.obj.get("metadata") or {}).get("annotations") or {}
    if spec.get("ingressClassName") is not None or "kubernetes.io/ingress.class" in annotations:
        return
    name = _default_class(list_in(api, "ingressclasses.networking.k8s.io"),
                          (DEFAULT_INGRESS_CLASS_ANNOTATION,))
    if name:
        spec["ingressClassName"] = name
