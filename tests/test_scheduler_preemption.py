"""DefaultPreemption (PostFilter): eligibility, victims, node choice, messages.

Upstream: pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go and
pkg/scheduler/framework/preemption/preemption.go (v1.33).
"""
import random

from labkit.minicluster.scheduler import Framework, PodInfo, Snapshot, explain
from labkit.minicluster.scheduler.builders import CONTROL_PLANE_TAINT, make_node, make_pod
from labkit.minicluster.scheduler.preemption import (DefaultPreemption, num_candidates,
                                                     pick_one_node, split_by_pdb)


def run(pod, nodes, pods, pdbs=()):
    snap = Snapshot(nodes, pods)
    rng = random.Random(0)
    fw = Framework(rng=rng, post_filter=DefaultPreemption(rng, pdbs=lambda: list(pdbs)))
    return fw.schedule(pod, snap), snap


def test_equal_priorities_no_victims_message():
    nodes = [make_node("n1", cpu="2"), make_node("n2", cpu="2")]
    pods = [make_pod("a", cpu="2", node="n1"), make_pod("b", cpu="2", node="n2")]
    r, _ = run(make_pod("p", cpu="1"), nodes, pods)
    assert r.message == ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
                         "available: 2 No preemption victims found for incoming pod.")
    assert r.nominated == ""  # "clear the nomination": preemption cannot help


def test_preempts_the_fewest_lowest_priority_pods():
    """SelectVictimsOnNode: remove every lower-priority pod, then put back the most important
    first while the pod still fits. n1 (4 CPU) runs 1 CPU (priority 1), 1 CPU (priority 5) and
    2 CPU (priority 10); a 2 CPU pod of priority 100: "mid" is put back (2+2 = 4 fits), then
    neither 1 CPU pod fits any more → victims lo1, lo5."""
    nodes = [make_node("n1", cpu="4")]
    pods = [make_pod("lo1", cpu="1", priority=1, node="n1"),
            make_pod("lo5", cpu="1", priority=5, node="n1"),
            make_pod("mid", cpu="2", priority=10, node="n1")]
    r, snap = run(make_pod("p", cpu="2", priority=100), nodes, pods)
    assert r.node is None and r.nominated == "n1"
    assert sorted(v.name for v in r.victims) == ["lo1", "lo5"]
    assert r.message.startswith("0/1 nodes are available: 1 Insufficient cpu.")
    assert "preemption" not in r.message  # success: no PostFilter message
    assert len(snap.get("n1").pods) == 3  # the dry run left the cache as it was


def test_higher_priority_pods_are_never_victims():
    nodes = [make_node("n1", cpu="2")]
    pods = [make_pod("big", cpu="2", priority=1000, node="n1")]
    r, _ = run(make_pod("p", cpu="1", priority=100), nodes, pods)
    assert r.message.endswith("preemption: 0/1 nodes are available: 1 No preemption victims "
                              "found for incoming pod.")


def test_preemption_not_helpful_for_unresolvable_nodes():
    nodes = [make_node("cp", taints=[CONTROL_PLANE_TAINT]), make_node("w", cpu="1")]
    pods = [make_pod("lo", cpu="1", priority=0, node="w")]
    r, _ = run(make_pod("p", cpu="2", priority=10), nodes, pods)
    # w: even without "lo" 1 CPU < 2 CPU → the filter's own reason is reported
    assert r.message == ("0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated "
                         "taint {node-role.kubernetes.io/control-plane: }. preemption: 0/2 nodes "
                         "are available: 1 Insufficient cpu, 1 Preemption is not helpful for scheduling.")


def test_preemption_policy_never():
    nodes = [make_node("n1", cpu="1")]
    pods = [make_pod("lo", cpu="1", node="n1")]
    r, _ = run(make_pod("p", cpu="1", priority=10, preemptionPolicy="Never"), nodes, pods)
    assert r.message.endswith("preemption: not eligible due to preemptionPolicy=Never.")
    assert r.nominated is None


def test_pick_one_node_criteria():
    """pickOneNodeForPreemption: fewest PDB violations, then lowest top-victim priority, then
    lowest priority sum, then fewest victims."""
    def pods(*prios):
        return [PodInfo(make_pod(f"v{i}-{p}", priority=p)) for i, p in enumerate(prios)]
    assert pick_one_node([("a", pods(5), 1), ("b", pods(50), 0)])[0] == "b"
    assert pick_one_node([("a", pods(10, 1), 0), ("b", pods(5, 5), 0)])[0] == "b"
    assert pick_one_node([("a", pods(5, 5), 0), ("b", pods(5, 1), 0)])[0] == "b"
    assert pick_one_node([("a", pods(5, 0, 0), 0), ("b", pods(5, 0), 0)])[0] == "b"


def test_pdb_violations_are_counted():
    """filterPodsWithPDBViolation: each matching pod uses one allowed disruption."""
    pdb = {"metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"matchLabels": {"app": "web"}}},
           "status": {"disruptionsAllowed": 1}}
    victims = [PodInfo(make_pod(f"w{i}", labels={"app": "web"})) for i in range(3)]
    bad, ok = split_by_pdb(victims, [pdb])
    assert [p.name for p in ok] == ["w0"] and [p.name for p in bad] == ["w1", "w2"]


def test_num_candidates():
    """calculateNumCandidates: max(10 % of nodes, 100), at most the number of nodes."""
    assert (num_candidates(50), num_candidates(500), num_candidates(5000)) == (50, 100, 500)


def test_explain_shows_preemption():
    nodes = [make_node("n1", cpu="1")]
    rec = explain(make_pod("p", cpu="1", priority=10), nodes, [make_pod("lo", cpu="1", node="n1")])
    assert rec["preemption"] == {"nominatedNode": "n1", "victims": ["default/lo"]}


def test_nominated_pods_reserve_room_for_equal_or_higher_priority():
    """RunFilterPluginsWithNominatedPods: a pod nominated to a node (after preemption) holds
    its requests there against pods of lower priority, not against higher ones."""
    nodes = [make_node("n1", cpu="2")]
    snap = Snapshot(nodes)
    waiting = PodInfo(make_pod("nominee", cpu="2", priority=100))
    snap.nominated["n1"] = {waiting.key: waiting}
    fw = Framework(rng=random.Random(0))
    assert fw.schedule(make_pod("low", cpu="1", priority=10), snap).message == \
        "0/1 nodes are available: 1 Insufficient cpu."
    assert fw.schedule(make_pod("higher", cpu="1", priority=1000), snap).node == "n1"
    assert fw.schedule(make_pod("nominee", cpu="2", priority=100), snap).node == "n1"
