"""The ``/scale`` subresource: one small view of every scalable workload (autoscaling/v1
``Scale``), so that ``kubectl scale`` and the HorizontalPodAutoscaler work on Deployments,
ReplicaSets, StatefulSets and ReplicationControllers alike without knowing their shapes.

``spec.replicas`` is the workload's; ``status.selector`` is its pod selector as a string, which
is how the HPA controller finds the pods whose metrics it averages.
"""
from __future__ import annotations

from .objects import clone
from .selectors import from_label_selector, selector_from_map


def scale_of(obj: dict) -> dict:
    """The autoscaling/v1 Scale view of a Deployment/ReplicaSet/StatefulSet/RC."""
    m = obj["metadata"]
    sel = obj["spec"].get("selector")
    if obj["kind"] == "ReplicationController":
        selector = str(selector_from_map(sel))
    else:
        selector = str(from_label_selector(sel)) if sel else ""
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": m["name"], "namespace": m.get("namespace"), "uid": m["uid"],
                         "resourceVersion": m["resourceVersion"],
                         "creationTimestamp": m["creationTimestamp"]},
            "spec": {"replicas": obj["spec"].get("replicas", 0)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": selector}}


def get_scale(api, resource, name: str, namespace: str, user) -> dict:
    """GET .../NAME/scale: needs ``get`` on ``RESOURCE/scale`` (not on the resource itself)."""
    return scale_of(api.get(resource, name, namespace, user=user, subresource="scale"))


def update_scale(api, resource, name: str, namespace: str, replicas: int, user,
                 field_manager: str | None = None) -> dict:
    """PUT .../NAME/scale with a new ``spec.replicas``: needs ``update`` on ``RESOURCE/scale``;
    the write is recorded in managedFields with ``subresource: scale``."""
    obj = clone(api.get(resource, name, namespace, user=user, subresource="scale"))
    obj["spec"]["replicas"] = replicas
    return scale_of(api.update(resource, obj, namespace, subresource="scale", user=user,
                               field_manager=field_manager))
