"""HorizontalPodAutoscalers in two API versions: ``autoscaling/v2`` stored, ``autoscaling/v1``
converted on the way in and out (pkg/apis/autoscaling/v1/conversion.go, Kubernetes 1.33).

An HPA is one object whichever version a client uses: ``kubectl autoscale`` writes v2, an old
manifest may say ``autoscaling/v1``, and ``kubectl get hpa`` reads v2 either way. v1 has room
for one CPU target (``spec.targetCPUUtilizationPercentage``) and one reading
(``status.currentCPUUtilizationPercentage``); everything else v2 knows travels in annotations,
JSON-encoded in v1's own (older) metric shapes, so that a v1 client that reads, edits and writes
an HPA back loses nothing:

=================================================  ==========================================
``autoscaling.alpha.kubernetes.io/metrics``        the metrics other than a CPU utilization
                                                   target (``spec.metrics`` in v2)
``autoscaling.alpha.kubernetes.io/current-metrics``  ``status.currentMetrics``, all of them
``autoscaling.alpha.kubernetes.io/conditions``     ``status.conditions``
=================================================  ==========================================

Writing a v1 object reverses this: the annotations are read back into the v2 fields and
dropped; a v1 HPA without any target gets the CPU 80 % default v1 always implied.
Simplification: v2 ``spec.behavior`` is not carried through v1 (upstream's v1 conversion
does not carry it either; its REST strategy keeps the stored one on update).
"""
from __future__ import annotations

import json

from .upstream import DEFAULT_CPU_UTILIZATION

V1 = "autoscaling/v1"
METRICS, CURRENT_METRICS, CONDITIONS = ("autoscaling.alpha.kubernetes.io/" + k for k in
                                        ("metrics", "current-metrics", "conditions"))


def go_json(value) -> str:
    """Compact JSON as Go's ``json.Marshal`` writes it (``<``, ``>``, ``&`` escaped for HTML)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _set(out: dict, key: str, value) -> None:
    if value is not None:
        out[key] = value


def _cpu_utilization_target(metric: dict):
    res = metric.get("resource") or {}
    if metric.get("type") == "Resource" and res.get("name") == "cpu":
        return (res.get("target") or {}).get("averageUtilization")
    return None


# -- metric specs: v2 {metric, target} <-> v1 {metricName, targetValue...} ----------------------
def spec_to_v1(m: dict) -> dict:
    """Convert_autoscaling_MetricSpec_To_v1_MetricSpec."""
    mtype, out = m.get("type", ""), {"type": m.get("type", "")}
    if mtype in ("Resource", "ContainerResource"):
        src = m.get("resource" if mtype == "Resource" else "containerResource") or {}
        target, v1 = src.get("target") or {}, {"name": src.get("name", "")}
        _set(v1, "targetAverageUtilization", target.get("averageUtilization"))
        _set(v1, "targetAverageValue", target.get("averageValue"))
        if mtype == "ContainerResource":
            v1["container"] = src.get("container", "")
        out["resource" if mtype == "Resource" else "containerResource"] = v1
    elif mtype == "Pods":
        src = m.get("pods") or {}
        v1 = {"metricName": (src.get("metric") or {}).get("name", ""),
              "targetAverageValue": (src.get("target") or {}).get("averageValue") or "0"}
        _set(v1, "selector", (src.get("metric") or {}).get("selector"))
        out["pods"] = v1
    elif mtype == "Object":
        src = m.get("object") or {}
        target, metric = src.get("target") or {}, src.get("metric") or {}
        v1 = {"target": src.get("describedObject") or {}, "metricName": metric.get("name", ""),
              "targetValue": target.get("value") or "0"}
        _set(v1, "selector", metric.get("selector"))
        _set(v1, "averageValue", target.get("averageValue"))
        out["object"] = v1
    elif mtype == "External":
        src = m.get("external") or {}
        target, metric = src.get("target") or {}, src.get("metric") or {}
        v1 = {"metricName": metric.get("name", "")}
        _set(v1, "metricSelector", metric.get("selector"))
        _set(v1, "targetValue", target.get("value"))
        _set(v1, "targetAverageValue", target.get("averageValue"))
        out["external"] = v1
    return out


def spec_from_v1(m: dict) -> dict:
    """Convert_v1_MetricSpec_To_autoscaling_MetricSpec: the target type follows from which
    value is set."""
    mtype, out = m.get("type", ""), {"type": m.get("type", "")}
    if mtype in ("Resource", "ContainerResource"):
        src = m.get("resource" if mtype == "Resource" else "containerResource") or {}
        util = src.get("targetAverageUtilization")
        target = {"type": "AverageValue" if util is None else "Utilization"}
        _set(target, "averageUtilization", util)
        _set(target, "averageValue", src.get("targetAverageValue"))
        v2 = {"name": src.get("name", ""), "target": target}
        if mtype == "ContainerResource":
            v2["container"] = src.get("container", "")
        out["resource" if mtype == "Resource" else "containerResource"] = v2
    elif mtype == "Pods":
        src = m.get("pods") or {}
        out["pods"] = {"metric": _identifier(src.get("metricName"), src.get("selector")),
                       "target": {"type": "AverageValue",
                                  "averageValue": src.get("targetAverageValue") or "0"}}
    elif mtype == "Object":
        src = m.get("object") or {}
        target = {"type": "Value" if src.get("averageValue") is None else "AverageValue",
                  "value": src.get("targetValue") or "0"}
        _set(target, "averageValue", src.get("averageValue"))
        out["object"] = {"describedObject": src.get("target") or {},
                         "metric": _identifier(src.get("metricName"), src.get("selector")),
                         "target": target}
    elif mtype == "External":
        src = m.get("external") or {}
        target = {"type": "AverageValue" if src.get("targetValue") is None else "Value"}
        _set(target, "value", src.get("targetValue"))
        _set(target, "averageValue", src.get("targetAverageValue"))
        out["external"] = {"metric": _identifier(src.get("metricName"), src.get("metricSelector")),
                           "target": target}
    return out


def _identifier(name, selector) -> dict:
    out = {"name": name or ""}
    _set(out, "selector", selector)
    return out


# -- metric statuses ------------------------------------------------------------------------
def status_to_v1(m: dict) -> dict:
    """Convert_autoscaling_MetricStatus_To_v1_MetricStatus (an empty entry, ``{"type": ""}``,
    a metric the controller could not read, stays empty)."""
    mtype, out = m.get("type", ""), {"type": m.get("type", "")}
    key = {"Resource": "resource", "ContainerResource": "containerResource", "Pods": "pods",
           "Object": "object", "External": "external"}.get(mtype)
    src = m.get(key) if key else None
    if src is None:
        return out
    current, metric = src.get("current") or {}, src.get("metric") or {}
    if mtype in ("Resource", "ContainerResource"):
        v1 = {"name": src.get("name", "")}
        _set(v1, "currentAverageUtilization", current.get("averageUtilization"))
        v1["currentAverageValue"] = current.get("averageValue") or "0"
        if mtype == "ContainerResource":
            v1["container"] = src.get("container", "")
    elif mtype == "Pods":
        v1 = {"metricName": metric.get("name", ""),
              "currentAverageValue": current.get("averageValue") or "0"}
        _set(v1, "selector", metric.get("selector"))
    elif mtype == "Object":
        v1 = {"target": src.get("describedObject") or {}, "metricName": metric.get("name", ""),
              "currentValue": current.get("value") or "0"}
        _set(v1, "selector", metric.get("selector"))
        _set(v1, "averageValue", current.get("averageValue"))
    else:
        v1 = {"metricName": metric.get("name", "")}
        _set(v1, "metricSelector", metric.get("selector"))
        v1["currentValue"] = current.get("value") or "0"
        _set(v1, "currentAverageValue", current.get("averageValue"))
    out[key] = v1
    return out


def status_from_v1(m: dict) -> dict:
    """Convert_v1_MetricStatus_To_autoscaling_MetricStatus."""
    mtype, out = m.get("type", ""), {"type": m.get("type", "")}
    if mtype in ("Resource", "ContainerResource"):
        key = "resource" if mtype == "Resource" else "containerResource"
        src = m.get(key) or {}
        current = {}
        _set(current, "averageValue", src.get("currentAverageValue") or "0")
        _set(current, "averageUtilization", src.get("currentAverageUtilization"))
        out[key] = {"name": src.get("name", ""), "current": current}
        if mtype == "ContainerResource":
            out[key]["container"] = src.get("container", "")
    elif mtype == "Pods":
        src = m.get("pods") or {}
        out["pods"] = {"metric": _identifier(src.get("metricName"), src.get("selector")),
                       "current": {"averageValue": src.get("currentAverageValue") or "0"}}
    elif mtype == "Object":
        src = m.get("object") or {}
        current = {"value": src.get("currentValue") or "0"}
        _set(current, "averageValue", src.get("averageValue"))
        out["object"] = {"metric": _identifier(src.get("metricName"), src.get("selector")),
                         "current": current, "describedObject": src.get("target") or {}}
    elif mtype == "External":
        src = m.get("external") or {}
        current = {"value": src.get("currentValue") or "0"}
        _set(current, "averageValue", src.get("currentAverageValue"))
        out["external"] = {"metric": _identifier(src.get("metricName"), src.get("metricSelector")),
                           "current": current}
    return out


def _condition_to_v1(c: dict) -> dict:
    out = {"type": c.get("type", ""), "status": c.get("status", "")}
    for k in ("lastTransitionTime", "reason", "message"):
        if c.get(k):
            out[k] = c[k]
    return out


# -- whole objects --------------------------------------------------------------------------
def to_v1(obj: dict) -> dict:
    """A stored (v2) HPA as an ``autoscaling/v1`` client sees it. ``obj`` is not modified."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    metrics = spec.get("metrics") or []
    v1_spec = {"scaleTargetRef": spec.get("scaleTargetRef") or {}}
    _set(v1_spec, "minReplicas", spec.get("minReplicas"))
    v1_spec["maxReplicas"] = spec.get("maxReplicas", 0)
    cpu = next((m for m in metrics if m.get("type") == "Resource"
                and (m.get("resource") or {}).get("name") == "cpu"), None)
    _set(v1_spec, "targetCPUUtilizationPercentage", _cpu_utilization_target(cpu or {}))
    others = [spec_to_v1(m) for m in metrics if _cpu_utilization_target(m) is None]
    v1_status = {}
    for k in ("observedGeneration", "lastScaleTime"):
        _set(v1_status, k, status.get(k))
    v1_status["currentReplicas"] = status.get("currentReplicas", 0)
    v1_status["desiredReplicas"] = status.get("desiredReplicas", 0)
    for m in status.get("currentMetrics") or []:
        res = m.get("resource") or {}
        if m.get("type") == "Resource" and res.get("name") == "cpu":
            _set(v1_status, "currentCPUUtilizationPercentage",
                 (res.get("current") or {}).get("averageUtilization"))
    meta = dict(obj.get("metadata") or {})
    extra = {}
    if others:
        extra[METRICS] = go_json(others)
    if status.get("currentMetrics"):
        extra[CURRENT_METRICS] = go_json([status_to_v1(m) for m in status["currentMetrics"]])
    if status.get("conditions"):
        extra[CONDITIONS] = go_json([_condition_to_v1(c) for c in status["conditions"]])
    if extra:
        meta["annotations"] = dict(sorted({**(meta.get("annotations") or {}), **extra}.items()))
    return {"apiVersion": V1, "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": v1_spec, "status": v1_status}


def from_v1(obj: dict) -> dict:
    """An ``autoscaling/v1`` request body in its stored (v2) form."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    meta = dict(obj.get("metadata") or {})
    notes = dict(meta.get("annotations") or {})
    metrics = []
    if spec.get("targetCPUUtilizationPercentage") is not None:
        metrics = [_cpu_target(spec["targetCPUUtilizationPercentage"])]
    if METRICS in notes:
        metrics = [spec_from_v1(m) for m in _annotation(notes.pop(METRICS))] + metrics
    v2_spec = {k: spec[k] for k in ("scaleTargetRef", "minReplicas", "maxReplicas") if k in spec}
    v2_spec["metrics"] = metrics or [_cpu_target(DEFAULT_CPU_UTILIZATION)]
    v2_status = {k: status[k] for k in ("observedGeneration", "lastScaleTime", "currentReplicas",
                                        "desiredReplicas") if k in status}
    if status.get("currentCPUUtilizationPercentage") is not None:
        v2_status["currentMetrics"] = [{"type": "Resource", "resource": {"name": "cpu", "current": {
            "averageUtilization": status["currentCPUUtilizationPercentage"]}}}]
    if CURRENT_METRICS in notes:
        v2_status["currentMetrics"] = [status_from_v1(m)
                                       for m in _annotation(notes.pop(CURRENT_METRICS))]
    if CONDITIONS in notes:
        v2_status["conditions"] = _annotation(notes.pop(CONDITIONS))
    if notes:
        meta["annotations"] = notes
    else:
        meta.pop("annotations", None)
    out = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
           "spec": v2_spec}
    if v2_status or "status" in obj:
        out["status"] = v2_status
    return out


def _cpu_target(percent) -> dict:
    return {"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": percent}}}


def _annotation(text: str) -> list:
    """A round-trip annotation's list; anything else fails the request as upstream's decoder
    does (a ValueError becomes a 400 BadRequest in the API server)."""
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"json: cannot unmarshal {type(value).__name__} into a list of objects")
    return value
