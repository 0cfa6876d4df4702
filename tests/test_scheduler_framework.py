"""The scheduling cycle: node sampling, FitError messages, explain records, determinism, and
the vectorized fast path agreeing with the node-by-node reference path.

Upstream: pkg/scheduler/schedule_one.go (numFeasibleNodesToFind, findNodesThatPassFilters,
nextStartNodeIndex), pkg/scheduler/framework/types.go (FitError.Error).
"""
import random

import pytest

from labkit.minicluster.scheduler import (Diagnosis, FitError, Framework, Snapshot, Status,
                                          explain, node_rows, num_feasible_nodes_to_find,
                                          score_rows, to_frame)
from labkit.minicluster.scheduler.builders import CONTROL_PLANE_TAINT, make_node, make_pod
from labkit.minicluster.scheduler.preemption import DefaultPreemption
from labkit.minicluster.scheduler.status import UNRESOLVABLE, UNSCHEDULABLE


@pytest.mark.parametrize("nodes, expected", [
    (3, 3), (99, 99),            # below minFeasibleNodesToFind: all nodes
    (100, 100),                  # 100 * 50% = 50 → floor of 100
    (200, 100),                  # 49% → 98 → 100
    (1000, 420),                 # 50 - 1000/125 = 42%
    (5000, 500),                 # 50 - 40 = 10%
    (6000, 300),                 # 50 - 48 = 2% → floor 5%
    (10000, 500),                # 5%
])
def test_num_feasible_nodes_to_find_adaptive(nodes, expected):
    """schedule_one.go numFeasibleNodesToFind with percentageOfNodesToScore = 0 (adaptive)."""
    assert num_feasible_nodes_to_find(0, nodes) == expected


def test_num_feasible_nodes_to_find_configured_percentage():
    assert num_feasible_nodes_to_find(100, 5000) == 5000
    assert num_feasible_nodes_to_find(1, 5000) == 100  # never below 100


def _cluster(n, **kw):
    return Snapshot([make_node(f"node-{i:04d}", **kw) for i in range(n)])


def test_sampling_stops_early_and_rotates_the_start_index():
    """200 nodes → 100 feasible nodes are enough; the next cycle starts where this one stopped
    (nextStartNodeIndex = (index + processed) % nodes)."""
    snap = _cluster(200)
    fw = Framework(rng=random.Random(0))
    r = fw.schedule(make_pod("a"), snap, trace=True)
    assert (r.evaluated, r.feasible) == (100, 100)
    assert r.trace["evaluated"][0] == "node-0000" and r.trace["evaluated"][-1] == "node-0099"
    assert fw.next_start_node_index == 100
    r = fw.schedule(make_pod("b"), snap, trace=True)
    assert r.trace["evaluated"][0] == "node-0100"
    assert fw.next_start_node_index == 0  # wrapped around


def test_sampling_counts_rejected_nodes_as_processed():
    """Infeasible nodes examined on the way count in EvaluatedNodes and move the cursor."""
    nodes = [make_node(f"n{i:03d}", taints=[CONTROL_PLANE_TAINT] if i % 2 == 0 else ())
             for i in range(300)]
    fw = Framework(rng=random.Random(0))
    r = fw.schedule(make_pod("p"), Snapshot(nodes))
    # 300 nodes → 50 - 2 = 48% → 144 feasible wanted; every other node is tainted
    assert r.feasible == 144 and r.evaluated == 288
    assert fw.next_start_node_index == 288


def test_sampling_5000_nodes_finds_500():
    r = Framework(rng=random.Random(0)).schedule(make_pod("p"), _cluster(5000))
    assert (r.evaluated, r.feasible) == (500, 500)


def test_zone_round_robin_node_order():
    """internal/cache/node_tree.go: the node list interleaves zones."""
    nodes = [make_node(f"a{i}", zone="a") for i in range(3)] + \
            [make_node(f"b{i}", zone="b") for i in range(2)]
    assert [ni.name for ni in Snapshot(nodes).node_list()] == ["a0", "b0", "a1", "b1", "a2"]


# -- FitError -----------------------------------------------------------------------------------
def test_fit_error_message_format_and_sorting():
    """types.go FitError.Error: "0/N nodes are available: " + sorted("count reason") + "."
    The sort is on strings (Go sort.Strings): "1 Insufficient memory" < "11 Insufficient cpu"
    < "2 node(s)..."."""
    d = Diagnosis()
    for i in range(10):
        d.add(f"c{i}", Status(UNSCHEDULABLE, "Insufficient cpu", plugin="NodeResourcesFit"))
    for i in range(2):
        d.add(f"t{i}", Status(UNRESOLVABLE, "node(s) had untolerated taint {a: }", plugin="TaintToleration"))
    d.add("m", Status(UNSCHEDULABLE, "Insufficient cpu", "Insufficient memory", plugin="NodeResourcesFit"))
    assert str(FitError("default/p", 13, d)) == (
        "0/13 nodes are available: 1 Insufficient memory, 11 Insufficient cpu, "
        "2 node(s) had untolerated taint {a: }.")
    assert d.unschedulable_plugins == {"NodeResourcesFit", "TaintToleration"}


def test_fit_error_with_prefilter_and_postfilter_messages():
    d = Diagnosis()
    d.pre_filter_msg = "pod affinity terms conflict"
    d.post_filter_msg = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    assert str(FitError("default/p", 3, d)) == (
        "0/3 nodes are available: pod affinity terms conflict. preemption: 0/3 nodes are "
        "available: 3 Preemption is not helpful for scheduling.")


def test_unschedulable_message_end_to_end():
    """The classic message: control plane taint + insufficient CPU, with DefaultPreemption's
    summary (all pods priority 0: nothing to preempt)."""
    nodes = [make_node("cp", taints=[CONTROL_PLANE_TAINT]), make_node("w1", cpu="2"),
             make_node("w2", cpu="2")]
    rec = explain(make_pod("web", cpu="3"), nodes)
    assert rec["node"] is None
    assert rec["message"] == (
        "0/3 nodes are available: 1 node(s) had untolerated taint "
        "{node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes "
        "are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims "
        "found for incoming pod.")


def test_prefilter_rejection_message():
    """nodeaffinity PreFilter: matchFields terms naming no common node → conflict."""
    aff = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["a"]},
                         {"key": "metadata.name", "operator": "In", "values": ["b"]}]}]}}}
    rec = explain(make_pod("p", affinity=aff), [make_node("a"), make_node("b")])
    assert rec["message"] == ("0/2 nodes are available: pod affinity terms conflict. preemption: "
                              "0/2 nodes are available: 2 Preemption is not helpful for scheduling.")


def test_no_nodes_at_all():
    r = Framework(rng=random.Random(0)).schedule(make_pod("p"), Snapshot())
    assert r.node is None and r.message == "no nodes available to schedule pods"


# -- explain records ------------------------------------------------------------------------------
def test_explain_record_contents():
    nodes = [make_node("cp", taints=[CONTROL_PLANE_TAINT]), make_node("small", cpu="1"),
             make_node("big", cpu="8")]
    rec = explain(make_pod("web", cpu="2"), nodes)
    assert rec["pod"] == "default/web" and rec["node"] == "big" and rec["message"] == ""
    assert (rec["numAllNodes"], rec["evaluatedNodes"], rec["feasibleNodes"]) == (3, 3, 1)
    by = {n["node"]: n for n in rec["nodes"]}
    assert by["cp"]["filteredBy"] == "TaintToleration"
    assert by["cp"]["code"] == "UnschedulableAndUnresolvable"
    assert by["small"]["reasons"] == ["Insufficient cpu"] and by["small"]["code"] == "Unschedulable"
    assert by["big"]["selected"] and by["big"]["scores"] == {}  # one feasible node: no scoring
    assert "InterPodAffinity" in rec["skippedPlugins"]


def test_explain_scores_add_up_to_the_total():
    nodes = [make_node("a", cpu="4"), make_node("b", cpu="8"),
             make_node("c", cpu="8", taints=[{"key": "x", "effect": "PreferNoSchedule"}])]
    rec = explain(make_pod("web", cpu="1", memory="1Gi"), nodes)
    for n in rec["nodes"]:
        assert n["total"] == sum(s["weighted"] for s in n["scores"].values())
        for s in n["scores"].values():
            assert s["weighted"] == s["normalized"] * s["weight"]
    assert rec["node"] == "b"  # most free, no soft taint
    rows = node_rows(rec)
    assert rows[1]["node"] == "b" and rows[1]["selected"] and rows[1]["TaintToleration"] == 300
    long = score_rows(rec)
    assert {r["plugin"] for r in long} >= {"NodeResourcesFit", "TaintToleration"}
    frame = to_frame(rec)
    assert frame.loc["b", "total"] == max(r["total"] for r in rows)


def test_explain_marks_nodes_not_evaluated_by_sampling():
    nodes = [make_node(f"n{i:03d}") for i in range(150)]
    rec = explain(make_pod("p"), nodes)
    assert rec["numFeasibleNodesToFind"] == 100
    assert sum(n["evaluated"] for n in rec["nodes"]) == 100
    assert not rec["nodes"][120]["evaluated"] and rec["nodes"][120]["scores"] == {}


# -- determinism and the fast path ---------------------------------------------------------------
def _placements(seed, vectorized=True, n_pods=60):
    nodes = [make_node(f"n{i}", cpu="4", zone="abc"[i % 3]) for i in range(12)]
    snap = Snapshot(nodes)
    rng = random.Random(seed)
    fw = Framework(rng=rng, vectorized=vectorized, post_filter=DefaultPreemption(rng))
    out = []
    for i in range(n_pods):
        r = fw.schedule(make_pod(f"p{i}", cpu="250m", labels={"app": "x"}), snap)
        out.append(r.node or r.message)
        if r.node:
            snap.add_pod(make_pod(f"p{i}", cpu="250m", labels={"app": "x"}), r.node)
    return out


def test_same_seed_same_placements():
    assert _placements(7) == _placements(7)
    assert _placements(7) != _placements(8)  # ties between identical nodes go different ways


def _random_cluster(rng, n_nodes=40, n_pods=120):
    zones = ["z1", "z2", "z3"]
    nodes = []
    for i in range(n_nodes):
        taints = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}] if rng.random() < 0.15 else []
        if rng.random() < 0.2:
            taints.append({"key": "soft", "effect": "PreferNoSchedule"})
        nodes.append(make_node(f"n{i:02d}", cpu=str(rng.choice([2, 4, 8])),
                               memory=rng.choice(["4Gi", "8Gi", "16Gi"]), pods=str(rng.choice([5, 110])),
                               zone=rng.choice(zones) if rng.random() < 0.9 else None,
                               labels={"disk": rng.choice(["ssd", "hdd"])}, taints=taints,
                               unschedulable=rng.random() < 0.05))
    apps = ["web", "db", "cache"]
    pods = []
    for i in range(n_pods):
        app = rng.choice(apps)
        pods.append(make_pod(f"r{i}", cpu=rng.choice(["100m", "500m", None]),
                             memory=rng.choice(["128Mi", "1Gi", None]),
                             labels={"app": app}, node=rng.choice(nodes)["metadata"]["name"]))
    return nodes, pods


def _random_pod(rng, i):
    app = rng.choice(["web", "db", "cache"])
    spec = {}
    if rng.random() < 0.3:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Exists"}]
    if rng.random() < 0.3:
        spec["nodeSelector"] = {"disk": rng.choice(["ssd", "hdd"])}
    if rng.random() < 0.3:
        spec["topologySpreadConstraints"] = [
            {"maxSkew": rng.choice([1, 2]), "topologyKey": rng.choice(["topology.kubernetes.io/zone",
                                                                        "kubernetes.io/hostname"]),
             "whenUnsatisfiable": rng.choice(["DoNotSchedule", "ScheduleAnyway"]),
             "labelSelector": {"matchLabels": {"app": app}}}]
    if rng.random() < 0.3:
        kind = rng.choice(["podAffinity", "podAntiAffinity"])
        term = {"labelSelector": {"matchLabels": {"app": rng.choice(["web", "db"])}},
                "topologyKey": rng.choice(["topology.kubernetes.io/zone", "kubernetes.io/hostname"])}
        spec["affinity"] = {kind: {"preferredDuringSchedulingIgnoredDuringExecution":
                                   [{"weight": 50, "podAffinityTerm": term}]}
                            if rng.random() < 0.5 else
                            {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    if rng.random() < 0.3:
        spec.setdefault("affinity", {})["nodeAffinity"] = {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 30, "preference": {"matchExpressions": [
                    {"key": "disk", "operator": "In", "values": ["ssd"]}]}}],
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "NotIn",
                                       "values": ["z3"]}]}]}}
    return make_pod(f"new{i}", cpu=rng.choice(["100m", "1", "3", None]),
                    memory=rng.choice(["256Mi", "2Gi", None]), labels={"app": app}, **spec)


@pytest.mark.parametrize("seed", range(6))
def test_fast_path_matches_reference_path(seed):
    """The vectorized filters/scores must give exactly the per-node reference results:
    same verdicts, same reasons, same raw and normalized scores, same choice."""
    rng = random.Random(seed)
    nodes, pods = _random_cluster(rng)
    for i in range(25):
        pod = _random_pod(rng, i)
        results = []
        for vectorized in (True, False):
            snap = Snapshot(nodes, pods)
            fw = Framework(rng=random.Random(seed), vectorized=vectorized)
            r = fw.schedule(pod, snap, trace=True)
            results.append((r.node, r.message, r.evaluated, r.feasible,
                            {k: (v.code, v.reasons, v.plugin) for k, v in r.trace["statuses"].items()},
                            r.trace["scores"], r.trace.get("totals")))
        assert results[0] == results[1], f"pod {i}: {pod['spec']}"


def test_index_counts_match_brute_force():
    """The snapshot's per-label-set pod counts equal a direct count over the pods."""
    rng = random.Random(3)
    nodes, pods = _random_cluster(rng)
    snap = Snapshot(nodes, pods)
    snap.remove_pod("default/r5")
    got = snap.index.count(lambda ns, labels, t: labels.get("app") == "web")
    for ni in snap.node_list():
        assert got[ni.slot] == sum(1 for p in ni.pods.values() if p.labels.get("app") == "web")
