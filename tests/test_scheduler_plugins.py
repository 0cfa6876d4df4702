"""Scheduler filter and score plugins, one behaviour at a time (Kubernetes v1.33 semantics).

Each test builds a tiny cluster from plain dicts and checks the verdict/score against the
upstream rule, computed by hand in the test. Upstream sources are cited per test.
"""
import random

import pytest

from labkit.minicluster.scheduler import Framework, PodInfo, Snapshot, explain, pod_requests
from labkit.minicluster.scheduler.builders import CONTROL_PLANE_TAINT, container, make_node, make_pod
from labkit.minicluster.scheduler.plugins import default_plugins

MI, GI = 1024 ** 2, 1024 ** 3


def verdicts(pod, nodes, pods=()):
    """node name -> (filtering plugin, reasons) or None when the node is feasible."""
    rec = explain(pod, nodes, pods, preemption=False)
    return {n["node"]: ((n["filteredBy"], n["reasons"]) if not n["feasible"] else None)
            for n in rec["nodes"]}


def scores(pod, nodes, pods=(), plugin=None):
    """node name -> {plugin: {raw, normalized, weight, weighted}} (or one plugin's entry)."""
    rec = explain(pod, nodes, pods, preemption=False)
    out = {n["node"]: n["scores"] for n in rec["nodes"] if n["feasible"]}
    return {k: v.get(plugin) for k, v in out.items()} if plugin else out


# -- NodeResourcesFit: filter ------------------------------------------------------------------
def test_fit_reports_each_insufficient_resource():
    """plugins/noderesources/fit.go fitsRequest: one reason per resource that does not fit."""
    nodes = [make_node("small", cpu="1", memory="1Gi"), make_node("big", cpu="8", memory="16Gi")]
    v = verdicts(make_pod("p", cpu="2", memory="2Gi"), nodes)
    assert v["small"] == ("NodeResourcesFit", ["Insufficient cpu", "Insufficient memory"])
    assert v["big"] is None


def test_fit_counts_requests_of_pods_already_on_the_node():
    nodes = [make_node("n1", cpu="4")]
    running = [make_pod("a", cpu="3", node="n1")]
    assert verdicts(make_pod("p", cpu="1"), nodes, running)["n1"] is None
    assert verdicts(make_pod("p", cpu="1001m"), nodes, running)["n1"] == \
        ("NodeResourcesFit", ["Insufficient cpu"])


def test_fit_too_many_pods_and_zero_request_pods():
    """A pod requesting nothing is only limited by the node's ``pods`` allocatable."""
    nodes = [make_node("n1", cpu="1", pods="2")]
    full_cpu = [make_pod("a", cpu="1", node="n1")]
    assert verdicts(make_pod("p"), nodes, full_cpu)["n1"] is None
    two = full_cpu + [make_pod("b", node="n1")]
    assert verdicts(make_pod("p"), nodes, two)["n1"] == ("NodeResourcesFit", ["Too many pods"])


def test_fit_extended_and_ephemeral_resources():
    nodes = [make_node("gpu", resources={"nvidia.com/gpu": "1", "ephemeral-storage": "10Gi"}),
             make_node("plain")]
    pod = make_pod("p", containers=[container(cpu="100m", **{"nvidia.com/gpu": 1})])
    v = verdicts(pod, nodes)
    assert v["gpu"] is None and v["plain"] == ("NodeResourcesFit", ["Insufficient nvidia.com/gpu"])
    pod = make_pod("q", containers=[container(ephemeral_storage="20Gi")])
    assert verdicts(pod, nodes)["gpu"] == ("NodeResourcesFit", ["Insufficient ephemeral-storage"])


def test_pod_requests_init_container_max_rule():
    """fit.go computePodResourceRequest example: containers 2+1 CPU, 1G+1G; init containers
    (2 CPU, 1G) and (2 CPU, 3G) → CPU 3, memory 3G."""
    spec = {"containers": [container(cpu=2, memory="1G"), container(cpu=1, memory="1G")],
            "initContainers": [container(cpu=2, memory="1G"), container(cpu=2, memory="3G")]}
    assert pod_requests(spec) == {"cpu": 3000, "memory": 3 * 10 ** 9}


def test_pod_requests_sidecars_and_overhead():
    """component-helpers PodRequests: a restartable init container (sidecar) runs alongside the
    app (added to the sum) and alongside later init containers; overhead is added on top."""
    spec = {"containers": [container(cpu="500m")],
            "initContainers": [container(cpu="200m", restart_policy="Always"),
                               container(cpu="1")],
            "overhead": {"cpu": "50m"}}
    # sum = 500m + 200m sidecar = 700m; init step = 1000m + 200m sidecar = 1200m → max 1200m
    assert pod_requests(spec)["cpu"] == 1200 + 50


def test_nonzero_requests_for_scoring():
    """pkg/scheduler/util/pod_resources.go: no request counts as 100m CPU and 200 MB memory."""
    pi = PodInfo(make_pod("p", memory="1Gi"))
    assert (pi.cpu, pi.memory) == (0, GI)
    assert (pi.nz_cpu, pi.nz_memory) == (100, GI)
    empty = PodInfo(make_pod("q"))
    assert (empty.nz_cpu, empty.nz_memory) == (100, 200 * MI)


# -- NodeResourcesFit: LeastAllocated score, BalancedAllocation -----------------------------------
def test_least_allocated_worked_example():
    """least_allocated.go: per resource (capacity - requested) * 100 / capacity, integer;
    averaged with weights cpu=1, memory=1. Node 4 CPU / 8Gi with 1 CPU / 2Gi requested,
    pod 1 CPU / 1Gi: cpu (4000-2000)*100/4000 = 50, memory (8-3)*100/8 = 62 → (50+62)/2 = 56."""
    nodes = [make_node("n1", cpu="4", memory="8Gi"), make_node("n2", cpu="4", memory="8Gi")]
    running = [make_pod("a", cpu="1", memory="2Gi", node="n1")]
    s = scores(make_pod("p", cpu="1", memory="1Gi"), nodes, running, "NodeResourcesFit")
    assert s["n1"]["raw"] == (50 + 62) // 2 == 56
    # empty n2: cpu (4000-1000)*100/4000 = 75, memory (8-1)*100/8 = 87 → 81
    assert s["n2"]["raw"] == (75 + 87) // 2 == 81
    assert s["n1"]["weighted"] == 56 * 1


def test_least_allocated_uses_nonzero_defaults():
    """A best-effort pod on an empty 4 CPU / 8Gi node: cpu (4000-100)*100/4000 = 97,
    memory (8192-200)*100/8192 = 97 (MiB) → 97."""
    nodes = [make_node("n1"), make_node("n2")]
    s = scores(make_pod("p"), nodes, plugin="NodeResourcesFit")
    assert s["n1"]["raw"] == ((3900 * 100) // 4000 + ((8 * GI - 200 * MI) * 100) // (8 * GI)) // 2 == 97


def test_balanced_allocation_worked_example():
    """balanced_allocation.go: fractions cpu 2/4 = 0.5, memory 3/8 = 0.375 (actual requests);
    std = |0.5 - 0.375| / 2 = 0.0625; score = int((1 - 0.0625) * 100) = 93."""
    nodes = [make_node("n1", cpu="4", memory="8Gi"), make_node("n2", cpu="4", memory="8Gi")]
    running = [make_pod("a", cpu="1", memory="2Gi", node="n1")]
    s = scores(make_pod("p", cpu="1", memory="1Gi"), nodes, running,
               "NodeResourcesBalancedAllocation")
    assert s["n1"]["raw"] == 93
    # n2: cpu 1/4 = 0.25, memory 1/8 = 0.125 → std 0.0625 → 93 as well
    assert s["n2"]["raw"] == 93


def test_balanced_allocation_skips_best_effort_pods():
    """v1.33 (kubernetes#130260): PreScore returns Skip for pods requesting nothing."""
    rec = explain(make_pod("p"), [make_node("n1"), make_node("n2")], preemption=False)
    assert "NodeResourcesBalancedAllocation" not in rec["nodes"][0]["scores"]
    assert "NodeResourcesFit" in rec["nodes"][0]["scores"]


# -- TaintToleration, NodeUnschedulable, NodeName, NodePorts --------------------------------------
def test_untolerated_taint_message_names_the_taint():
    """tainttoleration: "node(s) had untolerated taint {key: value}" (empty value shown)."""
    nodes = [make_node("cp", taints=[CONTROL_PLANE_TAINT]),
             make_node("gpu", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoExecute"}]),
             make_node("w")]
    v = verdicts(make_pod("p"), nodes)
    assert v["cp"] == ("TaintToleration",
                       ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"])
    assert v["gpu"] == ("TaintToleration", ["node(s) had untolerated taint {dedicated: gpu}"])
    assert v["w"] is None


@pytest.mark.parametrize("toleration, ok", [
    ({"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}, True),
    ({"key": "dedicated", "value": "gpu"}, True),                    # any effect, Equal default
    ({"key": "dedicated", "operator": "Exists"}, True),
    ({"operator": "Exists"}, True),                                  # tolerates everything
    ({"key": "dedicated", "value": "cpu"}, False),
    ({"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}, False),
])
def test_toleration_matching(toleration, ok):
    """core/v1 Toleration.ToleratesTaint."""
    nodes = [make_node("n", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])]
    v = verdicts(make_pod("p", tolerations=[toleration]), nodes)
    assert (v["n"] is None) == ok


def test_prefer_no_schedule_is_a_score_not_a_filter():
    """PreferNoSchedule taints never filter; fewer untolerated ones score higher:
    counts 0/1/2 → DefaultNormalizeScore reversed → 100/50/0, weight 3."""
    soft = [{"key": f"k{i}", "effect": "PreferNoSchedule"} for i in range(2)]
    nodes = [make_node("a"), make_node("b", taints=soft[:1]), make_node("c", taints=soft)]
    s = scores(make_pod("p"), nodes, plugin="TaintToleration")
    assert [s[n]["raw"] for n in "abc"] == [0, 1, 2]
    assert [s[n]["normalized"] for n in "abc"] == [100, 50, 0]
    assert [s[n]["weighted"] for n in "abc"] == [300, 150, 0]
    tolerant = make_pod("t", tolerations=[{"key": "k0", "operator": "Exists"}])
    assert scores(tolerant, nodes, plugin="TaintToleration")["c"]["raw"] == 1


def test_cordoned_node_is_unschedulable_unless_tolerated():
    """nodeunschedulable: "node(s) were unschedulable"; checked before taints."""
    nodes = [make_node("n", unschedulable=True, taints=[CONTROL_PLANE_TAINT])]
    assert verdicts(make_pod("p"), nodes)["n"] == ("NodeUnschedulable", ["node(s) were unschedulable"])
    tol = [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}]
    assert verdicts(make_pod("p", tolerations=tol), nodes)["n"][0] == "TaintToleration"


def test_host_port_conflicts():
    """nodeports: same protocol/port conflicts when either side binds 0.0.0.0."""
    def with_port(name, port, ip=None, node=None):
        c = {"name": "c", "image": "nginx", "ports": [{"containerPort": 80, "hostPort": port,
                                                       **({"hostIP": ip} if ip else {})}]}
        return make_pod(name, containers=[c], node=node)
    nodes = [make_node("n1"), make_node("n2")]
    running = [with_port("a", 8080, node="n1")]
    v = verdicts(with_port("p", 8080), nodes, running)
    assert v["n1"] == ("NodePorts", ["node(s) didn't have free ports for the requested pod ports"])
    assert v["n2"] is None
    assert verdicts(with_port("q", 8081), nodes, running)["n1"] is None
    assert verdicts(with_port("r", 8080, ip="10.0.0.1"), nodes, running)["n1"] is not None


# -- NodeAffinity ---------------------------------------------------------------------------------
def _required(*terms):
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                             {"nodeSelectorTerms": list(terms)}}}


@pytest.mark.parametrize("expr, feasible", [
    ({"key": "disk", "operator": "In", "values": ["ssd"]}, {"ssd"}),
    ({"key": "disk", "operator": "NotIn", "values": ["ssd"]}, {"hdd", "none"}),
    ({"key": "disk", "operator": "Exists"}, {"ssd", "hdd"}),
    ({"key": "disk", "operator": "DoesNotExist"}, {"none"}),
    ({"key": "cores", "operator": "Gt", "values": ["8"]}, {"ssd"}),
    ({"key": "cores", "operator": "Lt", "values": ["8"]}, {"hdd"}),
])
def test_node_affinity_operators(expr, feasible):
    """component-helpers nodeaffinity: NotIn/DoesNotExist match nodes without the label,
    Gt/Lt compare integers."""
    nodes = [make_node("ssd", labels={"disk": "ssd", "cores": "16"}),
             make_node("hdd", labels={"disk": "hdd", "cores": "4"}), make_node("none")]
    v = verdicts(make_pod("p", affinity=_required({"matchExpressions": [expr]})), nodes)
    assert {n for n, r in v.items() if r is None} == feasible
    assert all(r == ("NodeAffinity", ["node(s) didn't match Pod's node affinity/selector"])
               for r in v.values() if r)


def test_node_selector_and_terms_semantics():
    """nodeSelector: every label must match; terms are ORed, expressions inside a term ANDed;
    a term without requirements matches nothing."""
    nodes = [make_node("a", labels={"x": "1", "y": "1"}), make_node("b", labels={"x": "1"}),
             make_node("c", labels={"y": "1"})]
    v = verdicts(make_pod("p", nodeSelector={"x": "1", "y": "1"}), nodes)
    assert [n for n, r in v.items() if r is None] == ["a"]
    terms = _required({"matchExpressions": [{"key": "x", "operator": "Exists"},
                                            {"key": "y", "operator": "DoesNotExist"}]},
                      {"matchExpressions": [{"key": "y", "operator": "In", "values": ["1"]},
                                            {"key": "x", "operator": "DoesNotExist"}]})
    v = verdicts(make_pod("p", affinity=terms), nodes)
    assert sorted(n for n, r in v.items() if r is None) == ["b", "c"]
    v = verdicts(make_pod("p", affinity=_required({})), nodes)
    assert all(r is not None for r in v.values())


def test_node_affinity_match_fields_narrows_to_named_nodes():
    """nodeaffinity PreFilter: matchFields metadata.name In → PreFilterResult; the other nodes
    are reported as not satisfying the plugin."""
    nodes = [make_node(f"n{i}") for i in range(4)]
    aff = _required({"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]})
    rec = explain(make_pod("p", affinity=aff), nodes)
    assert rec["node"] == "n2" and rec["evaluatedNodes"] == 1
    busy = [make_pod("x", cpu="4", node="n2")]
    rec = explain(make_pod("q", cpu="1", affinity=aff), nodes, busy, preemption=False)
    assert rec["message"] == ("0/4 nodes are available: 1 Insufficient cpu, "
                              "3 node(s) didn't satisfy plugin(s) [NodeAffinity].")


def test_preferred_node_affinity_score():
    """Sum of matching preferred weights, normalized by the best node (DefaultNormalizeScore):
    a: 80+20=100 → 100; b: 20 → 20; c: 0 → 0; weight 2."""
    pref = {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 80, "preference": {"matchExpressions": [{"key": "x", "operator": "Exists"}]}},
        {"weight": 20, "preference": {"matchExpressions": [{"key": "y", "operator": "Exists"}]}}]}}
    nodes = [make_node("a", labels={"x": "", "y": ""}), make_node("b", labels={"y": ""}),
             make_node("c")]
    s = scores(make_pod("p", affinity=pref), nodes, plugin="NodeAffinity")
    assert [(s[n]["raw"], s[n]["normalized"], s[n]["weighted"]) for n in "abc"] == \
        [(100, 100, 200), (20, 20, 40), (0, 0, 0)]


# -- InterPodAffinity -------------------------------------------------------------------------------
def _pod_affinity(kind, labels, key="kubernetes.io/hostname", required=True, weight=None):
    term = {"labelSelector": {"matchLabels": labels}, "topologyKey": key}
    if required:
        return {kind: {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}
    return {kind: {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": weight, "podAffinityTerm": term}]}}


def test_required_anti_affinity_by_hostname():
    """interpodaffinity filtering: "node(s) didn't match pod anti-affinity rules"."""
    nodes = [make_node("n1"), make_node("n2")]
    running = [make_pod("web-1", labels={"app": "web"}, node="n1")]
    pod = make_pod("web-2", labels={"app": "web"},
                   affinity=_pod_affinity("podAntiAffinity", {"app": "web"}))
    v = verdicts(pod, nodes, running)
    assert v == {"n1": ("InterPodAffinity", ["node(s) didn't match pod anti-affinity rules"]),
                 "n2": None}


def test_existing_pods_anti_affinity_is_symmetric():
    nodes = [make_node("n1"), make_node("n2")]
    running = [make_pod("db", labels={"app": "db"}, node="n1",
                        affinity=_pod_affinity("podAntiAffinity", {"app": "web"}))]
    v = verdicts(make_pod("web", labels={"app": "web"}), nodes, running)
    assert v["n1"] == ("InterPodAffinity", ["node(s) didn't satisfy existing pods anti-affinity rules"])
    assert v["n2"] is None


def test_required_affinity_by_zone_and_first_pod_exception():
    """Affinity needs a matching pod in the node's zone; with none anywhere, a pod matching its
    own term may go anywhere that has the topology label (satisfyPodAffinity)."""
    nodes = [make_node("a1", zone="a"), make_node("a2", zone="a"), make_node("b1", zone="b"),
             make_node("nozone")]
    aff = _pod_affinity("podAffinity", {"app": "cache"}, key="topology.kubernetes.io/zone")
    running = [make_pod("cache-1", labels={"app": "cache"}, node="a1")]
    v = verdicts(make_pod("web", labels={"app": "web"}, affinity=aff), nodes, running)
    assert sorted(n for n, r in v.items() if r is None) == ["a1", "a2"]
    assert v["b1"] == ("InterPodAffinity", ["node(s) didn't match pod affinity rules"])
    first = make_pod("cache-0", labels={"app": "cache"}, affinity=aff)
    v = verdicts(first, nodes)
    assert sorted(n for n, r in v.items() if r is None) == ["a1", "a2", "b1"]
    assert v["nozone"] is not None
    v = verdicts(make_pod("web", labels={"app": "web"}, affinity=aff), nodes)
    assert all(r is not None for r in v.values())


def test_affinity_namespaces_and_namespace_selector():
    nodes = [make_node("n1"), make_node("n2")]
    running = [make_pod("x", namespace="other", labels={"app": "x"}, node="n1")]
    same_ns = _pod_affinity("podAntiAffinity", {"app": "x"})
    assert verdicts(make_pod("p", affinity=same_ns), nodes, running)["n1"] is None
    term = same_ns["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    term["namespaceSelector"] = {"matchLabels": {"team": "x"}}
    rec = explain(make_pod("p", affinity=same_ns), nodes, running, preemption=False,
                  namespace_labels={"other": {"team": "x"}})
    assert rec["nodes"][0]["filteredBy"] == "InterPodAffinity"


def test_preferred_pod_affinity_score_is_min_max_normalized():
    """interpodaffinity scoring: weight per matching pod in the domain, then
    100 * (s - min) / (max - min)."""
    nodes = [make_node("n1"), make_node("n2"), make_node("n3")]
    running = [make_pod("c1", labels={"app": "c"}, node="n1"),
               make_pod("c2", labels={"app": "c"}, node="n1"),
               make_pod("c3", labels={"app": "c"}, node="n2")]
    pod = make_pod("p", affinity=_pod_affinity("podAffinity", {"app": "c"}, required=False, weight=10))
    s = scores(pod, nodes, running, "InterPodAffinity")
    assert [s[n]["raw"] for n in ("n1", "n2", "n3")] == [20, 10, 0]
    assert [s[n]["normalized"] for n in ("n1", "n2", "n3")] == [100, 50, 0]


# -- PodTopologySpread --------------------------------------------------------------------------
def _spread(max_skew=1, key="topology.kubernetes.io/zone", when="DoNotSchedule", **extra):
    return [{"maxSkew": max_skew, "topologyKey": key, "whenUnsatisfiable": when,
             "labelSelector": {"matchLabels": {"app": "web"}}, **extra}]


def test_topology_spread_filter_skew():
    """filtering.go: count + selfMatch - globalMin > maxSkew rejects; zone a has 2, b has 0."""
    nodes = [make_node("a1", zone="a"), make_node("b1", zone="b"), make_node("nolabel")]
    running = [make_pod(f"w{i}", labels={"app": "web"}, node="a1") for i in range(2)]
    pod = make_pod("w", labels={"app": "web"}, topologySpreadConstraints=_spread())
    v = verdicts(pod, nodes, running)
    assert v["a1"] == ("PodTopologySpread", ["node(s) didn't match pod topology spread constraints"])
    assert v["b1"] is None
    assert v["nolabel"] == ("PodTopologySpread",
                            ["node(s) didn't match pod topology spread constraints (missing required label)"])
    loose = make_pod("w", labels={"app": "web"}, topologySpreadConstraints=_spread(max_skew=3))
    assert verdicts(loose, nodes, running)["a1"] is None


def test_topology_spread_min_domains_counts_missing_domains_as_zero():
    """minDomains: with fewer eligible domains than minDomains the global minimum is 0."""
    nodes = [make_node("a1", zone="a"), make_node("a2", zone="a")]
    running = [make_pod("w0", labels={"app": "web"}, node="a1")]
    pod = make_pod("w", labels={"app": "web"}, topologySpreadConstraints=_spread(minDomains=2))
    assert verdicts(pod, nodes, running)["a2"][0] == "PodTopologySpread"
    pod = make_pod("w", labels={"app": "web"}, topologySpreadConstraints=_spread())
    assert verdicts(pod, nodes, running)["a2"] is None


def test_topology_spread_score_worked_example():
    """scoring.go: weight = ln(domains + 2); score = count * weight + (maxSkew - 1), rounded;
    normalized as 100 * (max + min - s) / max. Zones a (2 pods), b (1), c (0):
    raw a = round(2 ln 5) = 3, b = round(ln 5) = 2, c = 0 → 100*(3+0-3)/3 = 0, 100*1/3 = 33, 100."""
    nodes = [make_node("a1", zone="a"), make_node("b1", zone="b"), make_node("c1", zone="c")]
    running = [make_pod("w1", labels={"app": "web"}, node="a1"),
               make_pod("w2", labels={"app": "web"}, node="a1"),
               make_pod("w3", labels={"app": "web"}, node="b1")]
    pod = make_pod("w", labels={"app": "web"}, topologySpreadConstraints=_spread(when="ScheduleAnyway"))
    s = scores(pod, nodes, running, "PodTopologySpread")
    assert [s[n]["raw"] for n in ("a1", "b1", "c1")] == [3, 2, 0]
    assert [s[n]["normalized"] for n in ("a1", "b1", "c1")] == [0, 33, 100]


class _Lister:
    def __init__(self, controllers=(), services=()):
        self._c, self._s = {c["metadata"]["name"]: c for c in controllers}, list(services)

    def services(self, namespace):
        return [s for s in self._s if s["metadata"].get("namespace", "default") == namespace]

    def controller(self, namespace, kind, name):
        return self._c.get(name)


def test_system_default_spreading_for_replicaset_pods():
    """plugin.go systemDefaultConstraints: hostname maxSkew 3 ScheduleAnyway, selector from the
    owning ReplicaSet (helper.DefaultSelector). Pods without an owner or Service get none."""
    rs = {"metadata": {"name": "web-abc"},
          "spec": {"selector": {"matchLabels": {"app": "web", "pod-template-hash": "abc"}}}}
    labels = {"app": "web", "pod-template-hash": "abc"}
    owner = ("apps/v1", "ReplicaSet", "web-abc")
    nodes = [make_node("n1"), make_node("n2")]
    running = [make_pod("w1", labels=labels, owner=owner, node="n1")]
    pod = make_pod("w2", labels=labels, owner=owner)
    rec = explain(pod, nodes, running, preemption=False, lister=_Lister([rs]))
    spread = {n["node"]: n["scores"]["PodTopologySpread"] for n in rec["nodes"]}
    # n1: 1 * ln(2 + 2) + (3 - 1) = 3.39 → 3; n2: 0 + 2 = 2 → normalized 100*(3+2-s)/3
    assert (spread["n1"]["raw"], spread["n2"]["raw"]) == (3, 2)
    assert (spread["n1"]["normalized"], spread["n2"]["normalized"]) == (66, 100)
    orphan = explain(make_pod("x", labels=labels), nodes, running, lister=_Lister([rs]))
    assert "PodTopologySpread" in orphan["skippedPlugins"] or \
        "PodTopologySpread" not in orphan["nodes"][0]["scores"]


def test_image_locality_worked_example():
    """image_locality.go: 500 MiB image on 1 of 2 nodes → scaled 250 MiB; score =
    100 * (250 MiB - 23 MiB) / (1000 MiB - 23 MiB) = 23."""
    nodes = [make_node("has", images=[(["docker.io/library/nginx:1.25", "nginx:1.25"], 500 * MI)]),
             make_node("not")]
    s = scores(make_pod("p", image="nginx:1.25"), nodes, plugin="ImageLocality")
    assert s["has"]["raw"] == 100 * (250 * MI - 23 * MI) // (977 * MI) == 23
    assert s["not"]["raw"] == 0


def test_default_plugin_weights_match_upstream():
    """config/v1/default_plugins.go: TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1,
    PodTopologySpread 2, InterPodAffinity 2, BalancedAllocation 1, ImageLocality 1."""
    weights = {p.name: p.weight for p in default_plugins() if p.weight}
    assert weights == {"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1,
                       "PodTopologySpread": 2, "InterPodAffinity": 2,
                       "NodeResourcesBalancedAllocation": 1, "ImageLocality": 1}
    order = [p.name for p in default_plugins()]
    assert order.index("NodeUnschedulable") < order.index("TaintToleration") < \
        order.index("NodeResourcesFit") < order.index("InterPodAffinity")


def test_framework_skips_prefilter_skipped_plugins():
    """A pod without affinity, spread constraints or host ports skips those plugins."""
    snap = Snapshot([make_node("n1")])
    r = Framework(rng=random.Random(0)).schedule(make_pod("p"), snap, trace=True)
    assert {"InterPodAffinity", "PodTopologySpread", "NodePorts", "NodeAffinity"} <= r.trace["skipped"]
