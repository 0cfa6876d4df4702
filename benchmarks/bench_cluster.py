"""Cluster-level figures: creation time, time to the first Running pod, and scale.

- ``MiniCluster()`` creation and a first pod Running: target < 100 ms (wall time).
- 5,000 nodes / 150,000 pods, all Running (Kubernetes' documented limits,
  https://kubernetes.io/docs/setup/best-practices/cluster-large/): target < 3 min and
  < 1.5 GB peak RSS, so the scalability lesson fits on Binder.
"""
from __future__ import annotations

import resource
import time

from labkit.minicluster.cluster import MiniCluster

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "first"},
       "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}


def deployment(name, replicas, cpu="10m", memory="16Mi"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
                                                           "resources": {"requests": {"cpu": cpu, "memory": memory}}}]}}}}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def startup() -> dict:
    t0 = time.perf_counter()
    MiniCluster(nodes=3, seed=0)
    first = time.perf_counter() - t0  # includes importing every component
    t0 = time.perf_counter()
    c = MiniCluster(nodes=3, seed=0)
    t1 = time.perf_counter()
    v0 = c.now()
    c.api.create("pods", POD)
    c.wait_for(lambda cl: cl.api.get("pods", "first")["status"].get("phase") == "Running",
               timeout=60, step=0.5)
    t2 = time.perf_counter()
    return {"first cluster in a process, imports included (ms)": round(first * 1000, 1),
            "cluster creation (ms)": round((t1 - t0) * 1000, 1),
            "creation + first pod Running (ms)": round((t2 - t0) * 1000, 1),
            "virtual seconds to Running": round(c.now() - v0, 1)}


def scale(nodes: int = 5000, pods: int = 150_000, per_deployment: int = 1000) -> dict:
    t0 = time.perf_counter()
    c = MiniCluster(nodes=nodes, seed=0, events=False, node_cpu="32", node_memory="128Gi")
    t_nodes = time.perf_counter() - t0
    v0 = c.now()
    for i in range(pods // per_deployment):
        c.api.create("deployments", deployment(f"app-{i:03d}", per_deployment))
    c.settle(max_seconds=600)
    running = sum(1 for p in c.list("pods", all_namespaces=True)
                  if p.get("status", {}).get("phase") == "Running")
    total = time.perf_counter() - t0
    return {"nodes": nodes, "pods requested": pods, "pods Running": running,
            "node registration (s)": round(t_nodes, 1), "total wall time (s)": round(total, 1),
            "virtual time (s)": round(c.now() - v0, 1),
            "peak RSS (MB)": round(peak_rss_mb(), 1)}
