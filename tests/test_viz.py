"""labkit.viz: deterministic diagrams from plain Kubernetes-shaped dicts.

The cluster renderings accept any object with ``.list(kind, namespace=None,
all_namespaces=False)``; here that is a tiny fixture over dicts shaped like the API's objects
(ownerReferences as in k8s.io/apimachinery ObjectMeta, Events as core/v1 Event).
"""
from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from labkit import viz
from labkit.viz.diagram import Diagram


class FakeCluster:
    def __init__(self, objects):
        self.objects = objects

    def list(self, kind, namespace=None, all_namespaces=False):
        out = [o for o in self.objects if plural(o["kind"]) == kind]
        if namespace and not all_namespaces:
            out = [o for o in out if o["metadata"].get("namespace") == namespace]
        return out


def plural(kind):
    return kind.lower() + ("es" if kind.endswith("s") else "s")


def obj(kind, name, ns="default", owner=None, **extra):
    md = {"name": name, "uid": f"uid-{name}"}
    if ns:
        md["namespace"] = ns
    if owner:
        md["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1],
                                  "uid": f"uid-{owner[1]}", "controller": True}]
    return {"kind": kind, "metadata": md, **extra}


def node(name, ready=True):
    return obj("Node", name, ns=None, status={"conditions": [
        {"type": "Ready", "status": "True" if ready else "False"}]})


def pod(name, owner=None, node_name=None, labels=None, ns="default"):
    p = obj("Pod", name, ns=ns, owner=owner, spec={"nodeName": node_name} if node_name else {},
            status={"phase": "Running" if node_name else "Pending"})
    if labels:
        p["metadata"]["labels"] = labels
    return p


def event(n, kind, name, reason, source, ts, type_="Normal", message=""):
    return {"kind": "Event", "metadata": {"name": f"e{n}", "namespace": "default"},
            "involvedObject": {"kind": kind, "name": name, "namespace": "default"},
            "reason": reason, "message": message or reason, "source": {"component": source},
            "firstTimestamp": ts, "lastTimestamp": ts, "type": type_, "count": 1}


@pytest.fixture
def cluster():
    return FakeCluster([
        node("node-1"), node("node-2", ready=False),
        obj("Deployment", "web"), obj("ReplicaSet", "web-5d4f", owner=("Deployment", "web")),
        pod("web-5d4f-aaaaa", ("ReplicaSet", "web-5d4f"), "node-1", {"app": "web"}),
        pod("web-5d4f-bbbbb", ("ReplicaSet", "web-5d4f"), "node-2", {"app": "web"}),
        pod("solo"),
        pod("coredns-1", None, "node-1", ns="kube-system"),
        obj("Service", "web", spec={"selector": {"app": "web"}}),
        obj("Service", "headless", spec={}),
        event(1, "Deployment", "web", "ScalingReplicaSet", "deployment-controller", "2025-01-01T00:00:00Z",
              message="Scaled up replica set web-5d4f to 2"),
        event(2, "ReplicaSet", "web-5d4f", "SuccessfulCreate", "replicaset-controller", "2025-01-01T00:00:00Z"),
        event(3, "Pod", "web-5d4f-aaaaa", "Scheduled", "default-scheduler", "2025-01-01T00:00:01Z"),
        event(4, "Pod", "web-5d4f-aaaaa", "BackOff", "kubelet", "2025-01-01T00:00:07Z", "Warning"),
    ])


def test_diagram_repr_is_fixed_text_never_a_memory_address(cluster):
    for d in (viz.era_stacks(), viz.architecture(cluster), viz.topology(cluster),
              viz.ownership(cluster), viz.timeline(cluster), viz.sequence(cluster),
              viz.flow(["a", "b"])):
        assert isinstance(d, Diagram)
        text = repr(d)
        assert text.startswith("<Diagram ") and " at 0x" not in text
        assert repr(d) == text


def test_svg_is_rendered_by_graphviz_pure_and_identical_across_processes(cluster):
    """Strict nbval compares stored SVG: another interpreter must produce the same bytes."""
    svg = viz.era_stacks().svg
    assert svg == viz.era_stacks()._repr_svg_()
    assert "graphviz-pure" in svg and "<svg" in svg
    code = "from labkit import viz; import sys; sys.stdout.write(viz.era_stacks().svg)"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, timeout=120).stdout
    assert other == svg


def test_stack_lists_layers_top_to_bottom_and_spans_full_width_layers():
    d = viz.stack([["App A", "App B", "App C"], ["Guest OS", "Guest OS"], "Hardware"], title="t")
    assert repr(d) == "<Diagram t: App A | App B | App C / Guest OS | Guest OS / Hardware>"
    # lcm(3, 2, 1) = 6 columns: apps span 2, guest OSes 3, hardware 6
    assert d.source.count('colspan="2"') == 3 and d.source.count('colspan="3"') == 2
    assert 'colspan="6"' in d.source


def test_stack_roles_pick_colours():
    assert viz.role_of("Hypervisor, type 1 (ESXi, Xen, KVM)") == "hypervisor"
    assert viz.role_of("Guest OS") == "guest-os"
    assert viz.role_of("Host OS (one shared Linux kernel)") == "os"
    assert viz.role_of("Container runtime (containerd)") == "runtime"
    assert viz.role_of("PostgreSQL") == "app"
    d = viz.stack([("Billing", "hardware")])
    assert viz.COLORS["hardware"] in d.source


def test_vm_layers_type2_has_a_host_os_and_type1_does_not():
    t1, t2 = viz.vm_layers(("A",), 1), viz.vm_layers(("A",), 2)
    assert len(t2) == len(t1) + 1 and ("Host OS", "os") in t2
    assert "type 2" in t2[3][0] and "type 1" in t1[3][0]
    with pytest.raises(ValueError):
        viz.vm_layers(hypervisor_type=3)
    both = viz.stack({"VM": t1, "Containers": viz.container_layers(("A",))})
    assert repr(both).count(";") == 1 and "Containers: A / Bins / Libs" in repr(both)


def test_architecture_from_a_cluster_shows_real_nodes_readiness_and_pod_counts(cluster):
    d = viz.architecture(cluster)
    assert "2 nodes: node-1, node-2" in repr(d)
    assert "Node node-1 (Ready, 2 pods)" in d.source
    assert "Node node-2 (NotReady, 1 pod)" in d.source
    for component in ("kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager",
                      "kubelet", "kube-proxy", "container runtime"):
        assert component in d.source
    assert "cloud-controller-manager" not in d.source
    assert "cloud-controller-manager" in viz.architecture(cloud=True).source


def test_architecture_without_a_cluster_uses_example_nodes():
    assert "2 nodes: node-1, node-2" in repr(viz.architecture())
    assert "1 node: a" in repr(viz.architecture(node_names=["a"]))


def test_topology_groups_pods_by_node_and_colours_by_top_level_owner(cluster):
    d = viz.topology(cluster)
    assert repr(d) == "<Diagram cluster topology: 2 nodes, 4 pods (1 pending)>"
    owners = viz.top_owners(cluster)
    # Pod -> ReplicaSet -> Deployment, followed through the ReplicaSet's ownerReferences
    assert owners[("default", "web-5d4f-aaaaa")] == "Deployment/web"
    assert owners[("default", "solo")] == "Pod/solo"
    assert "(Pending: no node yet) (1 pod)" in d.source
    assert "default/web-5d4f-aaaaa" in d.source and "kube-system/coredns-1" in d.source
    one_ns = viz.topology(cluster, namespace="default")
    assert "coredns" not in one_ns.source and "3 pods" in repr(one_ns)


def test_ownership_draws_owner_references_and_service_selection(cluster):
    d = viz.ownership(cluster)
    assert repr(d) == ("<Diagram ownership: 1 Deployment, 1 ReplicaSet, 3 Pods, 1 Service; "
                       "3 owner references>")
    assert d.source.count("owns") == 3
    assert d.source.count("selects") == 2  # the headless Service selects nothing


def test_event_rows_accept_dicts_dataframes_and_clusters(cluster):
    rows = viz.event_rows(cluster)
    assert [r["reason"] for r in rows] == ["ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "BackOff"]
    assert rows[2]["object"] == "pod/web-5d4f-aaaaa" and rows[2]["source"] == "default-scheduler"
    df = pd.DataFrame(rows)[["time", "type", "reason", "object", "message", "source"]]
    assert [r["reason"] for r in viz.event_rows(df)] == [r["reason"] for r in rows]


def test_timeline_and_sequence(cluster):
    t = viz.timeline(cluster)
    assert repr(t) == "<Diagram event timeline: 4 events, 1 warning>"
    assert "00:00:07" in t.source
    s = viz.sequence(cluster)
    assert repr(s).startswith("<Diagram sequence: 4 steps: deployment-controller -> "
                              "deployment/web: ScalingReplicaSet;")
    assert "4. BackOff" in s.source
    lanes = re.findall(r'label="?([^"\]]+)"? fillcolor', s.source)
    assert lanes[:2] == ["deployment-controller", "deployment/web"]


def test_flow_with_status_and_highlight():
    f = viz.flow(["code", "test", "release"], status={"code": "ok", "test": "failed",
                                                        "release": "skipped"})
    assert repr(f) == ("<Diagram flow: code -> test -> release (code: ok, test: failed, "
                       "release: skipped)>")
    e = viz.flow([("user", "api", "request"), ("api", "etcd", "write")], highlight="api")
    assert "[at api]" in repr(e) and "request" in e.source


def test_matplotlib_figures_are_deterministic_svg_without_date():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def draw():
        fig, ax = plt.subplots(figsize=(3, 2))
        pd.Series([1, 3, 2], index=list("xyz")).plot.bar(ax=ax, title="share")
        return viz.figure(fig)

    a, b = draw(), draw()
    assert a.svg == b.svg and "<dc:date>" not in a.svg
    assert repr(a) == "<Figure share>" and a._repr_svg_() == a.svg
    assert plt.get_fignums() == []  # closed: the inline backend will not show it twice
