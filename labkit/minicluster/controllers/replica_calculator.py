"""How many replicas a HorizontalPodAutoscaler asks for (upstream
pkg/controller/podautoscaler/replica_calculator.go and metrics/utilization.go, v1.33).

The core rule is one line::

    desiredReplicas = ceil(currentReplicas * currentMetricValue / desiredMetricValue)

e.g. 4 pods at 180 % CPU of their request with a 60 % target → ceil(4 * 180 / 60) = 12. What
makes the real controller interesting is everything around that line, all reproduced here:

* **tolerance**: a ratio within 10 % of 1.0 (0.9–1.1) changes nothing, so that replicas do not
  flap on noise;
* **utilization is a percentage of the pods' requests**: a pod without a CPU request cannot be
  autoscaled on CPU utilization ("missing request for cpu");
* **which pods count** (:func:`group_pods`): pods being deleted or Failed are ignored; Pending
  pods, and pods that became Ready too recently to have a full metrics window (within 5 minutes
  of starting), are *unready*; pods with no metrics yet are *missing*;
* **conservative guesses** for those: when scaling up, unready and missing pods are assumed to
  use 0 %; when scaling down, missing pods are assumed to use 100 % of their request. If the
  guesses flip the direction of the change, nothing changes.

Metric values are *milli-units* (``MilliValue()``): CPU in millicores, memory in
thousandths of a byte, exactly like upstream, so requests and usage compare directly.
"""
from __future__ import annotations

import math

from ..clock import parse_rfc3339
from ..kubelet.containers import parse_go_duration
from ..quantity import parse_cpu as milli_value
from ..upstream import (HPA_CPU_INITIALIZATION_PERIOD_SECONDS, HPA_INITIAL_READINESS_DELAY_SECONDS,
                        HPA_TOLERANCE)


class MetricsError(Exception):
    """The replica count cannot be computed; the message is upstream's error text."""


def within_tolerance(ratio: float, tolerance: float = HPA_TOLERANCE) -> bool:
    return (1.0 - tolerance) <= ratio <= (1.0 + tolerance)


def pod_metrics(items: list, resource: str, container: str = "") -> dict:
    """PodMetrics objects → ``{pod name: (milli value, timestamp, window seconds)}``
    (metrics/client.go getPodMetrics / getContainerMetrics). A pod lacking the resource in
    any container is left out."""
    out = {}
    for m in items:
        values = []
        for c in m.get("containers") or ():
            if container and c.get("name") != container:
                continue
            usage = (c.get("usage") or {}).get(resource)
            if usage is None:
                values = None
                break
            values.append(milli_value(usage))
        if values:
            out[m["metadata"]["name"]] = (sum(values), parse_rfc3339(m["timestamp"]),
                                          parse_go_duration(m.get("window", "0s")) or 0.0)
    return out


def pod_requests(pods: list, resource: str, container: str = "") -> dict:
    """``{pod name: summed request (milli)}`` over the regular containers and the restartable
    (sidecar) init containers; a container without the request is an error."""
    out = {}
    for pod in pods:
        spec = pod.get("spec") or {}
        containers = list(spec.get("containers") or ())
        containers += [c for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"]
        total = 0
        for c in containers:
            if container and c.get("name") != container:
                continue
            req = ((c.get("resources") or {}).get("requests") or {}).get(resource)
            if req is None:
                raise MetricsError(f"missing request for {resource} in container {c.get('name')} "
                                   f"of Pod {pod['metadata']['name']}")
            total += milli_value(req)
        out[pod["metadata"]["name"]] = total
    return out


def group_pods(pods: list, metrics: dict, resource: str, now: float) -> tuple:
    """Sort the target's pods: ``(ready count, unready names, missing names, ignored names)``."""
    ready, unready, missing, ignored = 0, set(), set(), set()
    for pod in pods:
        name, st = pod["metadata"]["name"], pod.get("status") or {}
        if pod["metadata"].get("deletionTimestamp") or st.get("phase") == "Failed":
            ignored.add(name)
            continue
        if st.get("phase") == "Pending":
            unready.add(name)
            continue
        metric = metrics.get(name)
        if metric is None:
            missing.add(name)
            continue
        if resource == "cpu" and _cpu_unready(st, metric, now):
            unready.add(name)
            continue
        ready += 1
    return ready, unready, missing, ignored


def _cpu_unready(status: dict, metric: tuple, now: float) -> bool:
    """A CPU sample is not trusted while a pod starts up: during its first 5 minutes, unless it
    is Ready and a whole metrics window passed since it became Ready; later, only if it has
    never been Ready (it went unready within 30 s of starting)."""
    cond = next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    if cond is None or not status.get("startTime"):
        return True
    start = parse_rfc3339(status["startTime"])
    transition = parse_rfc3339(cond["lastTransitionTime"]) if cond.get("lastTransitionTime") else start
    _, timestamp, window = metric
    if start + HPA_CPU_INITIALIZATION_PERIOD_SECONDS > now:
        return cond.get("status") == "False" or timestamp < transition + window
    return cond.get("status") == "False" and start + HPA_INITIAL_READINESS_DELAY_SECONDS > transition


def utilization_ratio(values: dict, requests: dict, target: int) -> tuple:
    """metrics/utilization.go GetResourceUtilizationRatio: ``(ratio, utilization %, average
    raw value)``; the percentage is truncated to an integer before the ratio is taken."""
    used = requested = n = 0
    for name, value in values.items():
        if name not in requests:
            continue
        used, requested, n = used + value, requested + requests[name], n + 1
    if requested == 0:
        raise MetricsError("no metrics returned matched known pods")
    utilization = used * 100 // requested
    return utilization / target, utilization, used // n


def usage_ratio(values: dict, target: int) -> tuple:
    """GetMetricUsageRatio: the average value against an ``averageValue`` target."""
    average = sum(values.values()) // len(values)
    return average / target, average


def resource_replicas(current: int, target: int, pods: list, metrics: dict, resource: str,
                      now: float, container: str = "", raw: bool = False) -> tuple:
    """GetResourceReplicas (``target`` a utilization %) or, with ``raw``, GetRawResourceReplicas
    (``target`` an average value in milli-units). Returns ``(replicas, utilization %, average
    raw value)``; the utilization is None for a raw target."""
    if not pods:
        raise MetricsError("no pods returned by selector while calculating replica count")
    ready, unready, missing, ignored = group_pods(pods, metrics, resource, now)
    values = {n: m[0] for n, m in metrics.items() if n not in ignored and n not in unready}
    if not values:
        raise MetricsError("did not receive metrics for targeted pods (pods might be unready)")
    if raw:
        ratio, average = usage_ratio(values, target)
        utilization, requests = None, None
    else:
        requests = pod_requests(pods, resource, container)
        ratio, utilization, average = utilization_ratio(values, requests, target)
    up_with_unready = bool(unready) and ratio > 1.0
    if not up_with_unready and not missing:
        if within_tolerance(ratio):
            return current, utilization, average
        return math.ceil(ratio * ready), utilization, average
    for name in missing:  # the conservative guesses
        if ratio < 1.0:
            values[name] = target if raw else requests[name] * max(100, target) // 100
        elif ratio > 1.0 or raw:
            values[name] = 0
    if up_with_unready:
        values.update({name: 0 for name in unready})
    new_ratio = usage_ratio(values, target)[0] if raw else utilization_ratio(values, requests, target)[0]
    if within_tolerance(new_ratio) or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current, utilization, average  # too small a change, or the direction flipped
    replicas = math.ceil(new_ratio * len(values))
    if (new_ratio < 1.0 and replicas > current) or (new_ratio > 1.0 and replicas < current):
        return current, utilization, average
    return replicas, utilization, average


def format_milli(m: int) -> str:
    """``resource.NewMilliQuantity(m, DecimalSI)`` as text: ``501m``, ``2``, ``64M``."""
    if m % 1000:
        return f"{m}m"
    n, suffix = m // 1000, ""
    for s in ("k", "M", "G", "T", "P", "E"):
        if n == 0 or n % 1000:
            break
        n, suffix = n // 1000, s
    return f"{n}{suffix}"
