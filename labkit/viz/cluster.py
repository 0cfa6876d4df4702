"""Pictures of a cluster: its components, where pods run, and who owns whom.

Every function takes ``cluster``: any object with ``.list(kind, namespace=None,
all_namespaces=False)`` that returns Kubernetes-shaped dicts (the in-memory cluster from
``labkit.connect()``, a real cluster, or plain dicts in a test). Nothing here writes.
"""
from __future__ import annotations

from collections import Counter

from .diagram import COLORS, PALETTE, Diagram, esc, list_objects, new_graph, node_id, plural

CONTROL_PLANE = [
    ("kube-apiserver", "the only entry: every read and write goes through it"),
    ("etcd", "key-value store of the cluster's state"),
    ("kube-scheduler", "picks a node for each new pod"),
    ("kube-controller-manager", "controllers: drive actual state towards desired state"),
]
CLOUD_CONTROLLER = ("cloud-controller-manager", "talks to the cloud provider's API")
NODE_AGENTS = [
    ("kubelet", "runs the pods bound to this node"),
    ("kube-proxy", "Service rules (virtual IPs)"),
    ("container runtime", "containerd / CRI-O, via the CRI"),
]


def _ready(node: dict) -> bool:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond.get("status") == "True"
    return False


def _html_box(title: str, lines, bg: str) -> str:
    rows = "".join(f'<tr><td align="left"><font point-size="9">{esc(t)}</font></td></tr>'
                   for t in lines)
    return (f'<<table border="0" cellborder="0" cellspacing="0" cellpadding="4" bgcolor="{bg}">'
            f"<tr><td><b>{esc(title)}</b></td></tr>{rows}</table>>")


def architecture(cluster=None, node_names=None, cloud: bool = False,
                 describe: bool = True) -> Diagram:
    """The components of a Kubernetes cluster: the control plane and each worker node.

    With a ``cluster``, the nodes are its real nodes (name, Ready or not, pod count); otherwise
    ``node_names`` (default two example nodes). ``cloud=True`` adds cloud-controller-manager.
    """
    nodes, pods_per_node = [], Counter()
    if cluster is not None:
        nodes = sorted(list_objects(cluster, "nodes"), key=lambda n: n["metadata"]["name"])
        for pod in list_objects(cluster, "pods"):
            pods_per_node[(pod.get("spec") or {}).get("nodeName")] += 1
        names = [n["metadata"]["name"] for n in nodes]
    else:
        names = list(node_names or ["node-1", "node-2"])
    g = new_graph("architecture", nodesep="0.3", ranksep="0.6", compound="true")
    g.node("user", "kubectl / clients", shape="box", style="rounded,dashed")
    components = CONTROL_PLANE + ([CLOUD_CONTROLLER] if cloud else [])
    with g.subgraph(name="cluster_control_plane") as cp:
        cp.attr(label="Control plane", style="filled,rounded", fillcolor="#fff5f0", color="#cb181d")
        for name, job in components:
            label = _html_box(name, [job] if describe else [], COLORS["control-plane"])
            shape = "cylinder" if name == "etcd" else "box"
            cp.node(node_id(name), label=label, shape=shape, fillcolor=COLORS["control-plane"])
    api = node_id("kube-apiserver")
    g.edge("user", api, label="HTTPS (REST)")
    g.edge(api, node_id("etcd"), dir="both", label="only the API\nserver talks to etcd")
    for name, _ in components[2:]:
        # drawn api -> component with the arrow reversed: components sit below the API server
        g.edge(api, node_id(name), dir="back", label="watch / write")
    node_status = {n["metadata"]["name"]: _ready(n) for n in nodes}
    for name in names:
        ready = node_status.get(name, True)
        head = f"Node {name}" + ("" if cluster is None else
                                 f" ({'Ready' if ready else 'NotReady'}, "
                                 f"{plural(pods_per_node[name], 'pod')})")
        with g.subgraph(name=f"cluster_{node_id(name)}") as sub:
            sub.attr(label=head, style="filled,rounded",
                     fillcolor=COLORS["node"] if ready else COLORS["warning"], color="#238b45")
            for agent, job in NODE_AGENTS:
                label = _html_box(agent, [job] if describe else [], COLORS["agent"])
                sub.node(node_id(name, agent), label=label, fillcolor=COLORS["agent"])
            sub.edge(node_id(name, "kubelet"), node_id(name, "container runtime"), label="CRI")
        first = name == names[0]
        g.edge(api, node_id(name, "kubelet"), dir="back", minlen="2",
               label="watch pods,\nreport status" if first else "")
        g.edge(api, node_id(name, "kube-proxy"), dir="back", style="dashed", minlen="2",
               label="watch Services" if first else "")
    summary = (f"control plane ({', '.join(n for n, _ in components)}); "
               f"{plural(len(names), 'node')}: {', '.join(names)}")
    return Diagram(g, "cluster architecture", summary)


# -- pods on nodes -----------------------------------------------------------------------------

def _owner_ref(obj: dict):
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller", True):
            return ref.get("kind"), ref.get("name")
    return None


def top_owners(cluster, namespace=None) -> dict:
    """``{(namespace, pod name): "Kind/name"}``: each pod's top-level owner, following
    ownerReferences (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob); bare pods own
    themselves."""
    owners = {}
    for kind in ("replicasets", "jobs"):
        for obj in list_objects(cluster, kind, namespace):
            md = obj["metadata"]
            owners[(md.get("namespace"), obj["kind"], md["name"])] = _owner_ref(obj)
    result = {}
    for pod in list_objects(cluster, "pods", namespace):
        md = pod["metadata"]
        ref = _owner_ref(pod)
        if ref is None:
            result[(md.get("namespace"), md["name"])] = f"Pod/{md['name']}"
            continue
        while (md.get("namespace"), *ref) in owners and owners[(md.get("namespace"), *ref)]:
            ref = owners[(md.get("namespace"), *ref)]
        result[(md.get("namespace"), md["name"])] = f"{ref[0]}/{ref[1]}"
    return result


def topology(cluster, namespace=None) -> Diagram:
    """Nodes as boxes holding their pods, each pod coloured by its top-level owner
    (its Deployment, StatefulSet, Job...). Pods not yet scheduled sit in a "Pending" box."""
    nodes = sorted(list_objects(cluster, "nodes"), key=lambda n: n["metadata"]["name"])
    pods = sorted(list_objects(cluster, "pods", namespace),
                  key=lambda p: (p["metadata"].get("namespace") or "", p["metadata"]["name"]))
    owners = top_owners(cluster, namespace)
    colours = {}
    for owner in sorted(set(owners.values())):
        colours[owner] = PALETTE[len(colours) % len(PALETTE)]
    by_node: dict = {n["metadata"]["name"]: [] for n in nodes}
    pending = []
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        (by_node.setdefault(node, []) if node else pending).append(pod)
    g = new_graph("topology", nodesep="0.15", ranksep="0.3")
    g.attr("node", fontsize="9", shape="box", style="filled,rounded")
    groups = list(by_node.items()) + ([("(Pending: no node yet)", pending)] if pending else [])
    for name, members in groups:
        with g.subgraph(name=f"cluster_{node_id(name)}") as sub:
            sub.attr(label=f"{name} ({plural(len(members), 'pod')})", style="filled,rounded",
                     fillcolor=COLORS["pending"] if name.startswith("(") else COLORS["node"])
            if not members:
                sub.node(node_id(name, "empty"), label="(no pods)", style="dashed")
            for pod in members:
                md = pod["metadata"]
                phase = (pod.get("status") or {}).get("phase", "Pending")
                ns = f"{md.get('namespace')}/" if namespace is None else ""
                owner = owners.get((md.get("namespace"), md["name"]), "")
                sub.node(node_id(name, md.get("namespace"), md["name"]),
                         label=f"{ns}{md['name']}\n{phase}", fillcolor=colours.get(owner, "white"))
    if colours:
        rows = "".join(f'<tr><td bgcolor="{c}">{esc(o)}</td></tr>' for o, c in colours.items())
        g.node("legend", label=f'<<table border="0" cellborder="1" cellspacing="0">'
                               f"<tr><td><b>owner</b></td></tr>{rows}</table>>", shape="plain")
    summary = (f"{plural(len(nodes), 'node')}, {plural(len(pods), 'pod')}"
               + (f" ({len(pending)} pending)" if pending else ""))
    return Diagram(g, "cluster topology", summary)


# -- owner references --------------------------------------------------------------------------

OWNED_KINDS = ("deployments", "replicasets", "statefulsets", "daemonsets", "cronjobs", "jobs", "pods")


def ownership(cluster, namespace: str | None = "default", kinds=OWNED_KINDS,
              services: bool = True) -> Diagram:
    """Who owns whom: Deployment -> ReplicaSet -> Pods (solid arrows, from metadata.ownerReferences),
    plus, with ``services=True``, dashed arrows from each Service to the pods its selector picks
    (a Service selects pods; it does not own them)."""
    g = new_graph("ownership", rankdir="LR", nodesep="0.15", ranksep="0.6")
    objects = []
    for kind in kinds:
        objects += sorted(list_objects(cluster, kind, namespace),
                          key=lambda o: (o["metadata"].get("namespace") or "", o["metadata"]["name"]))
    uid_to_id, edges = {}, 0
    counts = Counter()
    for obj in objects:
        md = obj["metadata"]
        nid = node_id(obj["kind"], md.get("namespace"), md["name"])
        uid_to_id[md.get("uid") or nid] = nid
        counts[obj["kind"]] += 1
        colour = PALETTE[list(OWNED_KINDS).index(kind_plural(obj["kind"])) % len(PALETTE)] \
            if kind_plural(obj["kind"]) in OWNED_KINDS else "white"
        g.node(nid, label=f"{obj['kind']}\n{md['name']}", fillcolor=colour)
    for obj in objects:
        md = obj["metadata"]
        child = node_id(obj["kind"], md.get("namespace"), md["name"])
        for ref in md.get("ownerReferences") or []:
            parent = uid_to_id.get(ref.get("uid")) or node_id(ref["kind"], md.get("namespace"),
                                                              ref["name"])
            if parent in uid_to_id.values():
                g.edge(parent, child, label="owns")
                edges += 1
    if services:
        pods = [o for o in objects if o["kind"] == "Pod"]
        for svc in sorted(list_objects(cluster, "services", namespace),
                          key=lambda o: o["metadata"]["name"]):
            selector = (svc.get("spec") or {}).get("selector")
            if not selector:
                continue
            md = svc["metadata"]
            sid = node_id("Service", md.get("namespace"), md["name"])
            g.node(sid, label=f"Service\n{md['name']}", fillcolor="white", style="rounded,dashed")
            counts["Service"] += 1
            for pod in pods:
                labels = pod["metadata"].get("labels") or {}
                if pod["metadata"].get("namespace") == md.get("namespace") and \
                        all(labels.get(k) == v for k, v in selector.items()):
                    g.edge(sid, node_id("Pod", md.get("namespace"), pod["metadata"]["name"]),
                           style="dashed", label="selects")
    summary = ", ".join(plural(n, k) for k, n in counts.items()) or "no objects"
    return Diagram(g, "ownership", f"{summary}; {plural(edges, 'owner reference')}")


def kind_plural(kind: str) -> str:
    return kind.lower() + ("es" if kind.endswith("s") else "s")
