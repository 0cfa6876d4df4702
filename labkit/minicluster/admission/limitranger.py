"""LimitRanger (plugin/pkg/admission/limitranger/admission.go, v1.33).

A LimitRange in a namespace does two things to new pods:

- **mutating**: a container without a request/limit for a resource gets the range's
  ``defaultRequest`` / ``default``, and the pod is annotated ``kubernetes.io/limit-ranger:
  LimitRanger plugin set: cpu request for container app``;
- **validating**: min, max and maxLimitRequestRatio are enforced per Container (or per Pod, on
  the sums), and per PersistentVolumeClaim storage request. A violation is a 403::

      pods "web" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m

Pod updates are not checked (containers' resources cannot change through an update).
"""
from __future__ import annotations

from ..schema.quantity import format_quantity, parse, text_of, value_or_none
from ..upstream import LIMIT_RANGER_ANNOTATION
from .common import Request, aggregate, forbidden, has_any, list_in


def _limit_ranges(api, ns: str) -> list[dict]:
    if not has_any(api, "limitranges", ns):
        return []
    return list_in(api, "limitranges", ns)


def _merge(c: dict, defaults: dict, requests: dict, what: str, notes: list[str]) -> None:
    res = c.setdefault("resources", {})
    limits = res.setdefault("limits", {}) if defaults else res.get("limits")
    reqs = res.setdefault("requests", {}) if requests else res.get("requests")
    set_limits = [k for k in sorted(defaults) if k not in limits] if defaults else []
    set_requests = [k for k in sorted(requests) if k not in reqs] if requests else []
    for k in set_limits:
        limits[k] = defaults[k]
    for k in set_requests:
        reqs[k] = requests[k]
    if not res.get("limits"):
        res.pop("limits", None)
    if not res.get("requests"):
        res.pop("requests", None)
    if set_requests:
        notes.append(", ".join(set_requests) + f" request for {what} {c.get('name')}")
    if set_limits:
        notes.append(", ".join(set_limits) + f" limit for {what} {c.get('name')}")


def admit(api, req: Request) -> None:
    """Default container requests and limits from each LimitRange's Container item."""
    if req.rt.kind != "Pod" or req.operation != "CREATE":
        return
    for lr in _limit_ranges(api, req.namespace):
        defaults, requests = {}, {}
        for item in (lr.get("spec") or {}).get("limits") or ():
            if (item or {}).get("type") == "Container":
                requests.update(item.get("defaultRequest") or {})
                defaults.update(item.get("default") or {})
        if not defaults and not requests:
            continue
        spec, notes = req.obj.setdefault("spec", {}), []
        for c in spec.get("containers") or ():
            _merge(c, defaults, requests, "container", notes)
        for c in spec.get("initContainers") or ():
            _merge(c, defaults, requests, "init container", notes)
        if notes:
            meta = req.obj.setdefault("metadata", {})
            meta.setdefault("annotations", {})[LIMIT_RANGER_ANNOTATION] = \
                "LimitRanger plugin set: " + "; ".join(notes)


def _min(kind, name, enforced, request, limit) -> str | None:
    req, lim, want = value_or_none(request.get(name)), value_or_none(limit.get(name)), value_or_none(enforced)
    if name not in request:
        return f"minimum {name} usage per {kind} is {text_of(enforced)}.  No request is specified"
    if req is not None and req < want:
        return f"minimum {name} usage per {kind} is {text_of(enforced)}, but request is " \
               f"{text_of(request[name])}"
    if lim is not None and lim < want:
        return f"minimum {name} usage per {kind} is {text_of(enforced)}, but limit is " \
               f"{text_of(limit[name])}"
    return None


def _max(kind, name, enforced, request, limit) -> str | None:
    req, lim, want = value_or_none(request.get(name)), value_or_none(limit.get(name)), value_or_none(enforced)
    if name not in limit:
        return f"maximum {name} usage per {kind} is {text_of(enforced)}.  No limit is specified"
    if lim is not None and lim > want:
        return f"maximum {name} usage per {kind} is {text_of(enforced)}, but limit is " \
               f"{text_of(limit[name])}"
    if req is not None and req > want:
        return f"maximum {name} usage per {kind} is {text_of(enforced)}, but request is " \
               f"{text_of(request[name])}"
    return None


def _ratio(kind, name, enforced, request, limit) -> str | None:
    req, lim = value_or_none(request.get(name)) or 0, value_or_none(limit.get(name)) or 0
    if not req:
        return f"{name} max limit to request ratio per {kind} is {text_of(enforced)}, but no request " \
               "is specified or request is 0"
    if not lim:
        return f"{name} max limit to request ratio per {kind} is {text_of(enforced)}, but no limit is " \
               "specified or limit is 0"
    ratio = (lim * 1000) / (req * 1000)
    if ratio > value_or_none(enforced):
        return f"{name} max limit to request ratio per {kind} is {text_of(enforced)}, but provided " \
               f"ratio is {float(ratio):f}"
    return None


def _check(kind: str, item: dict, request: dict, limit: dict) -> list[str]:
    out = []
    for field, fn in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        for name, enforced in sorted((item.get(field) or {}).items()):
            msg = fn(kind, name, enforced, request, limit)
            if msg:
                out.append(msg)
    return out


def _pod_totals(spec: dict, field: str) -> dict:
    """Pod-level requests/limits: containers summed, init containers as a maximum (the sum
    keeps the first quantity's format, as Quantity.Add does)."""
    total: dict = {}
    for c in spec.get("containers") or ():
        for k, v in (((c.get("resources") or {}).get(field)) or {}).items():
            amount, fmt = parse(v)
            prev = total.get(k)
            total[k] = (prev[0] + amount, prev[1]) if prev else (amount, fmt)
    for c in spec.get("initContainers") or ():
        for k, v in (((c.get("resources") or {}).get(field)) or {}).items():
            amount, fmt = parse(v)
            if k not in total or amount > total[k][0]:
                total[k] = (amount, fmt)
    return {k: format_quantity(a, f) for k, (a, f) in total.items()}


def validate(api, req: Request) -> None:
    """Enforce min/max/ratio on new pods and on claims."""
    kind = req.rt.kind
    if (kind == "Pod" and req.operation != "CREATE") or \
            kind not in ("Pod", "PersistentVolumeClaim") or \
            (req.old or {}).get("metadata", {}).get("deletionTimestamp"):
        return
    for lr in _limit_ranges(api, req.namespace):
        errors = []
        for item in (lr.get("spec") or {}).get("limits") or ():
            item = item or {}
            ltype = item.get("type")
            if kind == "PersistentVolumeClaim" and ltype == "PersistentVolumeClaim":
                requests = ((req.obj.get("spec") or {}).get("resources") or {}).get("requests") \
                    or {}
                for name, enforced in sorted((item.get("min") or {}).items()):
                    msg = _min(ltype, name, enforced, requests, {})
                    errors += [msg] if msg else []
                for name, enforced in sorted((item.get("max") or {}).items()):
                    if name not in requests:
                        errors.append(f"maximum {name} usage per {ltype} is {text_of(enforced)}.  "
                                      "No request is specified")
                    elif (value_or_none(requests[name]) or 0) > (value_or_none(enforced) or 0):
                        errors.append(f"maximum {name} usage per {ltype} is {text_of(enforced)}, "
                                      f"but request is {text_of(requests[name])}")
            elif kind == "Pod" and ltype == "Container":
                spec = req.obj.get("spec") or {}
                for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
                    res = c.get("resources") or {}
                    errors += _check(ltype, item, res.get("requests") or {},
                                     res.get("limits") or {})
            elif kind == "Pod" and ltype == "Pod":
                spec = req.obj.get("spec") or {}
                errors += _check(ltype, item, _pod_totals(spec, "requests"),
                                 _pod_totals(spec, "limits"))
        if errors:
            raise forbidden(req, aggregate(errors))
