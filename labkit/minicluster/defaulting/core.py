"""Defaults of the core group's other kinds (pkg/apis/core/v1/defaults.go) and of
autoscaling, networking, rbac, scheduling, storage and discovery (their */v1/defaults.go)."""
from __future__ import annotations

import base64

from .. import errors
from ..resources import REGISTRY
from ..schema.quantity import canonical
from ..upstream import DEFAULT_CPU_UTILIZATION, LABEL_METADATA_NAME
from .common import dict_at, items_of, pvc_spec, resource_list


def service(obj: dict) -> None:
    spec = dict_at(obj, "spec")
    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        cfg = dict_at(dict_at(spec, "sessionAffinityConfig"), "clientIP")
        if cfg.get("timeoutSeconds") is None:
            cfg["timeoutSeconds"] = 10800  # DefaultClientIPServiceAffinitySeconds
    if not spec.get("type"):
        spec["type"] = "ClusterIP"
    for p in items_of(spec, "ports"):
        if not p.get("protocol"):
            p["protocol"] = "TCP"
        if p.get("targetPort") in (None, 0, ""):
            p["targetPort"] = p.get("port")
    external = spec["type"] in ("NodePort", "LoadBalancer")
    if external and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"
    if spec.get("internalTrafficPolicy") is None and spec["type"] != "ExternalName":
        spec["internalTrafficPolicy"] = "Cluster"
    if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True


def namespace(obj: dict) -> None:
    meta = dict_at(obj, "metadata")
    if meta.get("name"):
        dict_at(meta, "labels")[LABEL_METADATA_NAME] = meta["name"]


_B64 = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _check_base64(rt, value: str) -> None:
    """``data`` values are []byte in Go: base64 on the wire; anything else fails decoding.
    (The reported offset is the first bad character, or the last group if the padding is
    wrong: close to Go's CorruptInputError.)"""
    stripped = value.rstrip("=")
    bad = next((i for i, ch in enumerate(stripped) if ch not in _B64), None)
    if bad is None and (len(value) % 4 or len(value) - len(stripped) > 2):
        bad = len(value) - len(value) % 4 if len(value) % 4 else len(stripped)
    if bad is not None:
        raise errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a '
                                 f"{rt.kind}: illegal base64 data at input byte {bad}")


def secret(obj: dict) -> None:
    """SetDefaults_Secret, and the v1 conversion: ``stringData`` is write-only, merged into
    ``data`` (base64) and never stored (k8s.io/kubernetes/pkg/apis/core/v1/conversion.go)."""
    rt = REGISTRY.for_name("secrets")
    for v in (obj.get("data") or {}).values():
        _check_base64(rt, str(v))
    string_data = obj.pop("stringData", None)
    if string_data:
        data = obj.get("data") or {}
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        obj["data"] = data
    if not obj.get("type"):
        obj["type"] = "Opaque"


def pvc(obj: dict) -> None:
    pvc_spec(dict_at(obj, "spec"))


def pv(obj: dict) -> None:
    """SetDefaults_PersistentVolume (phase Pending until the PV controller syncs it) and the
    hostPath source's empty ``type``."""
    spec = dict_at(obj, "spec")
    if not (obj.get("status") or {}).get("phase"):
        dict_at(obj, "status")["phase"] = "Pending"
    if isinstance(spec.get("hostPath"), dict) and spec["hostPath"].get("type") is None:
        spec["hostPath"]["type"] = ""
    if not spec.get("persistentVolumeReclaimPolicy"):
        spec["persistentVolumeReclaimPolicy"] = "Retain"
    if not spec.get("volumeMode"):
        spec["volumeMode"] = "Filesystem"
    resource_list(spec.get("capacity"))


def limit_range(obj: dict) -> None:
    """SetDefaults_LimitRangeItem: a Container item's default comes from max, its
    defaultRequest from default, then from min."""
    for item in items_of(dict_at(obj, "spec"), "limits"):
        for k in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            resource_list(item.get(k))
        if item.get("type") != "Container":
            continue
        default, request = dict_at(item, "default"), dict_at(item, "defaultRequest")
        for k, v in (item.get("max") or {}).items():
            default.setdefault(k, v)
        for k, v in default.items():
            request.setdefault(k, v)
        for k, v in (item.get("min") or {}).items():
            request.setdefault(k, v)


def resource_quota(obj: dict) -> None:
    resource_list(dict_at(obj, "spec").get("hard"))


def node(obj: dict) -> None:
    status = obj.get("status")
    if isinstance(status, dict):
        for k in ("capacity", "allocatable"):
            resource_list(status.get(k))
        if status.get("allocatable") is None and status.get("capacity") is not None:
            status["allocatable"] = dict(status["capacity"])


def endpoints(obj: dict) -> None:
    for subset in items_of(obj, "subsets"):
        for p in items_of(subset, "ports"):
            if not p.get("protocol"):
                p["protocol"] = "TCP"


# -- other groups ---------------------------------------------------------------------------
def hpa(obj: dict) -> None:
    """autoscaling/v2 SetDefaults_HorizontalPodAutoscaler (+ behavior when given); an
    autoscaling/v1 HPA arrives here already converted to v2 (conversion_autoscaling.py)."""
    spec = dict_at(obj, "spec")
    if spec.get("minReplicas") is None:
        spec["minReplicas"] = 1
    if not spec.get("metrics"):
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": DEFAULT_CPU_UTILIZATION}}}]
    for m in items_of(spec, "metrics"):
        target = (m.get("resource") or m.get("containerResource") or {}).get("target")
        if isinstance(target, dict):
            for k in ("value", "averageValue"):
                if target.get(k) is not None:
                    target[k] = canonical(target[k])
    behavior = spec.get("behavior")
    if isinstance(behavior, dict):
        up, down = dict_at(behavior, "scaleUp"), dict_at(behavior, "scaleDown")
        _scaling_rules(up, 0, [{"type": "Pods", "value": 4, "periodSeconds": 15},
                               {"type": "Percent", "value": 100, "periodSeconds": 15}])
        _scaling_rules(down, None, [{"type": "Percent", "value": 100, "periodSeconds": 15}])


def _scaling_rules(rules: dict, window, policies) -> None:
    """GenerateHPAScaleUpRules / GenerateHPAScaleDownRules."""
    if rules.get("stabilizationWindowSeconds") is None and window is not None:
        rules["stabilizationWindowSeconds"] = window
    if not rules.get("selectPolicy"):
        rules["selectPolicy"] = "Max"
    if not rules.get("policies"):
        rules["policies"] = policies


def network_policy(obj: dict) -> None:
    spec = dict_at(obj, "spec")
    for direction in ("ingress", "egress"):
        for rule in items_of(spec, direction):
            for p in items_of(rule, "ports"):
                if not p.get("protocol"):
                    p["protocol"] = "TCP"
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress"] + (["Egress"] if spec.get("egress") else [])


def binding(obj: dict) -> None:
    """rbac/v1 SetDefaults_Subject: Users and Groups belong to the RBAC API group."""
    for s in items_of(obj, "subjects"):
        if not s.get("apiGroup") and s.get("kind") in ("User", "Group"):
            s["apiGroup"] = "rbac.authorization.k8s.io"


def priority_class(obj: dict) -> None:
    if not obj.get("preemptionPolicy"):
        obj["preemptionPolicy"] = "PreemptLowerPriority"


def storage_class(obj: dict) -> None:
    if not obj.get("reclaimPolicy"):
        obj["reclaimPolicy"] = "Delete"
    if not obj.get("volumeBindingMode"):
        obj["volumeBindingMode"] = "Immediate"


def endpoint_slice(obj: dict) -> None:
    for p in items_of(obj, "ports"):
        if not p.get("protocol"):
            p["protocol"] = "TCP"
