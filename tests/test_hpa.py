"""The HorizontalPodAutoscaler controller end to end, on the mini cluster.

Follows the upstream walkthrough (docs: tasks/run-application/horizontal-pod-autoscale-walkthrough,
the php-apache manifest from ../shared/k8s-examples) and pkg/controller/podautoscaler/horizontal.go
(v1.33) for events, conditions and timing: a 15 s sync period, a first sync one period after
creation, a 5-minute downscale stabilization, at most max(2 x current, 4) per scale-up without
``spec.behavior``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.errors import ApiError

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "k8s-examples"
LOAD = ["run", "load-generator", "--image=busybox:1.28", "--restart=Never", "--", "/bin/sh", "-c",
        "while sleep 0.01; do wget -q -O- http://php-apache; done"]


def php_apache(**kw) -> MiniCluster:
    c = MiniCluster(nodes=2, seed=0, **kw)
    c.kubectl(["apply", "-f", str(EXAMPLES / "application" / "php-apache.yaml")])
    c.settle()
    return c


def hpa_status(c, name="php-apache") -> dict:
    return c.api.get("horizontalpodautoscalers", name).get("status") or {}


def conditions(c, name="php-apache") -> dict:
    return {k["type"]: (k["status"], k.get("reason")) for k in hpa_status(c, name).get("conditions") or ()}


def events(c, reason: str) -> list[str]:
    return [e["message"] for e in c.api.list("events")["items"] if e.get("reason") == reason]


def replicas(c) -> int:
    return c.api.get("deployments", "php-apache")["spec"]["replicas"]


def test_walkthrough_scales_up_under_load_and_back_down_after_five_minutes():
    """The walkthrough: kubectl autoscale --cpu-percent=50 --min=1 --max=10, a busybox wget loop
    as load. Replicas rise (each step at most doubling), TARGETS shows the utilization, and after
    the load stops the Deployment returns to 1 replica only once 5 minutes of low
    recommendations have passed."""
    c = php_apache()
    out = c.kubectl("autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10")
    assert out.stdout == "horizontalpodautoscaler.autoscaling/php-apache autoscaled\n"
    c.run(60)
    assert hpa_status(c)["currentMetrics"][0]["resource"]["current"]["averageUtilization"] < 50
    assert replicas(c) == 1 and not events(c, "SuccessfulRescale")
    c.kubectl(LOAD)
    sizes = []
    for _ in range(20):  # 5 virtual minutes, one look per sync period
        c.run(15)
        sizes.append(replicas(c))
    assert sizes[-1] > 1 and sizes == sorted(sizes)
    for a, b in zip(sizes, sizes[1:]):
        assert b <= max(2 * a, 4)
    rescales = events(c, "SuccessfulRescale")
    assert rescales[0].startswith("New size: 4; reason: cpu resource utilization (percentage of request) above target")
    row = c.kubectl("get hpa php-apache --no-headers").stdout.split()
    assert row[2] == "cpu:" and row[3].endswith("%/50%")
    grown = replicas(c)
    c.kubectl("delete pod load-generator --wait=false")
    c.run(240)
    assert replicas(c) == grown, "a scale-down waits for 5 minutes of low recommendations"
    c.run(120)
    assert replicas(c) == 1
    assert any(m.endswith("reason: All metrics below target") for m in events(c, "SuccessfulRescale"))
    assert conditions(c)["ScalingActive"] == ("True", "ValidMetricFound")


def test_first_sync_waits_one_sync_period():
    """Upstream queues every HPA with the sync period as its delay: a new HPA has no status for
    15 s (kubectl shows TARGETS <unknown>)."""
    c = php_apache()
    c.kubectl("autoscale deployment php-apache --cpu-percent=50 --max=5")
    c.run(14)
    assert hpa_status(c) == {}
    assert "cpu: <unknown>/50%" in c.kubectl("get hpa").stdout
    c.run(2)
    assert hpa_status(c)["currentReplicas"] == 1


def test_without_metrics_server_the_hpa_says_why():
    """No metrics.k8s.io API: the events and conditions a cluster without metrics-server shows."""
    c = php_apache(metrics_server=False)
    c.kubectl("autoscale deployment php-apache --cpu-percent=50 --max=5")
    c.run(20)
    why = ("failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch "
           "metrics from resource metrics API: the server could not find the requested resource "
           "(get pods.metrics.k8s.io)")
    assert events(c, "FailedGetResourceMetric") == [why]
    assert events(c, "FailedComputeMetricsReplicas") == [
        f"invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: {why}"]
    assert conditions(c) == {"AbleToScale": ("True", "SucceededGetScale"),
                             "ScalingActive": ("False", "FailedGetResourceMetric")}
    st = hpa_status(c)
    assert (st["currentReplicas"], st["desiredReplicas"], st["currentMetrics"]) == (1, 0, [{"type": ""}])
    assert "cpu: <unknown>/50%" in c.kubectl("get hpa").stdout


def test_missing_target_and_missing_request():
    """FailedGetScale names the missing object; a container without a CPU request cannot be
    scaled on CPU utilization."""
    c = php_apache()
    c.apply({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "ghost"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nope"},
                      "maxReplicas": 3}})
    c.kubectl("create deployment plain --image=nginx:1.25")
    c.kubectl("autoscale deployment plain --cpu-percent=50 --max=3")
    c.run(60)
    assert events(c, "FailedGetScale") == ['deployments.apps "nope" not found']
    assert conditions(c, "ghost")["AbleToScale"] == ("False", "FailedGetScale")
    assert any("missing request for cpu in container nginx of Pod plain-" in m
               for m in events(c, "FailedGetResourceMetric"))


def test_min_replicas_and_zero_replicas():
    """Below minReplicas the HPA scales at once, whatever the metrics; a target scaled to 0 is
    left alone (ScalingDisabled)."""
    c = php_apache()
    c.kubectl("autoscale deployment php-apache --cpu-percent=50 --min=3 --max=5")
    c.run(16)
    assert replicas(c) == 3
    assert events(c, "SuccessfulRescale") == ["New size: 3; reason: Current number of replicas below Spec.MinReplicas"]
    c.kubectl("scale deployment php-apache --replicas=0")
    c.run(30)
    assert replicas(c) == 0
    assert conditions(c)["ScalingActive"] == ("False", "ScalingDisabled")


def test_behavior_policies_limit_the_rate():
    """spec.behavior.scaleUp with one policy of 1 pod per 60 s: the HPA adds a pod a minute."""
    c = php_apache()
    c.apply({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "php-apache"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
                      "minReplicas": 1, "maxReplicas": 10,
                      "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                          "type": "Utilization", "averageUtilization": 50}}}],
                      "behavior": {"scaleUp": {"policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}]}}}})
    c.kubectl(LOAD)
    c.run(200)  # syncs at 15, 75, 135, 195 s may each add one pod
    sizes = [m.split(";")[0] for m in events(c, "SuccessfulRescale")]
    assert sizes == ["New size: 2", "New size: 3", "New size: 4", "New size: 5"]
    assert replicas(c) == 5
    assert conditions(c)["ScalingLimited"] == ("True", "ScaleUpLimit")
    spec = c.api.get("horizontalpodautoscalers", "php-apache")["spec"]["behavior"]
    assert spec["scaleUp"]["selectPolicy"] == "Max" and spec["scaleUp"]["stabilizationWindowSeconds"] == 0


def test_scale_writes_go_through_the_scale_subresource():
    """The controller updates deployments/scale as kube-controller-manager (managedFields say
    subresource: scale), with its own RBAC role. (The mini cluster records managedFields once
    an object was server-side applied.)"""
    c = MiniCluster(nodes=2, seed=0)
    c.kubectl(["apply", "--server-side", "-f", str(EXAMPLES / "application" / "php-apache.yaml")])
    c.kubectl("autoscale deployment php-apache --cpu-percent=50 --min=2 --max=5")
    c.run(16)
    fields = c.api.get("deployments", "php-apache")["metadata"].get("managedFields") or []
    assert any(f.get("subresource") == "scale" and f["manager"] == "kube-controller-manager" for f in fields)


def test_autoscaling_v1_hpa_is_the_same_object_as_v2():
    """An autoscaling/v1 HPA is stored as v2 and converted for v1 clients
    (pkg/apis/autoscaling/v1/conversion.go): targetCPUUtilizationPercentage becomes a CPU
    Utilization metric; read back as v1 it reports currentCPUUtilizationPercentage and carries
    what v1 cannot say (all current metrics, the conditions) in annotations."""
    c = php_apache()
    c.apply({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "php-apache"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
                      "maxReplicas": 4, "targetCPUUtilizationPercentage": 50}})
    c.run(60)
    v2 = c.api.get("horizontalpodautoscalers", "php-apache")
    assert v2["apiVersion"] == "autoscaling/v2"
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {"name": "cpu", "target": {
        "type": "Utilization", "averageUtilization": 50}}}]
    assert [cond["type"] for cond in v2["status"]["conditions"]] == ["AbleToScale", "ScalingActive", "ScalingLimited"]
    v1 = c.api.get(c.api.registry.for_kind("autoscaling/v1", "HorizontalPodAutoscaler"), "php-apache")
    cpu = v2["status"]["currentMetrics"][0]["resource"]["current"]
    assert v1["spec"] == {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
                          "minReplicas": 1, "maxReplicas": 4, "targetCPUUtilizationPercentage": 50}
    assert v1["status"] == {"currentReplicas": 1, "desiredReplicas": 1,
                            "currentCPUUtilizationPercentage": cpu["averageUtilization"]}
    notes = v1["metadata"]["annotations"]
    assert notes["autoscaling.alpha.kubernetes.io/current-metrics"] == (
        '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":%d,'
        '"currentAverageValue":"%s"}}]' % (cpu["averageUtilization"], cpu["averageValue"]))
    assert notes["autoscaling.alpha.kubernetes.io/conditions"].startswith(
        '[{"type":"AbleToScale","status":"True","lastTransitionTime":"2025-01-01T00:00:20Z",'
        '"reason":"ScaleDownStabilized","message":"recent recommendations were higher than current '
        'one, applying the highest recent recommendation"},')
    for name in ("hpa", "horizontalpodautoscalers.v1.autoscaling"):  # printed from the v2 form
        row = c.kubectl(f"get {name}").stdout.splitlines()[1].split()
        assert row[2:4] == ["cpu:", f"{cpu['averageUtilization']}%/50%"]
    described = c.kubectl("describe horizontalpodautoscalers.v1.autoscaling php-apache").stdout
    assert "Annotations:" in described and "autoscaling.alpha" not in described
    assert "resource cpu on pods  (as a percentage of request)" in described


def test_v1_round_trip_keeps_what_v1_cannot_say():
    """A v2 HPA with a memory target, read and written back through autoscaling/v1 (what a v1
    client's read-modify-write does), keeps its metrics: they travel in the
    ``autoscaling.alpha.kubernetes.io/metrics`` annotation; a malformed annotation is a 400."""
    c = php_apache()
    c.apply({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
             "metadata": {"name": "php-apache"},
             "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "php-apache"},
                      "maxReplicas": 4, "metrics": [
                          {"type": "Resource", "resource": {"name": "memory", "target": {
                              "type": "AverageValue", "averageValue": "100Mi"}}},
                          {"type": "Resource", "resource": {"name": "cpu", "target": {
                              "type": "Utilization", "averageUtilization": 50}}}]}})
    rt1 = c.api.registry.for_kind("autoscaling/v1", "HorizontalPodAutoscaler")
    v1 = c.api.get(rt1, "php-apache")
    assert v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"] == \
        '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"100Mi"}}]'
    v1["spec"]["maxReplicas"] = 7
    c.api.update(rt1, v1)
    v2 = c.api.get("horizontalpodautoscalers", "php-apache")
    assert v2["spec"]["maxReplicas"] == 7
    assert list(v2["metadata"]["annotations"]) == ["kubectl.kubernetes.io/last-applied-configuration"]
    assert [m["resource"]["name"] for m in v2["spec"]["metrics"]] == ["memory", "cpu"]
    v1 = c.api.get(rt1, "php-apache")
    v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"] = "{not json"
    with pytest.raises(ApiError) as e:
        c.api.update(rt1, v1)
    assert e.value.code == 400 and "error converting HorizontalPodAutoscaler from autoscaling/v1" in str(e.value)
    v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"] = \
        '[{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"lots"}}]'
    with pytest.raises(ApiError) as e:  # what the annotation carries is type-checked as v2
        c.api.update(rt1, v1)
    assert e.value.code == 400 and "quantities must match the regular expression" in str(e.value)


@pytest.mark.parametrize("args,message", [
    ("autoscale deployment php-apache --cpu-percent=50", "--max=MAXPODS is required and must be at least 1, max: -1"),
    ("autoscale deployment php-apache --min=5 --max=2", "--max=MAXPODS must be larger or equal to --min=MINPODS, max: 2, min: 5"),
])
def test_kubectl_autoscale_errors(args, message):
    """kubectl's own validation (pkg/cmd/autoscale/autoscale.go Validate)."""
    c = php_apache()
    out = c.kubectl(args)
    assert out.stderr.strip() == f"error: {message}"
