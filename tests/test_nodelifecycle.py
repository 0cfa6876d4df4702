"""Node failure and recovery: node lifecycle controller + taint-eviction controller.

Upstream references: pkg/controller/nodelifecycle/node_lifecycle_controller.go
(tryUpdateNodeHealth, processTaintBaseEviction, doNoScheduleTaintingPass, ComputeZoneState,
handleDisruption) and its tests TestMonitorNodeHealthUpdateStatus,
TestApplyNoExecuteTaints, TestSwapUnreachableNotReadyTaints, TestTaintsNodeByCondition;
pkg/controller/tainteviction/taint_eviction.go and TestCreatePod/TestUpdateNode;
defaults from pkg/controller/nodelifecycle/config/v1alpha1/defaults.go and PR #126287
(node-monitor-grace-period 50 s since v1.32); test/e2e/node/taints.go (NoExecuteTaintManager).
"""
from netlife_harness import TOLERATE_300, Harness, deployment, pod

from labkit.minicluster.controllers import nodelifecycle
from labkit.minicluster.objects import clone, condition

CONTROLLERS = ["nodelifecycle", "taint-eviction-controller", "deployment", "replicaset",
               "garbagecollector", "podgc"]


def taints(h, node):
    return [(t["key"], t["effect"]) for t in h.get("nodes", node, None)["spec"].get("taints") or ()]


def ready(h, node):
    return condition(h.get("nodes", node, None), "Ready")


def failed_cluster(nodes=3, **kw):
    h = Harness(nodes=nodes, controllers=CONTROLLERS, **kw)
    h.create(deployment(replicas=3, tolerations=TOLERATE_300))
    h.settle()
    h.run(20)
    victim = "node-1"
    t0 = h.clock.now()
    h.kubelets[victim].stop()
    return h, victim, t0


def test_upstream_defaults():
    assert nodelifecycle.NODE_MONITOR_PERIOD == 5
    assert nodelifecycle.NODE_MONITOR_GRACE_PERIOD == 50
    assert nodelifecycle.NODE_STARTUP_GRACE_PERIOD == 60
    assert nodelifecycle.NODE_EVICTION_RATE == 0.1


def test_registered_node_event():
    h = Harness(nodes=1, controllers=["nodelifecycle"])
    h.run(5)
    ev = h.events("RegisteredNode")
    assert [e["message"] for e in ev] == ["Node node-1 event: Registered Node node-1 in Controller"]
    assert ev[0]["source"] == {"component": "node-controller"}


def test_node_goes_unknown_after_the_grace_period():
    h, victim, t0 = failed_cluster()
    h.run(45)
    assert ready(h, victim)["status"] == "True"  # still within node-monitor-grace-period
    h.run(15)
    r = ready(h, victim)
    assert r["status"] == "Unknown"
    assert r["reason"] == "NodeStatusUnknown" and r["message"] == "Kubelet stopped posting node status."
    node = h.get("nodes", victim, None)
    for ctype in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        assert condition(node, ctype)["status"] == "Unknown"
    ev = h.events("NodeNotReady", name=victim)
    assert ev[0]["message"] == f"Node {victim} status is now: NodeNotReady"
    # pods on the node are marked not ready (MarkPodsNotReady), the others untouched
    for p in h.list("pods"):
        on_victim = p["spec"]["nodeName"] == victim
        assert condition(p, "Ready")["status"] == ("False" if on_victim else "True")
    pod_events = [e for e in h.events("NodeNotReady") if e["involvedObject"]["kind"] == "Pod"]
    assert pod_events and pod_events[0]["type"] == "Warning" and pod_events[0]["message"] == "Node is not ready"


def test_taints_follow_the_condition():
    """NoSchedule at once (node update), NoExecute through the tainting queue on the next pass;
    both carry timeAdded (SwapNodeControllerTaint)."""
    h, victim, t0 = failed_cluster()
    h.run(60)
    assert taints(h, victim)[0] == ("node.kubernetes.io/unreachable", "NoSchedule")
    h.run(10)
    assert taints(h, victim) == [("node.kubernetes.io/unreachable", "NoSchedule"),
                                 ("node.kubernetes.io/unreachable", "NoExecute")]
    assert all(t.get("timeAdded") for t in h.get("nodes", victim, None)["spec"]["taints"])


def test_pods_are_evicted_after_their_toleration_and_replaced_elsewhere():
    h, victim, t0 = failed_cluster()
    doomed = [p["metadata"]["name"] for p in h.list("pods") if p["spec"]["nodeName"] == victim]
    h.run(300)  # the NoExecute taint is ~60 s old: 300 s of toleration are not over yet
    assert not any(p["metadata"].get("deletionTimestamp") for p in h.list("pods"))
    h.run(70)
    ev = h.events("TaintManagerEviction")
    assert [e["message"] for e in ev] == [f"Marking for deletion Pod default/{n}" for n in doomed]
    assert ev[0]["source"] == {"component": "taint-eviction-controller"}
    pods = h.list("pods")
    old = [p for p in pods if p["metadata"]["name"] in doomed]
    assert old and all(p["metadata"]["deletionTimestamp"] for p in old)  # Terminating: kubelet is dead
    target = condition(old[0], "DisruptionTarget")
    assert target["reason"] == "DeletionByTaintManager"
    assert target["message"] == "Taint manager: deleting due to NoExecute taint"
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 3 and all(p["spec"]["nodeName"] != victim for p in live)


def test_pod_without_toleration_is_evicted_at_once():
    h = Harness(nodes=2, controllers=CONTROLLERS)
    h.create(pod("bare", node="node-1"))
    h.settle()
    node = clone(h.get("nodes", "node-1", None))
    node["spec"]["taints"] = [{"key": "example.com/maintenance", "effect": "NoExecute"}]
    h.api.update("nodes", node)
    h.loop.run_pending()
    assert h.get("pods", "bare")["metadata"]["deletionTimestamp"]
    assert h.events("TaintManagerEviction")[0]["message"] == "Marking for deletion Pod default/bare"


def test_removing_the_taint_cancels_the_eviction():
    h = Harness(nodes=2, controllers=CONTROLLERS)
    tol = [{"key": "example.com/maintenance", "operator": "Exists", "effect": "NoExecute",
            "tolerationSeconds": 60}]
    h.create(pod("patient", node="node-1", tolerations=tol))
    h.settle()
    node = clone(h.get("nodes", "node-1", None))
    node["spec"]["taints"] = [{"key": "example.com/maintenance", "effect": "NoExecute"}]
    node = h.api.update("nodes", node)
    h.run(30)
    node = clone(h.get("nodes", "node-1", None))
    node["spec"]["taints"] = []
    h.api.update("nodes", node)
    h.run(60)
    assert not h.get("pods", "patient")["metadata"].get("deletionTimestamp")
    assert [e["message"] for e in h.events("TaintManagerEviction")] == \
        ["Cancelling deletion of Pod default/patient"]


def test_recovery_removes_taints_and_finishes_terminating_pods():
    h, victim, t0 = failed_cluster()
    h.run(400)
    assert any(p["metadata"].get("deletionTimestamp") for p in h.list("pods"))
    h.kubelets[victim].resume()
    h.run(10)
    assert ready(h, victim)["status"] == "True"
    assert taints(h, victim) == []
    pods = h.list("pods")
    assert len(pods) == 3 and not any(p["metadata"].get("deletionTimestamp") for p in pods)


def test_all_nodes_down_is_full_disruption_no_eviction():
    """handleDisruption: when every zone is fully disrupted the controller blames itself (or the
    network) and neither taints NoExecute nor evicts."""
    h, victim, t0 = failed_cluster(nodes=1)
    h.run(600)
    assert ready(h, victim)["status"] == "Unknown"
    assert ("node.kubernetes.io/unreachable", "NoExecute") not in taints(h, victim)
    assert not any(p["metadata"].get("deletionTimestamp") for p in h.list("pods"))


def test_partial_disruption_in_a_small_zone_stops_tainting():
    """ComputeZoneState: more than 2 and at least 55 % of a zone not ready → PartialDisruption;
    a zone of at most 50 nodes then gets no NoExecute taints."""
    h = Harness(nodes=5, controllers=CONTROLLERS)
    h.run(20)
    for name in ("node-1", "node-2", "node-3"):
        h.kubelets[name].stop()
    h.run(120)
    for name in ("node-1", "node-2", "node-3"):
        assert ready(h, name)["status"] == "Unknown"
        assert ("node.kubernetes.io/unreachable", "NoExecute") not in taints(h, name)


def test_tainting_is_rate_limited_per_zone():
    """--node-eviction-rate 0.1: one node per 10 s in a zone."""
    h = Harness(nodes=6, controllers=["nodelifecycle"])
    h.run(20)
    h.kubelets["node-1"].stop()
    h.kubelets["node-2"].stop()
    noexec = ("node.kubernetes.io/unreachable", "NoExecute")
    for _ in range(120):
        h.run(1)
        if noexec in taints(h, "node-1") or noexec in taints(h, "node-2"):
            break
    first = [n for n in ("node-1", "node-2") if noexec in taints(h, n)]
    assert len(first) == 1 and ready(h, "node-2")["status"] == "Unknown"
    other = "node-2" if first == ["node-1"] else "node-1"
    h.run(9)
    assert noexec not in taints(h, other)
    h.run(1)
    assert noexec in taints(h, other)


def test_cordon_adds_the_unschedulable_taint():
    h = Harness(nodes=1, controllers=["nodelifecycle"])
    h.api.patch("nodes", "node-1", {"spec": {"unschedulable": True}}, "merge")
    h.loop.run_pending()
    assert taints(h, "node-1") == [("node.kubernetes.io/unschedulable", "NoSchedule")]
    h.api.patch("nodes", "node-1", {"spec": {"unschedulable": None}}, "merge")
    h.loop.run_pending()
    assert taints(h, "node-1") == []


def test_not_ready_node_gets_not_ready_taints_and_they_swap():
    """Ready=False → not-ready taints; then Unknown → the NoExecute taint is swapped to
    unreachable at once (TestSwapUnreachableNotReadyTaints)."""
    h = Harness(nodes=2, controllers=["nodelifecycle"])
    h.run(20)
    node = clone(h.get("nodes", "node-1", None))
    for c in node["status"]["conditions"]:
        if c["type"] == "Ready":
            c.update(status="False", reason="KubeletNotReady", message="container runtime is down",
                     lastHeartbeatTime=h.clock.timestamp())
    h.api.update("nodes", node, subresource="status")
    h.run(11)
    assert taints(h, "node-1") == [("node.kubernetes.io/not-ready", "NoSchedule"),
                                   ("node.kubernetes.io/not-ready", "NoExecute")]
    h.kubelets["node-1"].stop()
    h.run(70)
    assert sorted(taints(h, "node-1")) == [("node.kubernetes.io/unreachable", "NoExecute"),
                                           ("node.kubernetes.io/unreachable", "NoSchedule")]


def test_node_failure_end_to_end_in_a_mini_cluster():
    """The whole timeline through MiniCluster(nodes=3): the kubelet stops → NotReady after the
    grace period → taints → pods evicted 300 s later (DefaultTolerationSeconds) → replaced on
    other nodes by the ReplicaSet → the node recovers and loses its taints."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=3, seed=7)
    c.apply(deployment(replicas=3))
    c.settle()
    c.run(30)
    pods = c.api.list("pods", "default")["items"]
    assert {t["key"] for t in pods[0]["spec"]["tolerations"]} == {"node.kubernetes.io/not-ready",
                                                                   "node.kubernetes.io/unreachable"}
    victim = pods[0]["spec"]["nodeName"]
    c.fail_node(victim)
    c.run(60)
    node = c.api.get("nodes", victim)
    assert condition(node, "Ready")["status"] == "Unknown"
    c.run(10)
    assert ("node.kubernetes.io/unreachable", "NoExecute") in \
        [(t["key"], t["effect"]) for t in c.api.get("nodes", victim)["spec"]["taints"]]
    c.run(310)
    pods = c.api.list("pods", "default")["items"]
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 3 and victim not in {p["spec"]["nodeName"] for p in live}
    assert any(p["spec"]["nodeName"] == victim and p["metadata"].get("deletionTimestamp") for p in pods)
    c.recover_node(victim)
    c.run(30)
    node = c.api.get("nodes", victim)
    assert condition(node, "Ready")["status"] == "True" and not node["spec"].get("taints")
