"""Defaulting: the values the API server fills in when a manifest leaves a field out.

A real API server decodes every request into Go structs and runs the generated defaulters
(pkg/apis/*/v1/defaults.go, plus ``+default`` markers in k8s.io/api, v1.33) before anything
else. That is why ``kubectl get deploy web -o yaml`` shows ``strategy``, ``revisionHistoryLimit``
and ``progressDeadlineSeconds`` you never wrote, and why every container has an
``imagePullPolicy``. Defaults apply to pod *templates* too (Deployments, Jobs...), except the
few that upstream sets on Pods only (``enableServiceLinks``, requests copied from limits).

:func:`apply_defaults` runs on every create and update. :func:`prepare_for_create` holds the
create-only changes upstream makes in the registry strategies once the object has its UID
(the Job's generated selector, a Namespace's ``kubernetes`` finalizer).

Quantities are also rewritten in canonical form here (``0.5`` → ``500m``, ``1.5Gi`` →
``1536Mi``): the server stores ``resource.Quantity`` values and prints them canonically.

Modules: :mod:`.pods` (pods and pod templates), :mod:`.workloads` (apps, batch), :mod:`.core`
(the other kinds), :mod:`.common` (helpers).
"""
from __future__ import annotations

from .. import schema
from ..resources import REGISTRY
from ..upstream import NAMESPACE_FINALIZER_KUBERNETES
from . import core, workloads
from .common import dict_at
from .pods import pod, pod_spec

__all__ = ["apply_defaults", "prepare_for_create", "pod_spec"]


def apply_defaults(rt, obj: dict, subresource: str | None = None) -> None:
    """Decode-time checks and defaults, in place (the decoder plus ``SetObjectDefaults_*``).

    For a ``status`` write only metadata and status are decoded and defaulted: the status
    strategy throws the rest away (simplification, the result is the same)."""
    if rt.storage:  # ``obj`` is already in its stored form, another version (conversion.py)
        rt = REGISTRY.for_kind(obj.get("apiVersion", ""), rt.kind)
    if subresource == "status":
        schema.check_types(rt, obj, ("apiVersion", "kind", "metadata", "status"))
        if rt.kind == "Node":
            core.node(obj)
        return
    schema.check_types(rt, obj)
    fn = DEFAULTERS.get(rt.kind)
    if fn:
        fn(obj)


def prepare_for_create(rt, obj: dict) -> None:
    """Create-only changes of the registry strategies (``PrepareForCreate``), run after the API
    server assigned ``metadata.uid``."""
    if rt.kind == "Job":
        workloads.generate_job_selector(obj)
    elif rt.kind == "Namespace":
        # pkg/registry/core/namespace/strategy.go: ``kubernetes`` is appended to whatever
        # finalizers the manifest lists; the namespace controller removes it
        spec = dict_at(obj, "spec")
        fins = spec.get("finalizers") if isinstance(spec.get("finalizers"), list) else []
        if NAMESPACE_FINALIZER_KUBERNETES not in fins:
            fins = fins + [NAMESPACE_FINALIZER_KUBERNETES]
        spec["finalizers"] = fins


def _pod_template(obj: dict) -> None:
    pod_spec(dict_at(dict_at(obj, "template"), "spec"))


#: kind -> defaulter (in place)
DEFAULTERS = {
    "Pod": pod, "PodTemplate": _pod_template,
    "Deployment": workloads.deployment, "ReplicaSet": workloads.replicaset,
    "ReplicationController": workloads.replication_controller,
    "StatefulSet": workloads.statefulset, "DaemonSet": workloads.daemonset,
    "Job": workloads.job, "CronJob": workloads.cronjob,
    "Service": core.service, "Namespace": core.namespace, "Secret": core.secret,
    "PersistentVolumeClaim": core.pvc, "PersistentVolume": core.pv,
    "LimitRange": core.limit_range, "ResourceQuota": core.resource_quota, "Node": core.node,
    "Endpoints": core.endpoints, "HorizontalPodAutoscaler": core.hpa,
    "NetworkPolicy": core.network_policy, "RoleBinding": core.binding,
    "ClusterRoleBinding": core.binding, "PriorityClass": core.priority_class,
    "StorageClass": core.storage_class, "EndpointSlice": core.endpoint_slice,
}
