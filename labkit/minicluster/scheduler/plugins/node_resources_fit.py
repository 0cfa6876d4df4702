"""NodeResourcesFit: does the node have room for the pod's requests? And how empty is it?

- **Filter**: the pod's requests (see podinfo.py) must fit in ``allocatable - requested``
  of the node, for CPU, memory, ephemeral storage and extended resources, and one more pod must
  fit under the node's ``pods`` allocatable. Reasons: ``Insufficient cpu``, ``Insufficient
  memory``, ``Too many pods``... (all that apply, each counted in the FitError message).
  A resource the pod does not request is not checked. Preemption *can* help (Unschedulable).
- **Score** with the default ``LeastAllocated`` strategy (weights cpu 1, memory 1): for each
  resource ``(allocatable - requested) * 100 / allocatable`` (integer), averaged by weight.
  "requested" here counts every container without requests as 100m CPU / 200 MB, so
  best-effort pods spread too.

Pods nominated to a node by preemption (with equal or higher priority) reserve their requests
there (RunFilterPluginsWithNominatedPods; simplification: only this plugin accounts for them).
Upstream: plugins/noderesources/fit.go, least_allocated.go, resource_allocation.go.
"""
from __future__ import annotations

import numpy as np

from .base import Plugin
from ..status import unschedulable
from ...upstream import MAX_NODE_SCORE

TOO_MANY_PODS = "Too many pods"
_NONE = (0, 0, 0, 0)


def nominated_extra(snap, pod) -> dict:
    """Per node: (cpu, memory, ephemeral, pods) reserved by other nominated pods that have at
    least this pod's priority."""
    extra = {}
    for node, pods in snap.nominated.items():
        mine = [p for p in pods.values() if p.key != pod.key and p.priority >= pod.priority]
        if mine:
            extra[node] = (sum(p.cpu for p in mine), sum(p.memory for p in mine),
                           sum(p.ephemeral for p in mine), len(mine))
    return extra


def insufficient(pod, ni, extra=_NONE) -> list[str]:
    """fitsRequest: the reasons the node cannot hold the pod (empty list: it fits)."""
    x_cpu, x_mem, x_eph, x_pods = extra
    reasons = []
    if len(ni.pods) + x_pods + 1 > ni.alloc_pods:
        reasons.append(TOO_MANY_PODS)
    if pod.cpu > 0 and pod.cpu > ni.alloc_cpu - ni.req_cpu - x_cpu:
        reasons.append("Insufficient cpu")
    if pod.memory > 0 and pod.memory > ni.alloc_mem - ni.req_mem - x_mem:
        reasons.append("Insufficient memory")
    if pod.ephemeral > 0 and pod.ephemeral > ni.alloc_eph - ni.req_eph - x_eph:
        reasons.append("Insufficient ephemeral-storage")
    for name in sorted(pod.scalars):
        want = pod.scalars[name]
        if want > 0 and want > ni.alloc_scalars.get(name, 0) - ni.req_scalars.get(name, 0):
            reasons.append(f"Insufficient {name}")
    return reasons


def least_requested_score(requested: int, capacity: int) -> int:
    """leastRequestedScore: unused share of capacity on a 0-100 scale."""
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


class NodeResourcesFit(Plugin):
    name = "NodeResourcesFit"
    weight = 1

    def pre_filter(self, state, pod, snap):
        state[self.name] = nominated_extra(snap, pod) if snap.nominated else {}
        return None

    def filter(self, state, pod, ni):
        reasons = insufficient(pod, ni, state[self.name].get(ni.name, _NONE))
        return unschedulable(*reasons) if reasons else None

    def filter_mask(self, state, pod, snap):
        if pod.scalars:
            return None
        c = snap.cols
        x_cpu, x_mem, x_eph, x_pods = self._extra_columns(state, snap)
        mask = c["free_pods"] >= x_pods + 1
        if pod.cpu > 0:
            mask &= c["free_cpu"] - x_cpu >= pod.cpu
        if pod.memory > 0:
            mask &= c["free_mem"] - x_mem >= pod.memory
        if pod.ephemeral > 0:
            mask &= c["free_eph"] - x_eph >= pod.ephemeral
        return mask

    def _extra_columns(self, state, snap):
        extra = state[self.name]
        if not extra:
            return _NONE
        cols = [np.zeros(len(snap.cols["alloc_cpu"]), np.int64) for _ in range(4)]
        for node, values in extra.items():
            ni = snap.get(node)
            if ni is not None:
                for col, v in zip(cols, values):
                    col[ni.slot] = v
        return cols

    def score(self, state, pod, ni):
        """LeastAllocated over cpu and memory (weight 1 each), non-zero requests."""
        total = weights = 0
        for alloc, used, want in ((ni.alloc_cpu, ni.nz_cpu, pod.nz_cpu),
                                  (ni.alloc_mem, ni.nz_mem, pod.nz_memory)):
            if alloc == 0:
                continue
            total += least_requested_score(used + want, alloc)
            weights += 1
        return total // weights if weights else 0

    def score_vector(self, state, pod, snap, slots):
        c = snap.cols
        a_cpu, a_mem = c["alloc_cpu"][slots], c["alloc_mem"][slots]
        if not (a_cpu.all() and a_mem.all()):
            return None  # a node without CPU or memory: per-node path
        free_cpu = np.maximum(a_cpu - c["nz_cpu"][slots] - pod.nz_cpu, 0)
        free_mem = np.maximum(a_mem - c["nz_mem"][slots] - pod.nz_memory, 0)
        return (free_cpu * MAX_NODE_SCORE // a_cpu + free_mem * MAX_NODE_SCORE // a_mem) // 2
