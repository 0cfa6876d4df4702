"""The DaemonSet controller on the test harness.

Upstream: pkg/controller/daemon/daemon_controller.go (manage, podsShouldBeOnNode,
NodeShouldRunDaemonPod, updateDaemonSetStatus), update.go (rollingUpdate, constructHistory),
pkg/controller/daemon/util/daemonset_util.go (AddOrUpdateDaemonPodTolerations,
ReplaceDaemonSetPodNodeNameNodeAffinity) and test/e2e/apps/daemon_set.go.
"""
from workload_harness import Harness

NS = "kube-system"


def ds(**pod_spec):
    spec = {"containers": [{"name": "agent", "image": "fluentd:1"}]}
    spec.update(pod_spec)
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}}


def nodes_with_pods(h):
    return sorted(p["spec"].get("nodeName") for p in h.active_pods(namespace=NS))


def status(h):
    return h.get("daemonsets", "agent", NS)["status"]


def test_one_pod_per_node_pinned_by_affinity_with_tolerations():
    h = Harness()
    h.create(ds(), NS)
    h.settle()
    assert nodes_with_pods(h) == ["node-1", "node-2", "node-3"]
    (rev,) = h.list("controllerrevisions", NS)
    for p in h.active_pods(namespace=NS):
        terms = p["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert terms == [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                           "values": [p["spec"]["nodeName"]]}]}]
        assert p["spec"]["tolerations"] == [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "effect": "NoExecute"},
            {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists",
             "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists",
             "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists",
             "effect": "NoSchedule"},
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists",
             "effect": "NoSchedule"}]
        assert p["metadata"]["labels"]["controller-revision-hash"] == \
            rev["metadata"]["labels"]["controller-revision-hash"]
        assert p["metadata"]["name"].startswith("agent-")
    assert rev["metadata"]["name"] == \
        "agent-" + rev["metadata"]["labels"]["controller-revision-hash"]
    assert status(h) == {"desiredNumberScheduled": 3, "currentNumberScheduled": 3,
                         "numberMisscheduled": 0, "numberReady": 3, "updatedNumberScheduled": 3,
                         "numberAvailable": 3, "observedGeneration": 1}
    assert {e["reason"] for e in h.events()} == {"SuccessfulCreate"}


def test_follows_nodes_joining_and_leaving():
    h = Harness()
    h.create(ds(), NS)
    h.settle()
    h.add_node("node-4")
    h.settle()
    assert nodes_with_pods(h) == ["node-1", "node-2", "node-3", "node-4"]
    assert status(h)["desiredNumberScheduled"] == 4
    h.api.delete("nodes", "node-2")
    h.settle()
    st = status(h)
    assert st["desiredNumberScheduled"] == 3 and st["currentNumberScheduled"] == 3


def test_node_selector_and_labels():
    h = Harness()
    h.create(ds(nodeSelector={"disk": "ssd"}), NS)
    h.settle()
    assert nodes_with_pods(h) == []
    assert status(h)["desiredNumberScheduled"] == 0
    h.patch("nodes", "node-2", {"metadata": {"labels": {"disk": "ssd"}}}, namespace=None)
    h.settle()
    assert nodes_with_pods(h) == ["node-2"]
    h.patch("nodes", "node-2", {"metadata": {"labels": {"disk": None}}}, namespace=None)
    h.settle()
    assert nodes_with_pods(h) == []


def test_taints_noschedule_keeps_noexecute_evicts():
    """NodeShouldRunDaemonPod: an untolerated NoSchedule taint stops new pods but the running
    one may continue (it counts as misscheduled); NoExecute removes it."""
    h = Harness()
    h.create(ds(), NS)
    h.settle()
    h.patch("nodes", "node-1", {"spec": {"taints": [
        {"key": "dedicated", "value": "db", "effect": "NoSchedule"}]}}, namespace=None)
    h.settle()
    assert "node-1" in nodes_with_pods(h)
    st = status(h)
    assert st["desiredNumberScheduled"] == 2 and st["numberMisscheduled"] == 1
    h.patch("nodes", "node-1", {"spec": {"taints": [
        {"key": "dedicated", "value": "db", "effect": "NoExecute"}]}}, namespace=None)
    h.settle()
    assert nodes_with_pods(h) == ["node-2", "node-3"]
    assert status(h)["numberMisscheduled"] == 0


def test_runs_on_cordoned_nodes_and_host_network_tolerance():
    h = Harness(nodes=1)
    h.add_node("node-2", unschedulable=True)
    h.create(ds(hostNetwork=True), NS)
    h.settle()
    assert nodes_with_pods(h) == ["node-1", "node-2"]
    tols = h.active_pods(namespace=NS)[0]["spec"]["tolerations"]
    assert tols[-1] == {"key": "node.kubernetes.io/network-unavailable", "operator": "Exists",
                        "effect": "NoSchedule"}


def test_rolling_update_max_unavailable_1():
    """update.go rollingUpdate: at most one node without an available pod at any time."""
    h = Harness(nodes=4)
    h.create(ds(), NS)
    h.settle()
    worst = {"missing": 0}

    def check(_t, _p):
        avail = {p["spec"].get("nodeName") for p in h.informers["pods"].list(NS)
                 if not p["metadata"].get("deletionTimestamp") and any(
                     c["type"] == "Ready" and c["status"] == "True"
                     for c in p["status"].get("conditions", []))}
        worst["missing"] = max(worst["missing"], 4 - len(avail))
    h.api.watch("pods", check, resource_version=str(h.api.store.revision))
    h.patch("daemonsets", "agent", {"spec": {"template": {"spec": {"containers": [
        {"name": "agent", "image": "fluentd:2"}]}}}}, namespace=NS, patch_type="strategic")
    h.settle()
    assert worst["missing"] == 1
    assert {p["spec"]["containers"][0]["image"] for p in h.active_pods(namespace=NS)} == \
        {"fluentd:2"}
    st = status(h)
    assert st["updatedNumberScheduled"] == 4 and st["observedGeneration"] == 2
    assert sorted(r["revision"] for r in h.list("controllerrevisions", NS)) == [1, 2]


def test_failed_daemon_pod_is_replaced():
    h = Harness(nodes=1)
    h.create(ds(), NS)
    h.settle()
    (p,) = h.active_pods(namespace=NS)
    p["status"]["phase"] = "Failed"
    h.api.update("pods", p, NS, subresource="status")
    h.settle()
    msgs = [e["message"] for e in h.events(reason="FailedDaemonPod")]
    assert msgs == [f"Found failed daemon pod {NS}/{p['metadata']['name']} on node node-1, "
                    "will try to kill it"]
    (new,) = h.active_pods(namespace=NS)
    assert new["metadata"]["name"] != p["metadata"]["name"]


def test_follows_nodes_on_minicluster():
    """Through MiniCluster: the real scheduler binds the pinned pods; a new node gets one."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=2, seed=2)
    c.apply({**ds(containers=[{"name": "agent", "image": "nginx:1.14"}]),
             "metadata": {"name": "agent", "namespace": NS}})
    c.settle()
    c.add_node("node-3")
    c.settle()
    pods = [p for p in c.api.list("pods", NS)["items"]
            if p["metadata"]["name"].startswith("agent-")]
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2", "node-3"]
    assert all(p["status"]["phase"] == "Running" for p in pods)
    st = c.api.get("daemonsets", "agent", NS)["status"]
    assert st["desiredNumberScheduled"] == st["numberReady"] == 3
