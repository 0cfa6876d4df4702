"""The pod garbage collector (controllers/podgc.py).

Upstream references: pkg/controller/podgc/gc_controller.go (gcCheckPeriod 20 s, quarantineTime
40 s, markFailedAndDeletePodWithCondition) and gc_controller_test.go (TestGCTerminated,
TestGCOrphaned, TestGCTerminating with the node.kubernetes.io/out-of-service taint);
--terminated-pod-gc-threshold default 12500 (kube-controller-manager options).
"""
from netlife_harness import Harness, pod

from labkit.minicluster.controllers import podgc
from labkit.minicluster.objects import clone


def test_threshold_default():
    assert podgc.TERMINATED_POD_GC_THRESHOLD == 12500 and podgc.GC_CHECK_PERIOD == 20


def test_pods_of_a_deleted_node_are_force_deleted_after_quarantine():
    h = Harness(nodes=2, controllers=["podgc"])
    h.create(pod("stranded", node="node-1"))
    h.create(pod("fine", node="node-2"))
    h.settle()
    h.run(15)
    h.kubelets["node-1"].stop()
    h.api.delete("nodes", "node-1")
    h.run(40)  # seen missing at t=20, quarantine until t=60
    assert h.exists("pods", "stranded")
    h.run(30)
    assert not h.exists("pods", "stranded")
    assert h.exists("pods", "fine")


def test_terminating_pods_on_an_out_of_service_node_are_released():
    """Non-graceful node shutdown: the operator's out-of-service taint lets PodGC finish pods
    that a dead kubelet can no longer confirm."""
    h = Harness(nodes=2, controllers=["podgc", "nodelifecycle"])
    h.create(pod("stuck", node="node-1"))
    h.settle()
    h.kubelets["node-1"].stop()
    h.run(70)  # node-1 NotReady
    h.delete("pods", "stuck")
    h.run(60)
    assert h.get("pods", "stuck")["metadata"]["deletionTimestamp"]  # Terminating forever...
    node = clone(h.get("nodes", "node-1", None))
    node["spec"]["taints"] = node["spec"].get("taints", []) + [
        {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown", "effect": "NoExecute"}]
    h.api.update("nodes", node)
    h.run(21)
    assert not h.exists("pods", "stuck")


def test_terminated_pods_beyond_the_threshold_are_deleted_oldest_first():
    h = Harness(nodes=1, controllers=["podgc"])
    h.manager["podgc"].threshold = 2
    for i in range(4):
        h.create(pod(f"done-{i}", node="node-1", restartPolicy="Never"))
        h.run(1)
    h.settle()
    for i in range(4):
        p = clone(h.get("pods", f"done-{i}"))
        p["status"]["phase"] = "Succeeded"
        h.api.update("pods", p, subresource="status")
    h.run(21)
    assert sorted(p["metadata"]["name"] for p in h.list("pods")) == ["done-2", "done-3"]
