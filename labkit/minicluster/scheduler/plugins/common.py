"""Vectorized building blocks shared by several plugins (the fast path).

Each function answers a per-node question for every node slot of the snapshot at once; the
per-node versions live in ``..helpers`` and the plugins' ``filter``/``score`` methods, and the
tests check that both agree.
"""
from __future__ import annotations

import numpy as np

from ..helpers import (first_untolerated, pod_matches_node_affinity, required_node_affinity,
                       requirement_matches)

HARD_EFFECTS = ("NoSchedule", "NoExecute")


def toleration_mask(snap, pod) -> np.ndarray:
    """Nodes whose NoSchedule/NoExecute taints the pod all tolerates (decided once per
    distinct taint list)."""
    mask = ~snap.cols["hard_taints"]
    if pod.tolerations:
        for slots in snap.taint_groups.values():
            ni = snap.by_slot[next(iter(slots))]
            if first_untolerated(ni.taints, pod.tolerations, HARD_EFFECTS) is None:
                mask[list(slots)] = True
    return mask


def uses_match_fields(pod) -> bool:
    required = required_node_affinity(pod)
    return bool(required) and any(t.get("matchFields") for t in required.get("nodeSelectorTerms") or ())


def affinity_mask(snap, pod) -> np.ndarray:
    """Nodes matching the pod's nodeSelector and required node affinity."""
    if uses_match_fields(pod):  # node names involved: decide node by node
        mask = np.zeros(len(snap.cols["alloc_cpu"]), bool)
        for ni in snap.node_list():
            mask[ni.slot] = pod_matches_node_affinity(pod, ni)
        return mask
    mask = np.ones(len(snap.cols["alloc_cpu"]), bool)
    for k, v in pod.node_selector.items():
        ids, values = snap.domains(k)
        mask &= ids == (values.index(v) if v in values else -2)
    required = required_node_affinity(pod)
    if required is None:
        return mask
    any_term = np.zeros_like(mask)
    for term in required.get("nodeSelectorTerms") or ():
        any_term |= term_mask(term, snap)
    return mask & any_term


def term_mask(term: dict, snap) -> np.ndarray:
    """One NodeSelectorTerm made of label expressions, on every node slot."""
    exprs = term.get("matchExpressions") or ()
    mask = np.full(len(snap.cols["alloc_cpu"]), bool(exprs))
    for r in exprs:
        ids, values = snap.domains(r.get("key"))
        op, want = r.get("operator"), r.get("values") or ()
        if op in ("In", "NotIn"):
            hit = np.isin(ids, [i for i, v in enumerate(values) if v in want])
            mask &= hit if op == "In" else ~hit
        elif op in ("Exists", "DoesNotExist"):
            mask &= (ids >= 0) if op == "Exists" else (ids < 0)
        elif op in ("Gt", "Lt"):
            ok = [i for i, v in enumerate(values) if requirement_matches(r, v, True)]
            mask &= np.isin(ids, ok)
        else:
            mask &= False
    return mask


def count_matching(snap, namespace: str, selector, pred) -> np.ndarray:
    """Per slot: pods in ``namespace`` that are not terminating and match ``selector``
    (``pred`` must say exactly that; the selector keys the cache)."""
    return snap.index.count(pred, {namespace}, key=("live", selector.reqs))


def domain_sums(snap, key: str, counts: np.ndarray, eligible=None, missing_as_empty=False):
    """Per value id of label ``key`` (see Snapshot.domains): ``(sums, present)``.

    ``sums[i]`` adds ``counts`` over the eligible nodes (None: every node) whose label has value
    ``i``; ``present[i]`` says some eligible node has that value. Both have one extra last
    entry, reached by id -1. With ``missing_as_empty``, nodes without the label are pooled under
    the value "" (the key upstream's maps use for a missing label).
    """
    ids, values = snap.domains(key)
    n = len(values)
    pool = values.index("") if "" in values else n

    def fold(d):
        return np.where(d < 0, pool, d) if missing_as_empty else d

    if eligible is None:
        present = np.ones(n + 1, bool)
        present[n] = missing_as_empty and pool == n and snap.some_node_lacks(key)
        nz = np.flatnonzero(counts)
    else:
        ok = eligible & snap.alive()
        d = fold(ids[ok])
        present = np.bincount(d[d >= 0], minlength=n + 1) > 0
        nz = np.flatnonzero(counts * ok)
    d, w = fold(ids[nz]), counts[nz]
    keep = d >= 0
    sums = np.bincount(d[keep], weights=w[keep], minlength=n + 1).astype(np.int64)
    return sums, present
