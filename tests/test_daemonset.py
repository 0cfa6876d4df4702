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


def _watch_nodes(h, n_nodes, image):
    """Record, after every pod change, the worst number of nodes without a Ready pod and the
    most pods of ``image``'s predecessor and successor living on one node at once."""
    seen = {"missing": 0, "two_on_a_node": 0}

    def check(_t, _p):
        live = [p for p in h.informers["pods"].list(NS)
                if not p["metadata"].get("deletionTimestamp")]
        ready = {p["spec"].get("nodeName") for p in live if any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p["status"].get("conditions", []))}
        seen["missing"] = max(seen["missing"], n_nodes - len(ready))
        per_node = {}
        for p in live:
            per_node.setdefault(p["spec"].get("nodeName"), []).append(p)
        seen["two_on_a_node"] = max(seen["two_on_a_node"],
                                    sum(len(ps) > 1 for ps in per_node.values()))
    h.api.watch("pods", check, resource_version=str(h.api.store.revision))
    return seen


def _surge_ds(max_surge, max_unavailable=0):
    obj = ds()
    obj["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": max_surge, "maxUnavailable": max_unavailable}}
    return obj


def _new_image(h):
    h.patch("daemonsets", "agent", {"spec": {"template": {"spec": {"containers": [
        {"name": "agent", "image": "fluentd:2"}]}}}}, namespace=NS, patch_type="strategic")


def test_rolling_update_max_surge_creates_before_deleting():
    """update.go rollingUpdate (surge branch) and podsShouldBeOnNode: with maxSurge 1 the new
    pod starts beside the old one, the old one goes once the new one is available; never a
    node without a Ready pod, never more than maxSurge nodes with two pods."""
    h = Harness(nodes=4)
    h.create(_surge_ds(1), NS)
    h.settle()
    seen = _watch_nodes(h, 4, "fluentd:2")
    _new_image(h)
    h.settle()
    assert seen == {"missing": 0, "two_on_a_node": 1}
    pods = h.active_pods(namespace=NS)
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["node-1", "node-2", "node-3", "node-4"]
    assert {p["spec"]["containers"][0]["image"] for p in pods} == {"fluentd:2"}
    st = status(h)
    assert st["updatedNumberScheduled"] == 4 and st["numberAvailable"] == 4


def test_rolling_update_max_surge_percentage_rounds_up():
    """util.SurgeCount scales a percentage rounding up: 50% of 3 nodes = 2 nodes surging."""
    h = Harness(nodes=3)
    h.create(_surge_ds("50%"), NS)
    h.settle()
    seen = _watch_nodes(h, 3, "fluentd:2")
    _new_image(h)
    h.settle()
    assert seen == {"missing": 0, "two_on_a_node": 2}
    assert {p["spec"]["containers"][0]["image"] for p in h.active_pods(namespace=NS)} == \
        {"fluentd:2"}


def test_surge_waits_for_new_pod_to_be_ready():
    """A new pod that never becomes Ready keeps the old one running (update.go: 'we're
    waiting to go available here'); the rollout stalls after maxSurge nodes."""
    h = Harness(nodes=3)
    h.create(_surge_ds(1), NS)
    h.settle()
    h.patch("daemonsets", "agent", {"spec": {"template": {
        "metadata": {"annotations": {"harness/ready": "false"}}}}}, namespace=NS)
    h.settle()
    pods = h.active_pods(namespace=NS)
    assert len(pods) == 4
    per_node = {}
    for p in pods:
        per_node.setdefault(p["spec"]["nodeName"], []).append(p)
    assert sorted(len(v) for v in per_node.values()) == [1, 1, 2]
    st = status(h)
    assert "updatedNumberScheduled" not in st and st["numberAvailable"] == 3  # omitempty 0


def test_daemonset_update_strategy_defaults_and_validation():
    """SetDefaults_DaemonSet (apps/v1 defaults.go): maxUnavailable 1, maxSurge 0.
    ValidateRollingUpdateDaemonSet: both zero or both non-zero are rejected."""
    from labkit.minicluster.errors import ApiError
    h = Harness(nodes=1)
    got = h.create(ds(), NS)["spec"]["updateStrategy"]
    assert got == {"type": "RollingUpdate",
                   "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    for surge, unavailable, msg in [
            (0, 0, "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: "
                   "cannot be 0 when maxSurge is 0"),
            (1, 1, "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: "
                   'intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: '
                   "may not be set when maxUnavailable is non-zero")]:
        obj = _surge_ds(surge, unavailable)
        obj["metadata"]["name"] = "bad"
        try:
            h.create(obj, NS)
            raise AssertionError("accepted")
        except ApiError as e:
            assert e.code == 422
            assert msg in e.status["message"]


def test_succeeded_daemon_pod_is_replaced_with_event():
    """podsShouldBeOnNode: a Succeeded daemon pod is deleted with a Normal SucceededDaemonPod
    event and replaced (the same path as a Failed one, without back-off)."""
    h = Harness(nodes=1)
    h.create(ds(), NS)
    h.settle()
    (old,) = h.active_pods(namespace=NS)
    old["status"]["phase"] = "Succeeded"
    h.api.update("pods", old, NS, subresource="status")
    h.settle()
    (e,) = h.events(reason="SucceededDaemonPod")
    assert (e["type"], e["message"]) == ("Normal", f"Found succeeded daemon pod {NS}/"
                                         f"{old['metadata']['name']} on node node-1, will try "
                                         "to delete it")
    assert [p["metadata"]["name"] for p in h.active_pods(namespace=NS)] != \
        [old["metadata"]["name"]]
