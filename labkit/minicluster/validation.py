"""Validation: the API server's checks of an object, reported as field-path errors (422 Invalid).

(Initial version: the lead's minimal set; extended by the API machinery work.)
"""
from __future__ import annotations

import re

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def cause(field, reason, message):
    return {"reason": reason, "message": message, "field": field}


def required(field):
    return cause(field, "FieldValueRequired", "Required value")


def validate(rt, obj: dict, old: dict | None) -> list[dict]:
    """All problems with ``obj`` as a list of causes (empty when valid)."""
    causes = _metadata(rt, obj.get("metadata") or {})
    fn = _VALIDATORS.get(rt.kind)
    if fn:
        causes += fn(obj)
    return causes


def _metadata(rt, meta) -> list:
    name = meta.get("name")
    if not name:
        return [required("metadata.name") | {"message": "Required value: name or generateName is required"}]
    if not _DNS1123_SUBDOMAIN.match(str(name)) or len(str(name)) > 253:
        return [cause("metadata.name", "FieldValueInvalid",
                      f'Invalid value: "{name}": a lowercase RFC 1123 subdomain must consist of lower case '
                      "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
                      "character (e.g. 'example.com', regex used for validation is "
                      "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    return []


def _pod_spec(spec, path) -> list:
    out = []
    containers = spec.get("containers")
    if not containers:
        return [required(f"{path}.containers")]
    for i, c in enumerate(containers):
        if not isinstance(c, dict):
            out.append(cause(f"{path}.containers[{i}]", "FieldValueInvalid", "Invalid value"))
            continue
        if not c.get("name"):
            out.append(required(f"{path}.containers[{i}].name"))
        if not c.get("image"):
            out.append(required(f"{path}.containers[{i}].image"))
    return out


def _pod(obj):
    return _pod_spec(obj.get("spec") or {}, "spec")


def _workload(obj):
    spec = obj.get("spec") or {}
    out = []
    if obj["kind"] != "ReplicationController" and not spec.get("selector"):
        out.append(required("spec.selector"))
    tpl = spec.get("template") or {}
    out += _pod_spec(tpl.get("spec") or {}, "spec.template.spec")
    return out


_VALIDATORS = {"Pod": _pod, "Deployment": _workload, "ReplicaSet": _workload,
               "StatefulSet": _workload, "DaemonSet": _workload, "ReplicationController": _workload}
