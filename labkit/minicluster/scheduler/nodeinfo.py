"""NodeInfo and the Snapshot: the scheduler's own picture of the cluster.

kube-scheduler never asks the API server "how full is node-3?" in the middle of a decision.
It keeps a **cache**: for every node, the pods on it and the sums of their requests
(framework/types.go ``NodeInfo``), updated from watch events and from its own decisions
("assumed" pods, counted as soon as the scheduler picks a node, before the binding is written).
Each scheduling cycle works on a consistent **snapshot** of that cache.

Here the cache and the snapshot are the same object (one thread, one decision at a time).
For speed it also keeps:

- ``cols``: numpy columns (allocatable/requested CPU and memory, pod counts, taint flags), one
  row per node *slot*, so the resource checks of 5,000 nodes are a few array operations;
- ``LabelIndex``: how many pods with a given namespace + label set sit on each node, so
  "count the pods matching this selector per node" (topology spread, pod affinity) costs one
  array sum per distinct label set instead of a loop over every pod.

Node order follows upstream's ``nodeTree``: nodes are listed round-robin across zones, so the
sampling of nodes (see framework.py) visits zones evenly.
"""
from __future__ import annotations

import numpy as np

from .podinfo import CPU, EPHEMERAL, MEMORY, PodInfo, pod_info
from ..quantity import parse_cpu, parse_memory

HOSTNAME = "kubernetes.io/hostname"
ZONE, REGION = "topology.kubernetes.io/zone", "topology.kubernetes.io/region"
_COLUMNS = {"alloc_cpu": np.int64, "alloc_mem": np.int64, "alloc_eph": np.int64,
            "alloc_pods": np.int64, "req_cpu": np.int64, "req_mem": np.int64,
            "req_eph": np.int64, "nz_cpu": np.int64, "nz_mem": np.int64,
            "pod_count": np.int64, "unschedulable": np.bool_, "hard_taints": np.bool_,
            "soft_taints": np.int64, "free_cpu": np.int64, "free_mem": np.int64,
            "free_eph": np.int64, "free_pods": np.int64}


class NodeInfo:
    """One node plus the pods on it and the sums of their requests."""

    __slots__ = ("name", "node", "labels", "taints", "unschedulable", "slot", "alloc_cpu",
                 "alloc_mem", "alloc_eph", "alloc_pods", "alloc_scalars", "req_cpu", "req_mem",
                 "req_eph", "req_scalars", "nz_cpu", "nz_mem", "pods", "affinity_pods",
                 "anti_affinity_pods", "used_ports", "images", "zone")

    def __init__(self, name: str):
        self.name, self.node, self.slot = name, None, -1
        self.labels, self.taints, self.unschedulable, self.zone = {}, (), False, ""
        self.alloc_cpu = self.alloc_mem = self.alloc_eph = self.alloc_pods = 0
        self.alloc_scalars: dict = {}
        self.req_cpu = self.req_mem = self.req_eph = self.nz_cpu = self.nz_mem = 0
        self.req_scalars: dict = {}
        self.pods: dict = {}
        self.affinity_pods: dict = {}
        self.anti_affinity_pods: dict = {}
        self.used_ports: dict = {}
        self.images: dict = {}

    def set_node(self, node: dict) -> None:
        """Parse what the plugins need from the Node object (allocatable, labels, taints)."""
        meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
        self.node = node
        self.labels = meta.get("labels") or {}
        self.taints = tuple(spec.get("taints") or ())
        self.unschedulable = bool(spec.get("unschedulable"))
        alloc = dict(status.get("allocatable") or {})
        self.alloc_cpu = parse_cpu(str(alloc.pop(CPU, 0)))
        self.alloc_mem = parse_memory(str(alloc.pop(MEMORY, 0)))
        self.alloc_eph = parse_memory(str(alloc.pop(EPHEMERAL, 0)))
        self.alloc_pods = parse_memory(str(alloc.pop("pods", 0)))
        self.alloc_scalars = {k: parse_memory(str(v)) for k, v in alloc.items()}
        self.images = {}  # as reported (upstream does not normalize node-side names)
        for img in status.get("images") or ():
            for n in img.get("names") or ():
                self.images[n] = int(img.get("sizeBytes") or 0)
        self.zone = zone_key(self.labels)

    # -- pods ---------------------------------------------------------------------------------
    def add_pod(self, pi: PodInfo) -> None:
        self.pods[pi.key] = pi
        self._account(pi, +1)
        if pi.has_affinity:
            self.affinity_pods[pi.key] = pi
        if pi.has_required_anti_affinity:
            self.anti_affinity_pods[pi.key] = pi

    def remove_pod(self, key: str) -> PodInfo | None:
        pi = self.pods.pop(key, None)
        if pi is not None:
            self._account(pi, -1)
            self.affinity_pods.pop(key, None)
            self.anti_affinity_pods.pop(key, None)
        return pi

    def _account(self, pi: PodInfo, sign: int) -> None:
        self.req_cpu += sign * pi.cpu
        self.req_mem += sign * pi.memory
        self.req_eph += sign * pi.ephemeral
        self.nz_cpu += sign * pi.nz_cpu
        self.nz_mem += sign * pi.nz_memory
        for k, v in pi.scalars.items():
            self.req_scalars[k] = self.req_scalars.get(k, 0) + sign * v
        for port in pi.host_ports:
            n = self.used_ports.get(port, 0) + sign
            if n:
                self.used_ports[port] = n
            else:
                self.used_ports.pop(port, None)

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)}, cpu={self.req_cpu}/{self.alloc_cpu}m)"


def zone_key(labels: dict) -> str:
    """utilnode.GetZoneKey: region + zone ("" when the node has neither label)."""
    region = labels.get(REGION) or labels.get("failure-domain.beta.kubernetes.io/region") or ""
    zone = labels.get(ZONE) or labels.get("failure-domain.beta.kubernetes.io/zone") or ""
    return f"{region}:\x00:{zone}" if region or zone else ""


class LabelIndex:
    """Per label-signature ``(namespace, labels, terminating)``: pod count on each node slot."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.counts: dict = {}   # sig -> np.int32[capacity]
        self.totals: dict = {}   # sig -> int
        self.labels: dict = {}   # sig -> labels dict
        self.by_ns: dict = {}    # namespace -> set of sigs
        self.version = 0         # bumped whenever a signature appears or disappears
        self._matching: dict = {}  # cache: (key, namespaces) -> matching sigs at ``version``

    def add(self, pi: PodInfo, slot: int, delta: int) -> None:
        sig = pi.sig
        arr = self.counts.get(sig)
        if arr is None:
            arr = self.counts[sig] = np.zeros(self.capacity, np.int32)
            self.totals[sig] = 0
            self.labels[sig] = dict(pi.labels)
            self.by_ns.setdefault(sig[0], set()).add(sig)
            self.version += 1
        arr[slot] += delta
        self.totals[sig] += delta
        if self.totals[sig] == 0:
            del self.counts[sig], self.totals[sig], self.labels[sig]
            self.by_ns[sig[0]].discard(sig)
            self.version += 1

    def grow(self, capacity: int) -> None:
        for sig, arr in self.counts.items():
            new = np.zeros(capacity, np.int32)
            new[:len(arr)] = arr
            self.counts[sig] = new
        self.capacity = capacity

    def count(self, pred, namespaces=None, key=None) -> np.ndarray:
        """Pods per slot whose signature satisfies ``pred(namespace, labels, terminating)``;
        ``namespaces`` (a set) limits the search. With a hashable ``key`` describing ``pred``,
        the list of matching signatures is cached until a label set appears or disappears."""
        cache_key = (key, frozenset(namespaces) if namespaces is not None else None)
        hit = self._matching.get(cache_key) if key is not None else None
        if hit is None or hit[0] != self.version:
            spaces = self.by_ns if namespaces is None else \
                {n: self.by_ns.get(n, ()) for n in namespaces}
            sigs = [sig for ns, group in spaces.items() for sig in group
                    if pred(ns, self.labels[sig], sig[2])]
            if key is not None:
                if len(self._matching) > 4096:
                    self._matching.clear()
                self._matching[cache_key] = (self.version, sigs)
        else:
            sigs = hit[1]
        out = np.zeros(self.capacity, np.int64)
        for sig in sigs:  # integer sums: the order does not matter
            out += self.counts[sig]
        return out


class Snapshot:
    """The scheduler's cache of nodes and pods (also used directly as the cycle's snapshot).

    ``Snapshot(nodes, pods)`` builds one from plain API dicts: the pods with ``spec.nodeName``
    are placed on their nodes. ``namespace_labels`` feeds namespaceSelector terms; ``lister``
    (optional) answers the Services/ReplicaSets/StatefulSets that select a pod, for the default
    topology spreading (see plugins/pod_topology_spread.py).
    """

    def __init__(self, nodes=(), pods=(), namespace_labels=None, lister=None, capacity=64):
        self.nodes: dict[str, NodeInfo] = {}
        self.pod_node: dict[str, str] = {}
        self.namespace_labels: dict = dict(namespace_labels or {})
        self.lister = lister
        self.cols = {k: np.zeros(capacity, t) for k, t in _COLUMNS.items()}
        self.index = LabelIndex(capacity)
        self.image_nodes: dict = {}
        self.nominated: dict = {}  # node name -> {pod key: PodInfo} (preemption)
        self.by_slot: dict[int, NodeInfo] = {}
        self.taint_groups: dict[tuple, set] = {}  # hard-tainted nodes by identical taint list
        self._taint_of: dict[int, tuple] = {}
        self.cordoned: set = set()      # slots of nodes with spec.unschedulable
        self.soft_tainted: set = set()  # slots of nodes with PreferNoSchedule taints
        self.generation = 0
        self.affinity_pods = 0       # pods with any pod (anti-)affinity term, cluster-wide
        self.anti_affinity_pods = 0  # pods with a required anti-affinity term
        self._free = list(range(capacity - 1, -1, -1))
        self._zones: dict[str, list] = {}
        self._list = None
        self._order = self._array = self._alive = None
        self._domains: dict = {}
        self._missing: dict = {}
        for n in nodes:
            self.add_node(n)
        for p in pods:
            if (p.get("spec") or {}).get("nodeName"):
                self.add_pod(p)

    # -- nodes --------------------------------------------------------------------------------
    @property
    def num_nodes(self) -> int:
        return sum(len(z) for z in self._zones.values())

    def get(self, name: str) -> NodeInfo | None:
        ni = self.nodes.get(name)
        return ni if ni is not None and ni.node is not None else None

    def add_node(self, node: dict) -> NodeInfo:
        name = node["metadata"]["name"]
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo(name)
        if ni.node is not None:
            return self.update_node(node)
        ni.slot = self._take_slot()
        self.by_slot[ni.slot] = ni
        ni.set_node(node)
        self._zones.setdefault(ni.zone, []).append(name)
        for pi in ni.pods.values():  # pods that arrived before their node
            self.index.add(pi, ni.slot, +1)
        self._images(ni, +1)
        self._node_changed(ni, structure=True)
        return ni

    def update_node(self, node: dict) -> NodeInfo:
        ni = self.nodes.get(node["metadata"]["name"])
        if ni is None or ni.node is None:
            return self.add_node(node)
        old_zone = ni.zone
        self._images(ni, -1)
        ni.set_node(node)
        self._images(ni, +1)
        if ni.zone != old_zone:
            self._zones[old_zone].remove(ni.name)
            if not self._zones[old_zone]:
                del self._zones[old_zone]
            self._zones.setdefault(ni.zone, []).append(ni.name)
        self._node_changed(ni, structure=ni.zone != old_zone)
        return ni

    def remove_node(self, name: str) -> None:
        ni = self.nodes.get(name)
        if ni is None or ni.node is None:
            return
        self._zones[ni.zone].remove(name)
        if not self._zones[ni.zone]:
            del self._zones[ni.zone]
        self._images(ni, -1)
        for pi in ni.pods.values():
            self.index.add(pi, ni.slot, -1)
        for k in self.cols:
            self.cols[k][ni.slot] = 0
        self._group_taints(ni.slot, None)
        self.cordoned.discard(ni.slot)
        self.soft_tainted.discard(ni.slot)
        self._free.append(ni.slot)
        del self.by_slot[ni.slot]
        ni.node, ni.slot = None, -1
        if not ni.pods:  # pods still bound to a deleted node keep a "ghost" entry (upstream too)
            del self.nodes[name]
        self._list = self._order = None
        self._domains.clear()
        self.generation += 1

    def _node_changed(self, ni: NodeInfo, structure: bool) -> None:
        self._write_cols(ni)
        self._domains.clear()
        if structure:
            self._list = self._order = None
        self.generation += 1

    def _images(self, ni: NodeInfo, sign: int) -> None:
        for img in ni.images:
            n = self.image_nodes.get(img, 0) + sign
            if n > 0:
                self.image_nodes[img] = n
            else:
                self.image_nodes.pop(img, None)

    def _take_slot(self) -> int:
        if not self._free:
            old = len(self.cols["alloc_cpu"])
            new = old * 2
            for k, arr in self.cols.items():
                grown = np.zeros(new, arr.dtype)
                grown[:old] = arr
                self.cols[k] = grown
            self.index.grow(new)
            self._free = list(range(new - 1, old - 1, -1))
        return self._free.pop()

    def _write_cols(self, ni: NodeInfo) -> None:
        c, s = self.cols, ni.slot
        c["alloc_cpu"][s], c["alloc_mem"][s] = ni.alloc_cpu, ni.alloc_mem
        c["alloc_eph"][s], c["alloc_pods"][s] = ni.alloc_eph, ni.alloc_pods
        c["unschedulable"][s] = ni.unschedulable
        hard = any(t.get("effect") in ("NoSchedule", "NoExecute") for t in ni.taints)
        c["hard_taints"][s] = hard
        self._group_taints(s, tuple((t.get("key"), t.get("value"), t.get("effect"))
                                    for t in ni.taints) if hard else None)
        c["soft_taints"][s] = sum(1 for t in ni.taints if t.get("effect") == "PreferNoSchedule")
        for flag, group in ((ni.unschedulable, self.cordoned), (c["soft_taints"][s] > 0, self.soft_tainted)):
            (group.add if flag else group.discard)(s)
        self._write_usage(ni)

    def _group_taints(self, slot: int, key) -> None:
        old = self._taint_of.pop(slot, None)
        if old is not None:
            self.taint_groups[old].discard(slot)
            if not self.taint_groups[old]:
                del self.taint_groups[old]
        if key is not None:
            self._taint_of[slot] = key
            self.taint_groups.setdefault(key, set()).add(slot)

    def _write_usage(self, ni: NodeInfo) -> None:
        c, s = self.cols, ni.slot
        c["req_cpu"][s], c["req_mem"][s], c["req_eph"][s] = ni.req_cpu, ni.req_mem, ni.req_eph
        c["nz_cpu"][s], c["nz_mem"][s], c["pod_count"][s] = ni.nz_cpu, ni.nz_mem, len(ni.pods)
        c["free_cpu"][s], c["free_mem"][s] = ni.alloc_cpu - ni.req_cpu, ni.alloc_mem - ni.req_mem
        c["free_eph"][s], c["free_pods"][s] = ni.alloc_eph - ni.req_eph, ni.alloc_pods - len(ni.pods)

    # -- pods ---------------------------------------------------------------------------------
    def add_pod(self, pod, node_name: str | None = None) -> PodInfo:
        """Count a pod on a node (a bound pod, or one the scheduler just assumed)."""
        pi = pod_info(pod)
        node_name = node_name or pi.node_name
        if pi.key in self.pod_node:
            self.remove_pod(pi.key)
        ni = self.nodes.get(node_name)
        if ni is None:
            ni = self.nodes[node_name] = NodeInfo(node_name)
        ni.add_pod(pi)
        self._count_affinity(pi, +1)
        self.pod_node[pi.key] = node_name
        if ni.node is not None:
            self.index.add(pi, ni.slot, +1)
            self._write_usage(ni)
        self.generation += 1
        return pi

    def remove_pod(self, key: str) -> PodInfo | None:
        node_name = self.pod_node.pop(key, None)
        ni = self.nodes.get(node_name) if node_name else None
        if ni is None:
            return None
        pi = ni.remove_pod(key)
        if pi is not None:
            self._count_affinity(pi, -1)
        if ni.node is not None:
            if pi is not None:
                self.index.add(pi, ni.slot, -1)
            self._write_usage(ni)
        elif not ni.pods:
            del self.nodes[node_name]
        self.generation += 1
        return pi

    def _count_affinity(self, pi: PodInfo, sign: int) -> None:
        if pi.has_affinity:
            self.affinity_pods += sign
        if pi.has_required_anti_affinity:
            self.anti_affinity_pods += sign

    def pod(self, key: str) -> PodInfo | None:
        node = self.pod_node.get(key)
        return self.nodes[node].pods.get(key) if node else None

    # -- views --------------------------------------------------------------------------------
    def node_list(self) -> list[NodeInfo]:
        """Nodes in nodeTree order: round-robin across zones (internal/cache/node_tree.go)."""
        if self._list is None:
            zones = list(self._zones.values())
            out, i = [], 0
            while len(out) < self.num_nodes:
                for names in zones:
                    if i < len(names):
                        out.append(self.nodes[names[i]])
                i += 1
            self._list = out
            self._alive = None
            self._order = np.array([ni.slot for ni in out], np.int64)
            self._array = np.empty(len(out), object)
            self._array[:] = out
        return self._list

    def node_array(self) -> np.ndarray:
        """``node_list()`` as a numpy object array (fast fancy indexing)."""
        self.node_list()
        return self._array

    def order(self) -> np.ndarray:
        """Slots of ``node_list()``, as an array."""
        self.node_list()
        return self._order

    def domains(self, key: str):
        """For a topology key: (value id per slot, -1 when the node lacks the label; values).
        Every listed value occurs on at least one node of the snapshot."""
        got = self._domains.get(key)
        if got is None:
            ids = np.full(len(self.cols["alloc_cpu"]), -1, np.int64)
            values: dict = {}
            missing = False
            for ni in self.node_list():
                v = ni.labels.get(key)
                if v is not None:
                    ids[ni.slot] = values.setdefault(v, len(values))
                else:
                    missing = True
            got = self._domains[key] = (ids, list(values))
            self._missing[key] = missing
        return got

    def some_node_lacks(self, key: str) -> bool:
        """Does any node of the snapshot lack label ``key``?"""
        self.domains(key)
        return self._missing[key]

    def alive(self) -> np.ndarray:
        """Bool per slot: the slot holds a node of the snapshot."""
        if self._alive is None:
            order = self.order()
            self._alive = np.zeros(len(self.cols["alloc_cpu"]), bool)
            self._alive[order] = True
        return self._alive

    def nodes_with_affinity_pods(self) -> list[NodeInfo]:
        """HavePodsWithAffinityList (empty at once when no pod has affinity terms)."""
        if not self.affinity_pods:
            return []
        return [ni for ni in self.node_list() if ni.affinity_pods]

    def nodes_with_anti_affinity_pods(self) -> list[NodeInfo]:
        """HavePodsWithRequiredAntiAffinityList."""
        if not self.anti_affinity_pods:
            return []
        return [ni for ni in self.node_list() if ni.anti_affinity_pods]

    def ns_labels(self, namespace: str) -> dict:
        return self.namespace_labels.get(namespace) or {}
