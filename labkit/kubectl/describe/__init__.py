"""``kubectl describe``: a human-readable page about one object, with related information
(its pods, its ReplicaSets, the events about it) gathered from the API.

Unlike ``get``, describe is done entirely by kubectl on the client side
(staging/src/k8s.io/kubectl/pkg/describe/describe.go): it reads the object and the related ones,
then prints label/value lines aligned with a tabwriter. Kinds without a dedicated describer get
the generic one, which prints every field of the object.

    describe(backend, resource_type, obj) -> str
"""
from __future__ import annotations

import re

from . import cluster, more, pods, storage, workloads
from .writer import PrefixWriter, annotations_multiline, events_section, labels_multiline, \
    search_events

DESCRIBERS = {
    "Pod": lambda o, api, ev, now: pods.describe_pod(o, ev, now),
    "Deployment": workloads.describe_deployment,
    "ReplicaSet": workloads.describe_replicaset,
    "ReplicationController": workloads.describe_replicationcontroller,
    "StatefulSet": workloads.describe_statefulset,
    "DaemonSet": workloads.describe_daemonset,
    "Job": workloads.describe_job,
    "CronJob": workloads.describe_cronjob,
    "Node": cluster.describe_node,
    "Namespace": cluster.describe_namespace,
    "Service": cluster.describe_service,
    "Endpoints": cluster.describe_endpoints,
    "ConfigMap": cluster.describe_configmap,
    "Secret": cluster.describe_secret,
    "ServiceAccount": cluster.describe_serviceaccount,
    "ResourceQuota": cluster.describe_resourcequota,
    "LimitRange": cluster.describe_limitrange,
    "Role": cluster.describe_role,
    "ClusterRole": cluster.describe_role,
    "RoleBinding": cluster.describe_rolebinding,
    "ClusterRoleBinding": cluster.describe_rolebinding,
    "HorizontalPodAutoscaler": more.describe_hpa,
    "Ingress": more.describe_ingress,
    "PersistentVolumeClaim": storage.describe_pvc,
    "PersistentVolume": storage.describe_pv,
    "StorageClass": storage.describe_storageclass,
}

#: describers that never show events (upstream does not search them)
_NO_EVENTS = {"Namespace", "Secret", "ResourceQuota", "LimitRange", "Role", "ClusterRole",
              "RoleBinding", "ClusterRoleBinding"}


def events_for(api, kind: str, obj: dict) -> list[dict]:
    """The events describe shows: pods are matched without their kind (as upstream), nodes by
    their UID and by their name (kubelets report node events with the name as UID)."""
    if kind == "Pod":
        return search_events(api, obj, with_kind=False)
    if kind == "Node":
        by_uid = search_events(api, obj)
        return by_uid + search_events(api, obj, uid=obj["metadata"]["name"])
    return search_events(api, obj)


def describe(backend, rt, obj: dict, api=None, show_events: bool = True) -> str:
    """The describe page for ``obj`` (a dict of type ``rt``)."""
    api = api or backend.api
    now = backend.now()
    obj.setdefault("kind", rt.kind)
    obj.setdefault("apiVersion", rt.api_version)
    events = None
    if show_events and rt.kind not in _NO_EVENTS:
        events = events_for(api, rt.kind, obj)
    fn = DESCRIBERS.get(rt.kind)
    if fn is None:
        return generic(obj, events, now)
    return fn(obj, api, events, now)


# -- the generic describer ------------------------------------------------------------------------

_SKIP = {".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels",
         ".metadata.annotations"}
_ACRONYMS = {"API", "URL", "UID", "GUID"}


def generic(obj: dict, events, now) -> str:
    """genericDescriber: name, labels, annotations, then every field with a readable label."""
    w = PrefixWriter()
    meta = obj.get("metadata") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    _content(w, 0, obj, "")
    events_section(w, events, now)
    return w.text()


def _scalar(v) -> str:
    from ..formatting import go_sprint
    return go_sprint(v)


def _content(w: PrefixWriter, level: int, content: dict, prefix: str) -> None:
    for field in sorted(content):
        value, path = content[field], f"{prefix}.{field}"
        if path in _SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _content(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _content(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_scalar(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_scalar(value)}\n")


def smart_label(field: str) -> str:
    """smartLabelFor: ``apiVersion`` → ``API Version``, ``creationTimestamp`` →
    ``Creation Timestamp``; names with other characters are kept as they are."""
    if any(not (c.isalpha() or c == "-") for c in field):
        return field
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z]|$|-)|[A-Z]?[a-z]+|[A-Z]+|-", field)
    out = []
    for part in parts:
        if part.upper() in _ACRONYMS:
            out.append(part.upper())
        elif part == part.lower():
            out.append(part[:1].upper() + part[1:])
        else:
            out.append(part)
    return " ".join(out)
