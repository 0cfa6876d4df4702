"""ResourceQuota admission (k8s.io/apiserver/pkg/admission/plugin/resourcequota and the quota
evaluators of pkg/quota/v1/evaluator/core, v1.33).

For each quota of the namespace that tracks what a new object consumes:

- a quota on compute resources requires every container to state them (403 ``failed quota:
  compute-resources: must specify limits.cpu for: nginx; requests.cpu for: nginx``);
- usage plus the new object's usage must stay within ``hard`` (403 ``exceeded quota:
  pod-demo, requested: pods=1, used: pods=2, limited: pods=2``);
- on success the quota's ``status.used`` is charged, as the admission plugin does.

Simplifications: usage is recomputed from the stored objects (what the quota controller would
find), not kept incrementally; the quota's ``status.hard`` is taken from ``spec.hard``
(upstream waits for the controller to copy it: "status unknown for quota"); only creates are
charged (pod resizes and claim expansions are not).
"""
from __future__ import annotations

from decimal import Decimal

from ..schema.quantity import QuantityError, format_quantity, parse
from .common import Request, forbidden, get, has_any, list_in

COMPUTE = ("cpu", "memory", "ephemeral-storage")
#: resources whose presence in a quota forces every container to declare them (validationSet)
VALIDATION_SET = {"cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu",
                  "limits.memory"}
_LEGACY_COUNTS = {"services": "services", "configmaps": "configmaps", "secrets": "secrets",
                  "persistentvolumeclaims": "persistentvolumeclaims",
                  "replicationcontrollers": "replicationcontrollers",
                  "resourcequotas": "resourcequotas"}


def _sum(items) -> dict:
    """quota.Add over (name → quantity text) maps; keeps the first format of each name."""
    total: dict = {}
    for item in items:
        for k, v in item.items():
            try:
                amount, fmt = parse(v) if not isinstance(v, tuple) else v
            except (QuantityError, TypeError):
                continue
            prev = total.get(k)
            total[k] = (prev[0] + amount, prev[1]) if prev else (amount, fmt)
    return total


def _container_totals(spec: dict, field: str) -> dict:
    regular = _sum(((c.get("resources") or {}).get(field) or {}) for c in spec.get("containers") or ())
    for c in spec.get("initContainers") or ():
        for k, v in (((c.get("resources") or {}).get(field)) or {}).items():
            amount, fmt = parse(v)
            if k not in regular or amount > regular[k][0]:
                regular[k] = (amount, fmt)
    return regular


def _pod_counts(pod: dict, now) -> bool:
    """QuotaV1Pod: terminal pods and pods past their grace period use no compute quota."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return False
    meta = pod.get("metadata") or {}
    if meta.get("deletionTimestamp") and now is not None:
        from ..clock import parse_rfc3339
        grace = meta.get("deletionGracePeriodSeconds") or 0
        if now > parse_rfc3339(meta["deletionTimestamp"]) + grace:
            return False
    return True


def pod_usage(pod: dict, now=None) -> dict:
    """PodUsageFunc: what a pod consumes (name → (Decimal, format))."""
    one = (Decimal(1), "decimal")
    usage = {"count/pods": one}
    if not _pod_counts(pod, now):
        return usage
    spec = pod.get("spec") or {}
    requests, limits = _container_totals(spec, "requests"), _container_totals(spec, "limits")
    usage["pods"] = one
    for r in COMPUTE:
        if r in requests:
            usage[r] = usage[f"requests.{r}"] = requests[r]
        if r in limits:
            usage[f"limits.{r}"] = limits[r]
    for r, q in requests.items():
        if "/" in r and not r.startswith(("kubernetes.io/", "requests.")):
            usage[f"requests.{r}"] = q
    return usage


def object_usage(rt, obj: dict, now=None) -> dict:
    """The usage of one object of any kind: pods, services, claims or a plain count."""
    one = (Decimal(1), "decimal")
    if rt.kind == "Pod":
        return pod_usage(obj, now)
    usage = {f"count/{rt.group_resource}": one}
    if rt.plural in _LEGACY_COUNTS and rt.group == "":
        usage[rt.plural] = one
    spec = obj.get("spec") or {}
    if rt.kind == "Service":
        if spec.get("type") == "LoadBalancer":
            usage["services.loadbalancers"] = one
        if spec.get("type") in ("NodePort", "LoadBalancer"):
            usage["services.nodeports"] = (Decimal(len(spec.get("ports") or ())), "decimal")
    elif rt.kind == "PersistentVolumeClaim":
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        cls = spec.get("storageClassName")
        if storage is not None:
            usage["requests.storage"] = parse(storage)
            if cls:
                usage[f"{cls}.storageclass.storage.k8s.io/requests.storage"] = parse(storage)
        if cls:
            usage[f"{cls}.storageclass.storage.k8s.io/persistentvolumeclaims"] = one
    return usage


def _scopes_match(quota: dict, rt, obj: dict) -> bool:
    spec = quota.get("spec") or {}
    scopes = [(s, "Exists", ()) for s in spec.get("scopes") or ()]
    scopes += [(e.get("scopeName"), e.get("operator"), tuple(e.get("values") or ()))
               for e in ((spec.get("scopeSelector") or {}).get("matchExpressions") or ())]
    if not scopes:
        return True
    if rt.kind != "Pod":
        return False
    from ..strategy import qos_class
    pod_spec = obj.get("spec") or {}
    best_effort = qos_class(pod_spec) == "BestEffort"
    terminating = pod_spec.get("activeDeadlineSeconds") is not None
    for name, op, values in scopes:
        if name == "BestEffort" and not best_effort or name == "NotBestEffort" and best_effort:
            return False
        if name == "Terminating" and not terminating or name == "NotTerminating" and terminating:
            return False
        if name == "PriorityClass":
            pc = pod_spec.get("priorityClassName", "")
            ok = {"In": pc in values, "NotIn": pc not in values, "Exists": bool(pc),
                  "DoesNotExist": not pc}.get(op, False)
            if not ok:
                return False
    return True


def _missing_compute(spec: dict, required: set) -> str | None:
    """enforcePodContainerConstraints over every container: which resources are undeclared."""
    missing: dict = {}
    for c in list(spec.get("containers") or ()) + list(spec.get("initContainers") or ()):
        res = c.get("resources") or {}
        have = set()
        for r in ("cpu", "memory"):
            if r in (res.get("requests") or {}):
                have |= {r, f"requests.{r}"}
            if r in (res.get("limits") or {}):
                have.add(f"limits.{r}")
        for r in sorted(required - have):
            missing.setdefault(r, set()).add(c.get("name", ""))
    if not missing:
        return None
    return "must specify " + "; ".join(f"{r} for: {','.join(sorted(missing[r]))}"
                                       for r in sorted(missing))


def pretty(items: dict) -> str:
    """prettyPrint: ``limits.cpu=1,limits.memory=1Gi`` (sorted)."""
    return ",".join(f"{k}={format_quantity(*items[k])}" for k in sorted(items))


def namespace_usage(api, namespace: str, quota: dict, names, now=None) -> dict:
    """What the objects stored in a namespace use of each quota'd resource."""
    from ..resources import REGISTRY
    used = {n: (Decimal(0), "decimal") for n in names}
    kinds = {"pods"} if any(not n.startswith("count/") and n not in _LEGACY_COUNTS and
                            not n.startswith("services.") and "storage" not in n and
                            "persistentvolumeclaims" not in n for n in names) else set()
    kinds |= {n[len("count/"):] for n in names if n.startswith("count/")}
    kinds |= {n for n in names if n in _LEGACY_COUNTS}
    if any(n.startswith("services.") for n in names):
        kinds.add("services")
    if any("storage" in n or "persistentvolumeclaims" in n for n in names):
        kinds.add("persistentvolumeclaims")
    for gr in sorted(kinds):
        try:
            rt = REGISTRY.for_name(gr)
        except Exception:  # noqa: BLE001 - a quota may name resources the cluster lacks
            continue
        for obj in list_in(api, rt.group_resource, namespace):
            if not _scopes_match(quota, rt, obj):
                continue
            for k, v in object_usage(rt, obj, now).items():
                if k in used:
                    used[k] = (used[k][0] + v[0], used[k][1] if used[k][0] else v[1])
    return used


def _hard(quota: dict) -> dict:
    return {k: parse(v) for k, v in ((quota.get("spec") or {}).get("hard") or {}).items()}


def validate(api, req: Request) -> None:
    """Check every matching quota; charge them when the request is admitted."""
    if req.operation != "CREATE" or not req.rt.namespaced or \
            not has_any(api, "resourcequotas", req.namespace):
        return
    now = api.clock.now()
    quotas = list_in(api, "resourcequotas", req.namespace)
    delta = object_usage(req.rt, req.obj, now)
    interesting = []
    for q in quotas:
        hard = _hard(q)
        restricted = {n for n in hard if n in delta or (req.rt.kind == "Pod" and
                                                        n in VALIDATION_SET)}
        if not restricted or not _scopes_match(q, req.rt, req.obj):
            continue
        if req.rt.kind == "Pod":
            missing = _missing_compute(req.obj.get("spec") or {}, restricted & VALIDATION_SET)
            if missing:
                raise forbidden(req, f"failed quota: {q['metadata']['name']}: {missing}")
        interesting.append((q, hard))
    charged = []
    for q, hard in interesting:
        requested = {n: delta[n] for n in hard if n in delta and delta[n][0] != 0}
        if not requested:
            continue
        used = namespace_usage(api, req.namespace, q, hard, now)
        exceeded = sorted(n for n in requested if used[n][0] + requested[n][0] > hard[n][0])
        if exceeded:
            raise forbidden(req, f"exceeded quota: {q['metadata']['name']}, requested: "
                            f"{pretty({n: requested[n] for n in exceeded})}, used: "
                            f"{pretty({n: used[n] for n in exceeded})}, limited: "
                            f"{pretty({n: hard[n] for n in exceeded})}")
        for n, v in requested.items():
            used[n] = (used[n][0] + v[0], used[n][1] if used[n][0] else v[1])
        charged.append((q, hard, used))
    if not req.dry_run:
        for q, hard, used in charged:
            write_status(api, q, hard, used)


def write_status(api, quota: dict, hard: dict, used: dict) -> None:
    """Record ``status.hard`` and ``status.used`` through the status subresource."""
    from .. import errors
    status = {"hard": {k: format_quantity(*v) for k, v in hard.items()},
              "used": {k: format_quantity(*used.get(k, (Decimal(0), "decimal"))) for k in hard}}
    if quota.get("status") == status:
        return
    body = dict(quota, status=status)
    try:
        api.update("resourcequotas", body, quota["metadata"]["namespace"], subresource="status")
    except errors.ApiError:
        pass  # a concurrent write wins; the next admission or controller sync fixes status


def sync_status(api, namespace: str, name: str | None = None) -> None:
    """Recompute ``status`` of the quotas of a namespace from the stored objects (what the
    resourcequota controller does on its sync). For a future quota controller to call."""
    quotas = [get(api, "resourcequotas", namespace, name)] if name else \
        list_in(api, "resourcequotas", namespace)
    now = api.clock.now()
    for q in quotas:
        if q is not None:
            hard = _hard(q)
            write_status(api, q, hard, namespace_usage(api, namespace, q, hard, now))
