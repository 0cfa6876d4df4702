"""Defaulting: the values the API server fills in when a manifest leaves a field out.

(Initial version: the lead's minimal set; extended by the API machinery work.)
"""
from __future__ import annotations


def apply_defaults(rt, obj: dict) -> None:
    """Fill defaults in place, as the API server does when it decodes a request."""
    fn = _DEFAULTERS.get(rt.kind)
    if fn:
        fn(obj)


def _pod_spec(spec: dict) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for c in spec.get("containers") or []:
        if isinstance(c, dict):
            _container(c)
    for c in spec.get("initContainers") or []:
        if isinstance(c, dict):
            _container(c)


def _container(c: dict) -> None:
    image = str(c.get("image", ""))
    tag = image.rsplit("/", 1)[-1]
    latest = "@" not in tag and (":" not in tag or tag.endswith(":latest"))
    c.setdefault("imagePullPolicy", "Always" if latest else "IfNotPresent")
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("resources", {})
    for p in c.get("ports") or []:
        if isinstance(p, dict):
            p.setdefault("protocol", "TCP")


def _pod(obj):
    _pod_spec(obj.setdefault("spec", {}))


def _template(obj):
    tpl = obj.setdefault("spec", {}).setdefault("template", {})
    if isinstance(tpl, dict):
        _pod_spec(tpl.setdefault("spec", {}))


def _deployment(obj):
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    st = spec.setdefault("strategy", {})
    if isinstance(st, dict):
        st.setdefault("type", "RollingUpdate")
        if st["type"] == "RollingUpdate":
            ru = st.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", "25%")
            ru.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _template(obj)


def _replicaset(obj):
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    _template(obj)


_DEFAULTERS = {"Pod": _pod, "Deployment": _deployment, "ReplicaSet": _replicaset,
               "ReplicationController": _replicaset, "StatefulSet": _replicaset,
               "DaemonSet": _template, "Job": _template}
