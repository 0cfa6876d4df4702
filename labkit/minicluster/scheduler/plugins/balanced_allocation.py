"""NodeResourcesBalancedAllocation: prefer nodes whose CPU and memory fill up evenly.

With the pod placed, compute each resource's used fraction ``requested / allocatable`` (capped
at 1); the score is ``(1 - std) * 100`` where, for two resources, ``std = |f_cpu - f_mem| / 2``.
A node at 50 % CPU and 50 % memory scores 100; one at 90 % CPU and 10 % memory scores 60.
This plugin uses the *actual* requests, and skips pods that request nothing at all (since
v1.33: otherwise every best-effort pod would be drawn to the same node).
Upstream: plugins/noderesources/balanced_allocation.go.
"""
from __future__ import annotations

import math

import numpy as np

from .base import Plugin
from ..status import SKIPPED
from ...upstream import MAX_NODE_SCORE


def balanced_score(fractions: list[float]) -> int:
    """balancedResourceScorer for the fractions of the resources the node has."""
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) * (f - mean) for f in fractions) / len(fractions))
    return int((1 - std) * float(MAX_NODE_SCORE))


class BalancedAllocation(Plugin):
    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def pre_score(self, state, pod, snap, nodes, slots):
        if pod.cpu == 0 and pod.memory == 0:
            return SKIPPED  # isBestEffortPod
        return None

    def score(self, state, pod, ni):
        fractions = []
        for alloc, used, want in ((ni.alloc_cpu, ni.req_cpu, pod.cpu),
                                  (ni.alloc_mem, ni.req_mem, pod.memory)):
            if alloc:
                fractions.append(min(float(used + want) / float(alloc), 1.0))
        return balanced_score(fractions)

    def score_vector(self, state, pod, snap, slots):
        c = snap.cols
        a_cpu, a_mem = c["alloc_cpu"][slots], c["alloc_mem"][slots]
        if not (a_cpu.all() and a_mem.all()):
            return None  # a node without one of the resources: per-node path
        f_cpu = np.minimum((c["req_cpu"][slots] + pod.cpu) / a_cpu, 1.0)
        f_mem = np.minimum((c["req_mem"][slots] + pod.memory) / a_mem, 1.0)
        std = np.abs((f_cpu - f_mem) / 2)
        return ((1 - std) * float(MAX_NODE_SCORE)).astype(np.int64)
