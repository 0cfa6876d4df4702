"""InterPodAffinity: place pods near (affinity) or away from (anti-affinity) other pods.

A term says "pods matching this selector (in these namespaces)" and a ``topologyKey``: the
domain is every node sharing the node's value of that label (``kubernetes.io/hostname``: the
node itself; ``topology.kubernetes.io/zone``: the whole zone).

**Filter** (required terms), in this order:

1. *pod affinity*: the node must carry every term's topology key, and for each term some pod
   matching **all** the terms must run in the node's domain. Exception: if no such pod exists
   anywhere and the pod matches its own terms, it may start the group (the first replica of a
   self-affine Deployment). Reason ``node(s) didn't match pod affinity rules`` (unresolvable).
2. *pod anti-affinity*: no pod matching a term may run in the node's domain.
   ``node(s) didn't match pod anti-affinity rules``.
3. *existing pods' anti-affinity*: no pod already running in the domain may have a required
   anti-affinity term matching the new pod (symmetry).
   ``node(s) didn't satisfy existing pods anti-affinity rules``.

**Score** (preferred terms, weight 2): per domain, add the weights of the pod's preferred
affinity terms matched by pods there, subtract its anti-affinity ones, and the same the other
way round (existing pods' preferred terms matching the new pod; their *required* affinity
terms count with weight 1, HardPodAffinityWeight). Scores are min-max normalized to 0-100.

Upstream: plugins/interpodaffinity/{filtering,scoring}.go.
"""
from __future__ import annotations

import numpy as np

from .base import Plugin
from ..status import SKIPPED, unresolvable, unschedulable
from ...upstream import HARD_POD_AFFINITY_WEIGHT, MAX_NODE_SCORE

REASON_AFFINITY = "node(s) didn't match pod affinity rules"
REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"
REASON_EXISTING_ANTI = "node(s) didn't satisfy existing pods anti-affinity rules"


def term_pred(snap, *terms):
    """Predicate over (namespace, labels, terminating): the pod matches all ``terms``."""
    return lambda ns, labels, _t: all(t.matches(ns, labels, snap.ns_labels(ns)) for t in terms)


def term_key(*terms):
    """A cache key for ``term_pred`` (None when a namespaceSelector makes it label-dependent)."""
    if any(t.ns_selector is not None for t in terms):
        return None
    return ("terms",) + tuple((t.namespaces, t.selector.reqs) for t in terms)


def counts_by_domain(snap, key: str, per_slot: np.ndarray) -> dict:
    """{(key, value): pods} over the snapshot's nodes that carry label ``key`` (zeros dropped,
    as topologyToMatchedTermCount.update deletes entries that reach 0)."""
    slots = snap.order()
    ids, values = snap.domains(key)
    ids, cnt = ids[slots], per_slot[slots]
    ok = (ids >= 0) & (cnt != 0)
    sums = np.bincount(ids[ok], weights=cnt[ok], minlength=len(values))
    return {(key, values[i]): int(sums[i]) for i in np.flatnonzero(sums)}


class InterPodAffinity(Plugin):
    name = "InterPodAffinity"
    weight = 2

    # -- filtering ------------------------------------------------------------------------------
    def pre_filter(self, state, pod, snap):
        existing = self._existing_anti_affinity(pod, snap)
        if not existing and not pod.required_affinity and not pod.required_anti_affinity:
            return SKIPPED
        affinity: dict = {}
        if pod.required_affinity:
            per_slot = snap.index.count(term_pred(snap, *pod.required_affinity),
                                        key=term_key(*pod.required_affinity))
            for t in pod.required_affinity:
                for k, v in counts_by_domain(snap, t.topology_key, per_slot).items():
                    affinity[k] = affinity.get(k, 0) + v
        anti: dict = {}
        for t in pod.required_anti_affinity:
            per_slot = snap.index.count(term_pred(snap, t), key=term_key(t))
            for k, v in counts_by_domain(snap, t.topology_key, per_slot).items():
                anti[k] = anti.get(k, 0) + v
        self_match = all(t.matches(pod.namespace, pod.labels, snap.ns_labels(pod.namespace))
                         for t in pod.required_affinity)
        state[self.name] = (existing, affinity, anti, self_match)
        return None

    @staticmethod
    def _existing_anti_affinity(pod, snap) -> dict:
        """getExistingAntiAffinityCounts: domains where a running pod's required anti-affinity
        term matches the incoming pod."""
        counts: dict = {}
        ns_labels = snap.ns_labels(pod.namespace)
        for ni in snap.nodes_with_anti_affinity_pods():
            for other in ni.anti_affinity_pods.values():
                for t in other.required_anti_affinity:
                    value = ni.labels.get(t.topology_key)
                    if value is not None and t.matches(pod.namespace, pod.labels, ns_labels):
                        counts[(t.topology_key, value)] = counts.get((t.topology_key, value), 0) + 1
        return counts

    def filter(self, state, pod, ni):
        existing, affinity, anti, self_match = state[self.name]
        if not self._satisfies_affinity(pod, ni, affinity, self_match):
            return unresolvable(REASON_AFFINITY)
        if anti:
            for t in pod.required_anti_affinity:
                value = ni.labels.get(t.topology_key)
                if value is not None and anti.get((t.topology_key, value), 0) > 0:
                    return unschedulable(REASON_ANTI_AFFINITY)
        if existing and any(existing.get(kv, 0) > 0 for kv in ni.labels.items()):
            return unschedulable(REASON_EXISTING_ANTI)
        return None

    @staticmethod
    def _satisfies_affinity(pod, ni, affinity, self_match) -> bool:
        pods_exist = True
        for t in pod.required_affinity:
            value = ni.labels.get(t.topology_key)
            if value is None:
                return False  # all topology labels must exist on the node
            if affinity.get((t.topology_key, value), 0) <= 0:
                pods_exist = False
        # The first pod of a group that is affine to itself may go anywhere.
        return pods_exist or (not affinity and self_match)

    def filter_mask(self, state, pod, snap):
        existing, affinity, anti, self_match = state[self.name]
        size = len(snap.cols["alloc_cpu"])
        mask = np.ones(size, bool)
        if pod.required_affinity:
            has_all, exist = np.ones(size, bool), np.ones(size, bool)
            for t in pod.required_affinity:
                ids, table = _table(snap, t.topology_key, affinity)
                has_all &= ids >= 0
                exist &= table[ids] > 0
            mask &= has_all & (exist | (not affinity and self_match))
        if anti:
            for t in pod.required_anti_affinity:
                ids, table = _table(snap, t.topology_key, anti)
                mask &= ~((ids >= 0) & (table[ids] > 0))
        for key in {k for k, _ in existing}:
            ids, table = _table(snap, key, existing)
            mask &= ~((ids >= 0) & (table[ids] > 0))
        return mask

    # -- scoring --------------------------------------------------------------------------------
    def pre_score(self, state, pod, snap, nodes, slots):
        scores: dict = {}  # topology key -> {value: score}
        pref = [(t, 1) for t in pod.preferred_affinity] + [(t, -1) for t in pod.preferred_anti_affinity]
        for t, sign in pref:  # the incoming pod's preferred terms, matched by existing pods
            per_slot = snap.index.count(term_pred(snap, t), key=term_key(t))
            for (k, v), n in counts_by_domain(snap, t.topology_key, per_slot).items():
                _bump(scores, k, v, sign * t.weight * n)
        ns_labels = snap.ns_labels(pod.namespace)
        for ni in snap.nodes_with_affinity_pods():  # existing pods' terms matching the new pod
            if not ni.labels:
                continue
            for other in ni.affinity_pods.values():
                for terms, w, sign in ((other.required_affinity, HARD_POD_AFFINITY_WEIGHT, 1),
                                       (other.preferred_affinity, None, 1),
                                       (other.preferred_anti_affinity, None, -1)):
                    for t in terms:
                        value = ni.labels.get(t.topology_key)
                        if value is not None and t.matches(pod.namespace, pod.labels, ns_labels):
                            _bump(scores, t.topology_key, value, sign * (w or t.weight))
        if not scores:
            return SKIPPED
        state[self.name] = scores
        return None

    def score(self, state, pod, ni):
        total = 0
        for key, per_value in state[self.name].items():
            value = ni.labels.get(key)
            if value is not None:
                total += per_value.get(value, 0)
        return total

    def normalize(self, state, pod, scores, nodes):
        low, high = int(scores.min()), int(scores.max())
        if high - low <= 0:
            return np.zeros(len(scores), np.int64)
        return (float(MAX_NODE_SCORE) * ((scores - low) / float(high - low))).astype(np.int64)


def _bump(scores: dict, key: str, value: str, delta: int) -> None:
    per_value = scores.setdefault(key, {})
    per_value[value] = per_value.get(value, 0) + delta


def _table(snap, key: str, counts: dict):
    """Label-value ids of ``key`` per slot, and the count of each value id (+ a trailing 0
    for nodes without the label, reached by id -1)."""
    ids, values = snap.domains(key)
    return ids, np.array([counts.get((key, v), 0) for v in values] + [0], np.int64)
