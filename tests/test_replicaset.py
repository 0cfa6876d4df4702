"""The ReplicaSet controller and ReplicationController manager on the test harness.

Upstream: pkg/controller/replicaset/replica_set.go (manageReplicas, burstReplicas,
getPodsToDelete, claimPods), replica_set_utils.go (calculateStatus),
pkg/controller/controller_utils.go (ActivePodsWithRanks) and its test
TestSortingActivePodsWithRanks.
"""
import re

from workload_harness import Harness

from labkit.minicluster.apiserver import NAME_ALPHABET
from labkit.minicluster.controllers.podcontrol import rank_for_deletion

T0 = 1735689600.0  # 2025-01-01T00:00:00Z


def replicaset(name="web", replicas=3, kind="ReplicaSet", **spec):
    labels = {"app": name}
    obj = {"apiVersion": "apps/v1" if kind == "ReplicaSet" else "v1", "kind": kind,
           "metadata": {"name": name},
           "spec": {"replicas": replicas,
                    "selector": {"matchLabels": labels} if kind == "ReplicaSet" else labels,
                    "template": {"metadata": {"labels": labels}, "spec": {
                        "containers": [{"name": "c", "image": "nginx:1.14"}]}}}}
    obj["spec"].update(spec)
    return obj


def test_pod_names_events_and_status():
    """Pods are ``<rs>-<5 chars of the generateName alphabet>``; events as upstream."""
    h = Harness()
    h.create(replicaset(replicas=3))
    h.settle()
    pods = h.active_pods()
    assert len(pods) == 3
    for p in pods:
        assert re.fullmatch(rf"web-[{NAME_ALPHABET}]{{5}}", p["metadata"]["name"])
        ref = p["metadata"]["ownerReferences"][0]
        assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == \
            ("ReplicaSet", "web", True, True)
    msgs = sorted(e["message"] for e in h.events(reason="SuccessfulCreate"))
    assert msgs == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)
    assert {e["source"]["component"] for e in h.events()} == {"replicaset-controller"}
    st = h.get("replicasets", "web")["status"]
    assert st == {"replicas": 3, "fullyLabeledReplicas": 3, "readyReplicas": 3,
                  "availableReplicas": 3, "observedGeneration": 1}


def test_scale_to_zero_keeps_replicas_field():
    h = Harness()
    h.create(replicaset(replicas=2))
    h.settle()
    h.patch("replicasets", "web", {"spec": {"replicas": 0}})
    h.settle()
    assert h.get("replicasets", "web")["status"] == {"replicas": 0, "observedGeneration": 2}
    assert len(h.events(reason="SuccessfulDelete")) == 2


def test_burst_replicas_500_per_sync():
    """burstReplicas: one sync creates at most 500 pods, the next sync the rest."""
    h = Harness(nodes=1)
    ctrl = h.manager["replicaset"]
    created_per_sync = []
    original = ctrl.manage_replicas

    def spy(pods, rs):
        before = len(h.pods.owned_by(rs["metadata"]["uid"]))
        out = original(pods, rs)
        created_per_sync.append(len(h.pods.owned_by(rs["metadata"]["uid"])) - before)
        return out
    ctrl.manage_replicas = spy
    h.create(replicaset(replicas=600))
    h.loop.run_pending()
    assert created_per_sync[:2] == [500, 100]
    assert len(h.list("pods")) == 600


def test_min_ready_seconds_available_later():
    """replica_set_utils.go: available = ready for more than minReadySeconds."""
    h = Harness()
    h.create(replicaset(replicas=2, minReadySeconds=10))
    h.run(5)
    st = h.get("replicasets", "web")["status"]
    assert st["readyReplicas"] == 2 and "availableReplicas" not in st
    h.run(10)
    assert h.get("replicasets", "web")["status"]["availableReplicas"] == 2


def test_scale_down_deletes_unscheduled_pods_first():
    """getPodsToDelete: unassigned < assigned (rule 1 of ActivePodsWithRanks)."""
    h = Harness()
    h.create(replicaset(replicas=2))
    h.settle()
    running = {p["metadata"]["name"] for p in h.active_pods()}
    for n in ("node-1", "node-2", "node-3"):
        h.patch("nodes", n, {"spec": {"unschedulable": True}}, namespace=None)
    h.patch("replicasets", "web", {"spec": {"replicas": 4}})
    h.settle()
    assert sum(1 for p in h.active_pods() if not p["spec"].get("nodeName")) == 2
    h.patch("replicasets", "web", {"spec": {"replicas": 2}})
    h.settle()
    assert {p["metadata"]["name"] for p in h.active_pods()} == running
    recs = h.explain.records("replicaset-victims")
    deleted = [r for r in recs if r["deleted"]]
    assert len(deleted) == 2 and all(not r["assigned"] for r in deleted)
    assert [r["position"] for r in recs[-4:]] == [0, 1, 2, 3]
    assert {"pod", "node", "phase", "ready", "deletionCost", "colocated", "readySeconds",
            "restarts", "ageSeconds", "replicaset", "time"} <= set(recs[-1])


def test_pod_deletion_cost_is_respected():
    """controller.kubernetes.io/pod-deletion-cost: lower cost goes first."""
    h = Harness()
    h.create(replicaset(replicas=3))
    h.settle()
    names = sorted(p["metadata"]["name"] for p in h.active_pods())
    for cost, name in zip(("100", "-5", "50"), names):
        h.patch("pods", name, {"metadata": {"annotations": {
            "controller.kubernetes.io/pod-deletion-cost": cost}}})
    h.patch("replicasets", "web", {"spec": {"replicas": 1}})
    h.settle()
    assert [p["metadata"]["name"] for p in h.active_pods()] == [names[0]]


def test_adopts_matching_orphans_and_releases_non_matching():
    """claimPods: an orphan with matching labels is adopted (no new pod created); a pod
    whose labels stop matching is released and replaced."""
    h = Harness()
    h.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stray", "labels": {
        "app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    h.create(replicaset(replicas=2))
    h.settle()
    stray = h.get("pods", "stray")
    assert stray["metadata"]["ownerReferences"][0]["name"] == "web"
    assert len(h.active_pods("app=web")) == 2
    h.patch("pods", "stray", {"metadata": {"labels": {"app": "debug"}}})
    h.settle()
    assert "ownerReferences" not in h.get("pods", "stray")["metadata"] or \
        h.get("pods", "stray")["metadata"]["ownerReferences"] == []
    assert len(h.active_pods("app=web")) == 2


def test_replication_controller_map_selector():
    """ReplicationManager: the same controller for core/v1 ReplicationController."""
    h = Harness()
    h.create(replicaset(name="legacy", replicas=2, kind="ReplicationController"))
    h.settle()
    pods = h.active_pods("app=legacy")
    assert len(pods) == 2
    assert {p["metadata"]["ownerReferences"][0]["kind"] for p in pods} == {"ReplicationController"}
    assert {e["source"]["component"] for e in h.events()} == {"replication-controller"}
    st = h.get("replicationcontrollers", "legacy")["status"]
    assert st["replicas"] == 2 and st["readyReplicas"] == 2 and st["observedGeneration"] == 1


def test_failed_creation_sets_replica_failure_condition():
    """calculateStatus: a create error becomes condition ReplicaFailure / FailedCreate."""
    h = Harness()
    ctrl = h.manager["replicaset"]
    from labkit.minicluster import errors

    def refuse(ns, pod, parent):
        raise errors.forbidden("system:serviceaccount:kube-system:replicaset-controller",
                               "create", "pods", "", None, ns, "exceeded quota")
    ctrl.pod_control.create = refuse
    h.create(replicaset(replicas=2))
    h.run(0)
    cond = h.get("replicasets", "web")["status"]["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == ("ReplicaFailure", "True",
                                                             "FailedCreate")
    assert "exceeded quota" in cond["message"]


# -- the ranking itself (controller_utils_test.go TestSortingActivePodsWithRanks) -------------
def pod(name, node="n1", phase="Running", ready=True, ready_at=T0 - 600, restarts=0,
        created=T0 - 3600, cost=None, uid=None):
    from labkit.minicluster.clock import rfc3339
    p = {"metadata": {"name": name, "uid": uid or name, "creationTimestamp": rfc3339(created)},
         "spec": {"nodeName": node} if node else {},
         "status": {"phase": phase, "containerStatuses": [{"name": "c", "restartCount": restarts}]}}
    if ready is not None:
        p["status"]["conditions"] = [{"type": "Ready", "status": "True" if ready else "False",
                                      "lastTransitionTime": rfc3339(ready_at)}]
    if cost is not None:
        p["metadata"]["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": cost}
    return p


def order(pods, related=(), now=T0):
    return [f.pod["metadata"]["name"] for f in rank_for_deletion(pods, list(related), now)]


def test_ranking_each_rule():
    assert order([pod("b"), pod("a", node="")]) == ["a", "b"]                       # 1
    assert order([pod("run"), pod("unk", phase="Unknown"), pod("pend", phase="Pending")]) \
        == ["pend", "unk", "run"]                                                  # 2
    assert order([pod("r"), pod("nr", ready=False)]) == ["nr", "r"]                # 3
    assert order([pod("hi", cost="10"), pod("lo", cost="-1")]) == ["lo", "hi"]      # 4
    related = [pod("x1", node="n2"), pod("x2", node="n2")]
    assert order([pod("alone", node="n1"), pod("crowded", node="n2")], related) == \
        ["crowded", "alone"]                                                        # 5
    assert order([pod("old", ready_at=T0 - 3600), pod("new", ready_at=T0 - 10)]) == \
        ["new", "old"]                                                              # 6
    assert order([pod("calm"), pod("crashy", restarts=5)]) == ["crashy", "calm"]     # 7
    assert order([pod("older", created=T0 - 7200), pod("newer", created=T0 - 60)]) == \
        ["newer", "older"]                                                          # 8


def test_ranking_logarithmic_buckets_fall_back_to_uid():
    """LogarithmicScaleDown (GA): ready times in the same power-of-two bucket compare by UID."""
    a = pod("a", ready_at=T0 - 100, uid="uid-b")
    b = pod("b", ready_at=T0 - 101, uid="uid-a")
    assert order([a, b]) == ["b", "a"]
