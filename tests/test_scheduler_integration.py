"""The scheduler inside the mini cluster: watch → queue → cycle → bind, events, conditions,
retries on cluster events, preemption, explain records.

Nodes are created directly through the API and no controller runs (``controllers=()``): no
kubelet heartbeats would otherwise get the nodes tainted unreachable. Only the scheduler acts.
Upstream behaviour: pkg/scheduler/schedule_one.go (handleSchedulingFailure, bind events),
pkg/scheduler/eventhandlers.go.
"""
import pytest

from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.scheduler.builders import make_node, make_pod


@pytest.fixture
def cluster():
    c = MiniCluster(nodes=[], seed=3, controllers=())
    for i in (1, 2):
        c.api.create("nodes", make_node(f"node-{i}", cpu="2", memory="4Gi"))
    c.settle()
    return c


def submit(c, pod):
    pod = dict(pod)
    pod["metadata"] = {k: v for k, v in pod["metadata"].items() if k != "uid"}
    pod.pop("status", None)
    c.api.create("pods", pod)
    c.settle()
    return c.api.get("pods", pod["metadata"]["name"], pod["metadata"].get("namespace"))


def events(c, name):
    """(type, reason, message, reporter, occurrences) of ``name``'s events; the scheduler's come
    from the events.k8s.io recorder (reportingComponent, series.count)."""
    from labkit.minicluster.events import occurrences, reporter
    return [(e["type"], e["reason"], e["message"], reporter(e), occurrences(e))
            for e in c.api.list("events")["items"] if e["involvedObject"]["name"] == name]


def condition(pod):
    return next(cd for cd in pod["status"]["conditions"] if cd["type"] == "PodScheduled")


def test_pending_pod_is_bound_with_scheduled_event(cluster):
    pod = submit(cluster, make_pod("web", cpu="500m"))
    assert pod["spec"]["nodeName"] in ("node-1", "node-2")
    assert condition(pod)["status"] == "True"
    assert events(cluster, "web") == [("Normal", "Scheduled",
                                       f"Successfully assigned default/web to {pod['spec']['nodeName']}",
                                       "default-scheduler", 1)]


def test_unschedulable_pod_condition_event_then_retry_on_node_add(cluster):
    pod = submit(cluster, make_pod("big", cpu="3"))
    msg = ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
           "2 No preemption victims found for incoming pod.")
    assert not pod["spec"].get("nodeName")
    cond = condition(pod)
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", msg)
    assert cond["lastProbeTime"] is None
    assert events(cluster, "big") == [("Warning", "FailedScheduling", msg, "default-scheduler", 1)]
    assert cluster.scheduler.pending()["unschedulablePods"] == 1
    cluster.api.create("nodes", make_node("node-3", cpu="4"))
    cluster.settle()
    pod = cluster.api.get("pods", "big")
    assert pod["spec"]["nodeName"] == "node-3" and condition(pod)["status"] == "True"


def test_retry_when_an_assigned_pod_is_deleted(cluster):
    for i in range(2):
        submit(cluster, make_pod(f"fill{i}", cpu="2"))
    assert not submit(cluster, make_pod("late", cpu="1"))["spec"].get("nodeName")
    cluster.api.delete("pods", "fill0", grace_period_seconds=0)
    cluster.settle()
    assert cluster.api.get("pods", "late")["spec"]["nodeName"]


def test_cordoned_nodes_and_repeated_failures_aggregate(cluster):
    for name in ("node-1", "node-2"):
        cluster.api.patch("nodes", name, {"spec": {"unschedulable": True}}, "merge")
    cluster.settle()
    pod = submit(cluster, make_pod("p"))
    msg = ("0/2 nodes are available: 2 node(s) were unschedulable. preemption: 0/2 nodes are "
           "available: 2 Preemption is not helpful for scheduling.")
    assert condition(pod)["message"] == msg
    cluster.run(300)  # parked longer than 5 minutes (strictly), checked every 30 s: at 330 s
    assert events(cluster, "p")[0][-1] == 1
    cluster.run(30)
    # tools/events getKey includes the regarding object's resourceVersion: the first attempt
    # saw the pod before its PodScheduled=False status, the retry after it - a second Event
    assert events(cluster, "p") == [("Warning", "FailedScheduling", msg, "default-scheduler", 1)] * 2
    cluster.api.patch("nodes", "node-2", {"spec": {"unschedulable": None}}, "merge")
    cluster.settle()
    assert cluster.api.get("pods", "p")["spec"]["nodeName"] == "node-2"


def test_heartbeat_updates_do_not_wake_parked_pods(cluster):
    submit(cluster, make_pod("big", cpu="3"))
    attempts = cluster.scheduler.stats["attempts"]
    cluster.api.patch("nodes", "node-1", {"status": {"conditions": [
        {"type": "Ready", "status": "True", "lastHeartbeatTime": "2025-01-01T00:00:10Z"}]}},
        "merge", subresource="status")
    cluster.settle()
    assert cluster.scheduler.stats["attempts"] == attempts


def test_other_schedulers_pods_are_ignored(cluster):
    pod = submit(cluster, make_pod("custom", schedulerName="my-scheduler"))
    assert not pod["spec"].get("nodeName") and events(cluster, "custom") == []


def test_binding_uses_the_scheduler_identity(cluster, monkeypatch):
    users = []
    real = cluster.api.bind

    def spy(name, namespace, node, user=None):
        users.append(user.name)
        return real(name, namespace, node, user=user)

    monkeypatch.setattr(cluster.api, "bind", spy)
    submit(cluster, make_pod("web"))
    assert users == ["system:kube-scheduler"]


def test_preemption_end_to_end(cluster):
    """DefaultPreemption: the victim gets DisruptionTarget and is deleted gracefully, the
    preemptor is nominated, and is bound once the victim is gone."""
    cluster.api.create("priorityclasses", {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                           "metadata": {"name": "high"}, "value": 1000})
    submit(cluster, make_pod("low-1", cpu="2"))
    submit(cluster, make_pod("low-2", cpu="2"))
    high = submit(cluster, make_pod("high", cpu="2", priorityClassName="high"))
    assert high["spec"]["priority"] == 1000
    nominated = high["status"].get("nominatedNodeName")
    assert nominated in ("node-1", "node-2") and not high["spec"].get("nodeName")
    victim = next(p for p in cluster.api.list("pods")["items"]
                  if p["spec"].get("nodeName") == nominated)
    assert victim["metadata"].get("deletionTimestamp")
    dt = next(cd for cd in victim["status"]["conditions"] if cd["type"] == "DisruptionTarget")
    assert (dt["status"], dt["reason"], dt["message"]) == (
        "True", "PreemptionByScheduler",
        "default-scheduler: preempting to accommodate a higher priority pod")
    name = victim["metadata"]["name"]
    assert ("Normal", "Preempted", f"Preempted by pod {high['metadata']['uid']} on node {nominated}",
            "default-scheduler", 1) in events(cluster, name)
    assert condition(high)["message"] == "0/2 nodes are available: 2 Insufficient cpu."
    cluster.api.delete("pods", name, grace_period_seconds=0)  # what the kubelet would finish
    cluster.settle()
    assert cluster.api.get("pods", "high")["spec"]["nodeName"] == nominated


def test_explain_log_and_dry_run(cluster):
    submit(cluster, make_pod("web", cpu="1"))
    rec = cluster.explain.last("scheduler")
    assert rec["pod"] == "default/web" and rec["node"] == cluster.api.get("pods", "web")["spec"]["nodeName"]
    assert {n["node"] for n in rec["nodes"]} == {"node-1", "node-2"} and "time" in rec
    dry = cluster.scheduler.explain(make_pod("what-if", cpu="1500m"))
    other = ({"node-1", "node-2"} - {rec["node"]}).pop()
    assert dry["node"] == other  # only the other node still has 1.5 CPU free
    assert cluster.scheduler.explain("web")["numAllNodes"] == 2  # an already placed pod


def test_same_seed_same_cluster_placements():
    def placements(seed):
        c = MiniCluster(nodes=[], seed=seed, controllers=())
        for i in range(4):
            c.api.create("nodes", make_node(f"n{i}"))
        for i in range(8):
            c.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"p{i}"},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
        c.settle()
        return [c.api.get("pods", f"p{i}")["spec"]["nodeName"] for i in range(8)]
    assert placements(1) == placements(1)
