"""Small helpers over Kubernetes objects, which are plain dicts shaped like the API's JSON."""
from __future__ import annotations

import sys

import orjson


def clone(obj):
    """A deep copy of a JSON-like object (several times faster than ``copy.deepcopy``)."""
    return orjson.loads(orjson.dumps(obj))


def dumps(obj) -> bytes:
    return orjson.dumps(obj)


def loads(data: bytes):
    return orjson.loads(data)


def meta(obj: dict) -> dict:
    return obj.setdefault("metadata", {})


def key_of(obj: dict) -> str:
    """The informer cache key: ``namespace/name`` (or ``name`` for cluster-scoped objects).

    The string is interned: the informer, the scheduler and the garbage collector each keep
    the keys of 150,000 pods, and one shared string per pod is 160 bytes less than three."""
    m = obj["metadata"]
    ns = m.get("namespace")
    return sys.intern(f"{ns}/{m['name']}") if ns else m["name"]


_LAST_VIEW: list = [None, None]  # (object, its view): the kubelet and the scheduler share one


def without_status(obj: dict) -> dict:
    """``obj`` without its ``status``: a new top-level dict sharing everything else (read-only).

    What a component keeps of a pod for the pod's whole life when it needs only the desired
    state: the kubelet and the scheduler keep their pods' metadata and spec, and the status
    (half of a Running pod's memory) stays with the packed copy in the informer
    (:class:`~.informer.PackedCache`). Called twice for one object, it returns one view."""
    if _LAST_VIEW[0] is obj:
        return _LAST_VIEW[1]
    view = {k: v for k, v in obj.items() if k != "status"}
    _LAST_VIEW[0], _LAST_VIEW[1] = obj, view
    return view


def owner_of(obj: dict, kind: str | None = None) -> dict | None:
    """The controlling ownerReference (``controller: true``), optionally of a given kind."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or ():
        if ref.get("controller") and (kind is None or ref.get("kind") == kind):
            return ref
    return None


def owner_reference(owner: dict, controller: bool = True, block: bool = True) -> dict:
    """An ownerReference pointing at ``owner``, as controllers set on what they create."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": controller, "blockOwnerDeletion": block}


def default_container(pod: dict) -> str:
    """The container kubectl uses when none is named (kubectl/pkg/cmd/util/podcmd
    ``FindOrDefaultContainerByName``): the one the ``kubectl.kubernetes.io/default-container``
    annotation names, if it exists, else the first."""
    names = [c["name"] for c in (pod.get("spec") or {}).get("containers") or ()]
    wanted = (pod["metadata"].get("annotations") or {}).get("kubectl.kubernetes.io/default-container")
    return wanted if wanted in names else (names[:1] or [""])[0]


def condition(obj: dict, ctype: str) -> dict | None:
    for c in obj.get("status", {}).get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def is_condition_true(obj: dict, ctype: str) -> bool:
    c = condition(obj, ctype)
    return bool(c) and c.get("status") == "True"


def set_condition(status: dict, ctype: str, cstatus: str, reason: str, message: str, now: str,
                  probe_time: bool = False, update_time: bool = False) -> bool:
    """Set a status condition; ``lastTransitionTime`` changes only when the status flips.

    ``update_time`` adds ``lastUpdateTime`` (Deployments), ``probe_time`` adds ``lastProbeTime``
    (Pods, as null). Returns True when anything changed.
    """
    conds = status.setdefault("conditions", [])
    for c in conds:
        if c["type"] == ctype:
            changed = (c.get("status"), c.get("reason"), c.get("message")) != (cstatus, reason, message)
            if c.get("status") != cstatus:
                c["lastTransitionTime"] = now
            if changed and update_time:
                c["lastUpdateTime"] = now
            c.update({"status": cstatus, "reason": reason, "message": message})
            if not reason:
                c.pop("reason"); c.pop("message")
            return changed
    c = {"type": ctype, "status": cstatus}
    if probe_time:
        c["lastProbeTime"] = None
    if update_time:
        c["lastUpdateTime"] = now
    c["lastTransitionTime"] = now
    if reason:
        c["reason"], c["message"] = reason, message
    conds.append(c)
    return True
