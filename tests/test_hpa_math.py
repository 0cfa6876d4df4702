"""The HPA's arithmetic, case by case against upstream's own tests.

Replica counts: pkg/controller/podautoscaler/replica_calculator_test.go (v1.33), the
``TestReplicaCalc*`` cases (requests of 1 CPU per pod, usage levels in millicores). Pods
there start 10 minutes ago ("cool" CPU: past the 5-minute initialization period) unless a
case says otherwise; unready pods became unready when they started.
Limits and stabilization: pkg/controller/podautoscaler/horizontal.go normalizeDesiredReplicas*
and calculateScale{Up,Down}Limit*, with the defaults of pkg/apis/autoscaling/v2/defaults.go.
"""
from __future__ import annotations

import pytest

from labkit.minicluster.clock import rfc3339
from labkit.minicluster.controllers import podautoscaler_limits as limits
from labkit.minicluster.controllers.replica_calculator import (MetricsError, format_milli,
                                                               pod_metrics, resource_replicas)

NOW = 1_800_000_000.0
COOL = NOW - 600  # started 10 minutes ago
HOT = NOW - 20  # started (and Ready) 20 s ago: the 15 s sample ending 15 s ago predates it


def pods(n, ready=None, phase=None, start=None, deleting=None, requests=None):
    out = []
    for i in range(n):
        st = {"phase": (phase or ["Running"] * n)[i], "startTime": rfc3339((start or [COOL] * n)[i])}
        r = (ready or ["True"] * n)[i]
        st["conditions"] = [{"type": "Ready", "status": r, "lastTransitionTime": st["startTime"]}]
        meta = {"name": f"p{i}", "namespace": "default"}
        if deleting and deleting[i]:
            meta["deletionTimestamp"] = rfc3339(NOW - 1)
        out.append({"metadata": meta, "status": st, "spec": {"containers": [
            {"name": "c", "resources": {"requests": {"cpu": (requests or ["1.0"] * n)[i]}}}]}})
    return out


def metrics(levels, names=None):
    """{pod: (millicores, timestamp, window)}; the sample is 15 s old over a 15 s window."""
    names = names or [f"p{i}" for i in range(len(levels))]
    return {n: (v, NOW - 15, 15.0) for n, v in zip(names, levels)}


# (case, current, pods kwargs, levels, target %, expected replicas, utilization %, raw)
CASES = [
    ("ScaleUp", 3, {}, [300, 500, 700], 30, 5, 50, 500),
    ("ScaleUpUnreadyLessScale", 3, {"ready": ["False", "True", "True"]}, [300, 500, 700], 30, 4, 60, 600),
    ("ScaleUpHotCpuLessScale", 3, {"start": [HOT, COOL, COOL]}, [300, 500, 700], 30, 4, 60, 600),
    ("ScaleUpUnreadyNoScale", 3, {"ready": ["True", "False", "False"]}, [400, 500, 700], 30, 3, 40, 400),
    ("ScaleDown", 5, {}, [100, 300, 500, 250, 250], 50, 3, 28, 280),
    ("ScaleDownExcludeUnreadyPods", 5, {"ready": ["True"] * 3 + ["False"] * 2},
     [100, 300, 500, 250, 250], 50, 2, 30, 300),
    ("ScaleDownIgnoreHotCpuPods", 5, {"start": [COOL] * 3 + [HOT] * 2},
     [100, 300, 500, 250, 250], 50, 2, 30, 300),
    ("ScaleDownIgnoresFailedPods", 5, {"phase": ["Running"] * 5 + ["Failed"] * 2,
                                       "ready": ["True"] * 5 + ["False"] * 2},
     [100, 300, 500, 250, 250], 50, 3, 28, 280),
    ("ScaleDownIgnoresDeletionPods", 5, {"deleting": [False] * 5 + [True] * 2,
                                         "ready": ["True"] * 5 + ["False"] * 2},
     [100, 300, 500, 250, 250], 50, 3, 28, 280),
    ("Tolerance", 3, {}, [1010, 1030, 1020], 100, 3, 102, 1020),
    ("SuperfluousMetrics", 4, {}, [4000, 9500, 3000, 7000, 3200, 2000], 100, 24, 587, 5875),
    ("MissingMetrics", 4, {}, [400, 95], 100, 3, 24, 247),
    ("MissingMetricsNoChangeEq", 2, {}, [1000], 100, 2, 100, 1000),
    ("MissingMetricsNoChangeGt", 2, {}, [1900], 100, 2, 190, 1900),
    ("MissingMetricsNoChangeLt", 2, {}, [600], 100, 2, 60, 600),
    ("MissingMetricsUnreadyChange", 3, {"ready": ["False", "True", "True"]}, [100, 450], 50, 3, 45, 450),
    ("MissingMetricsUnreadyScaleUp", 3, {"ready": ["False", "True", "True"]}, [100, 2000], 50, 4, 200, 2000),
    ("MissingMetricsUnreadyScaleDown", 4, {"ready": ["False", "True", "True", "True"]},
     [100, 100, 100], 50, 3, 10, 100),
    ("MissingMetricsScaleDownTargetOver100", 4, {"ready": ["False", "True", "True", "True"],
                                                 "requests": ["1.0", "1.0", "2.0", "2.0"]},
     [200, 100, 100], 300, 2, 6, 100),
    ("DuringRollingUpdateWithMaxSurge", 2, {"phase": ["Running"] * 3}, [100, 100], 50, 2, 10, 100),
]


@pytest.mark.parametrize("case,current,kw,levels,target,want,util,raw", CASES, ids=[c[0] for c in CASES])
def test_replica_calculator_matches_upstream_cases(case, current, kw, levels, target, want, util, raw):
    """replica_calculator_test.go TestReplicaCalc<case>: same inputs, same three outputs. As
    in upstream's harness the i-th level belongs to pod i: pods past the levels have no
    metrics ("missing"), levels past the pods belong to pods that no longer exist. (Upstream
    pods have two containers, doubling its raw values; these have one.)"""
    ps = pods(max([current] + [len(v) for v in kw.values()]), **kw)
    assert resource_replicas(current, target, ps, metrics(levels), "cpu", NOW) == (want, util, raw)


def test_tolerance_band_is_ten_percent_each_way():
    """|ratio - 1| <= 0.1 changes nothing; just outside it, the count moves (tolerance 0.1)."""
    ps = pods(10)
    assert resource_replicas(10, 100, ps, metrics([1100] * 10), "cpu", NOW)[0] == 10
    assert resource_replicas(10, 100, ps, metrics([900] * 10), "cpu", NOW)[0] == 10
    assert resource_replicas(10, 100, ps, metrics([1110] * 10), "cpu", NOW)[0] == 12
    assert resource_replicas(10, 100, ps, metrics([890] * 10), "cpu", NOW)[0] == 9


def test_errors_are_upstreams_messages():
    """GetResourceReplicas's errors, word for word (they end up in events and conditions)."""
    with pytest.raises(MetricsError, match="^no pods returned by selector while calculating replica count$"):
        resource_replicas(1, 50, [], metrics([100]), "cpu", NOW)
    with pytest.raises(MetricsError, match=r"^did not receive metrics for targeted pods \(pods might be unready\)$"):
        resource_replicas(1, 50, pods(1, phase=["Pending"]), metrics([100]), "cpu", NOW)
    no_request = pods(1)
    no_request[0]["spec"]["containers"][0]["resources"] = {}
    with pytest.raises(MetricsError, match="^missing request for cpu in container c of Pod p0$"):
        resource_replicas(1, 50, no_request, metrics([100]), "cpu", NOW)
    with pytest.raises(MetricsError, match="^no metrics returned matched known pods$"):
        resource_replicas(1, 100, pods(1), metrics([100], ["an-older-pod-name"]), "cpu", NOW)


def test_average_value_target_uses_raw_usage():
    """GetRawResourceReplicas: 3 pods averaging 500m against a 250m averageValue → 6."""
    got = resource_replicas(3, 250, pods(3), metrics([300, 500, 700]), "cpu", NOW, raw=True)
    assert got == (6, None, 500)


def test_pod_metrics_sum_containers_and_read_quantities():
    """metrics client getPodMetrics: containers summed as MilliValue (memory: bytes x 1000);
    a pod lacking the resource in one container is left out."""
    items = [{"metadata": {"name": "a"}, "timestamp": rfc3339(NOW), "window": "15s",
              "containers": [{"name": "x", "usage": {"cpu": "250000000n", "memory": "1Mi"}},
                             {"name": "y", "usage": {"cpu": "5m", "memory": "1Ki"}}]},
             {"metadata": {"name": "b"}, "timestamp": rfc3339(NOW), "window": "20.5s",
              "containers": [{"name": "x", "usage": {"memory": "2Ki"}}]}]
    assert pod_metrics(items, "cpu") == {"a": (255, NOW, 15.0)}
    assert pod_metrics(items, "memory")["b"] == (2048000, NOW, 20.5)
    assert pod_metrics(items, "cpu", container="y") == {"a": (5, NOW, 15.0)}


def test_format_milli_is_decimal_si():
    assert [format_milli(m) for m in (501, 2000, 1500, 64_000_000, 0)] == ["501m", "2", "1500m", "64k", "0"]


# -- limits and stabilization ----------------------------------------------------------------
def test_without_behavior_scale_up_at_most_doubles_or_four():
    """calculateScaleUpLimit: max(2 x current, 4); beyond it ScalingLimited ScaleUpLimit."""
    h = limits.ScalingHistory(NOW, 1)
    assert limits.normalize(h, NOW, 1, 10, 1, 20) == (4, limits.READY, (True,) + limits.UP_LIMIT)
    h = limits.ScalingHistory(NOW, 5)
    assert limits.normalize(h, NOW, 5, 30, 1, 20)[0] == 10
    h = limits.ScalingHistory(NOW, 5)
    assert limits.normalize(h, NOW, 5, 30, 1, 8) == (8, limits.READY, (True,) + limits.TOO_MANY)


def test_without_behavior_scale_down_waits_five_minutes():
    """stabilizeRecommendation: the highest recommendation of the last 300 s wins; the HPA's
    first sync records the current count, so a new HPA never scales down at once."""
    h = limits.ScalingHistory(NOW, 10)
    replicas, able, limited = limits.normalize(h, NOW + 15, 10, 3, 1, 20)
    assert (replicas, able) == (10, limits.DOWN_STABILIZED)
    assert limited == (False,) + limits.WITHIN_RANGE
    assert limits.normalize(h, NOW + 299, 10, 3, 1, 20)[0] == 10
    assert limits.normalize(h, NOW + 301, 10, 3, 1, 20)[0] == 3  # the 10 has aged out
    h = limits.ScalingHistory(NOW, 10)
    assert limits.normalize(h, NOW + 400, 10, 0, 2, 20) == (2, limits.READY, (True,) + limits.TOO_FEW)


DEFAULT_BEHAVIOR = {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
    {"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}]},
    "scaleDown": {"selectPolicy": "Max", "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}


def test_behavior_default_scale_up_policies():
    """Default scaleUp: Pods 4 / 15 s and Percent 100 / 15 s, selectPolicy Max: from 3 the
    limit is max(3 + 4, 3 x 2) = 7; a rise within the period counts against it."""
    h = limits.ScalingHistory(NOW - 100, 3)
    assert limits.normalize_with_behavior(h, NOW, 3, 20, 1, 50, DEFAULT_BEHAVIOR)[0] == 7
    h.store_scale_event(NOW, 3, 7, 15)
    assert limits.normalize_with_behavior(h, NOW + 5, 7, 20, 1, 50, DEFAULT_BEHAVIOR)[:1] == (7,)
    assert limits.normalize_with_behavior(h, NOW + 16, 7, 20, 1, 50, DEFAULT_BEHAVIOR)[0] == 14


def test_behavior_policies_min_and_disabled():
    """selectPolicy Min takes the smallest change; Disabled forbids the direction."""
    rules = {"scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Min", "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 60}, {"type": "Percent", "value": 10, "periodSeconds": 60}]},
        "scaleDown": {"stabilizationWindowSeconds": 0, "selectPolicy": "Disabled"}}
    h = limits.ScalingHistory(NOW - 100, 20)
    replicas, _, limited = limits.normalize_with_behavior(h, NOW, 20, 40, 1, 50, rules)
    assert replicas == 22 and limited == (True,) + limits.UP_LIMIT  # ceil(20 x 1.1) < 20 + 4
    h = limits.ScalingHistory(NOW - 100, 20)
    assert limits.normalize_with_behavior(h, NOW, 20, 5, 1, 50, rules)[0] == 20


def test_behavior_scale_down_stabilization_window():
    """scaleDown.stabilizationWindowSeconds unset → the controller's 300 s; the highest
    recommendation within it bounds the fall (ScaleDownStabilized)."""
    h = limits.ScalingHistory(NOW, 8)
    r, able, _ = limits.normalize_with_behavior(h, NOW + 60, 8, 2, 1, 10, DEFAULT_BEHAVIOR)
    assert (r, able) == (8, limits.DOWN_STABILIZED)
    assert limits.normalize_with_behavior(h, NOW + 301, 8, 2, 1, 10, DEFAULT_BEHAVIOR)[0] == 2
