"""Scheduler throughput: pods scheduled per second at 1,000 and 5,000 nodes.

Two measurements:

- **core**: the pure scheduling framework on a Snapshot (no API server): PreFilter, Filter with
  upstream node sampling (500 of 5,000 nodes), all default scores, host selection, and the
  "assume" into the cache. Two pod mixes: ``basic`` (no owner, like scheduler_perf's
  SchedulingBasic) and ``replicaset`` (pods owned by ReplicaSets, so the default topology
  spreading constraints apply as they do for Deployments).
- **end-to-end**: pods created through the API server of a MiniCluster, scheduled and bound
  (``pods/binding``), with informers, events off. The figure is binding throughput while
  draining the queue.

Target: >= 1,000 pods/s at 5,000 nodes (upstream scheduler_perf reports 680-810 pods/s for
its SchedulingBasic 5,000-node case on 16 goroutines).

Run: ``python -m benchmarks scheduler`` (or ``--quick``).
"""
from __future__ import annotations

import random
import time

from labkit.minicluster.scheduler import Framework, PodInfo, Snapshot
from labkit.minicluster.scheduler.builders import make_node, make_pod
from labkit.minicluster.scheduler.preemption import DefaultPreemption

N_APPS = 10


class _Lister:
    """ReplicaSets for the default spreading selector (what the informers give in a cluster)."""

    def __init__(self):
        self.rs = {f"app-{i}-h": {"spec": {"selector": {"matchLabels": {
            "app": f"app-{i}", "pod-template-hash": "h"}}}} for i in range(N_APPS)}

    def services(self, namespace):
        return []

    def controller(self, namespace, kind, name):
        return self.rs.get(name)


def _nodes(n: int, zones: int = 3) -> list:
    return [make_node(f"node-{i:05d}", cpu="32", memory="128Gi", zone=f"zone-{i % zones}")
            for i in range(n)]


def _pods(n: int, owned: bool) -> list:
    out = []
    for i in range(n):
        app = f"app-{i % N_APPS}"
        labels = {"app": app, "pod-template-hash": "h"} if owned else {"app": app}
        out.append(make_pod(f"pod-{i:06d}", cpu="100m", memory="128Mi", labels=labels,
                            owner=("apps/v1", "ReplicaSet", f"{app}-h") if owned else None))
    return out


def core(nodes: int, pods: int, owned: bool = False, seed: int = 0) -> dict:
    """Schedule ``pods`` one after another with the pure framework; returns figures."""
    snap = Snapshot(_nodes(nodes), lister=_Lister())
    rng = random.Random(seed)
    fw = Framework(rng=rng, post_filter=DefaultPreemption(rng))
    batch = _pods(pods, owned)
    used = {}
    t0, c0 = time.perf_counter(), time.process_time()
    for p in batch:
        pi = PodInfo(p)
        r = fw.schedule(pi, snap)
        snap.add_pod(pi, r.node)
        used[r.node] = used.get(r.node, 0) + 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"nodes": nodes, "pods": pods, "mix": "replicaset" if owned else "basic",
            "pods/s (wall)": round(pods / wall), "pods/s (cpu)": round(pods / cpu),
            "ms/pod": round(1000 * cpu / pods, 3), "nodes used": len(used),
            "max pods on a node": max(used.values())}


def end_to_end(nodes: int, pods: int) -> dict:
    """Create ``nodes`` and ``pods`` through the API server, then let the scheduler bind them."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=[], seed=0, events=False)
    for n in _nodes(nodes):
        c.api.create("nodes", n)
    c.settle()
    batch = _pods(pods, owned=False)
    t0 = time.perf_counter()
    for p in batch:
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {k: v for k, v in p["metadata"].items() if k != "uid"},
                "spec": p["spec"]}
        c.api.create("pods", body)  # each create queues the pod; the scheduler runs on settle
    t1 = time.perf_counter()
    c.settle()
    t2 = time.perf_counter()
    bound = c.scheduler.stats["scheduled"]
    return {"nodes": nodes, "pods": pods, "bound": bound,
            "create pods/s": round(pods / (t1 - t0)), "schedule+bind pods/s": round(bound / (t2 - t1))}


def run(nodes=(1000, 5000), pods: int = 3000, quick: bool = False) -> dict:
    """Figures for each node count (``nodes`` may be an int)."""
    sizes = (nodes,) if isinstance(nodes, int) else tuple(nodes)
    if quick:
        sizes, pods = (1000,), 1000
    out = {}
    for n in sizes:
        out[f"core basic {n} nodes"] = core(n, pods)
        out[f"core replicaset {n} nodes"] = core(n, pods, owned=True)
        out[f"end-to-end {n} nodes"] = end_to_end(n, pods)
    return out


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))
