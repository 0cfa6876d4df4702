"""PodTopologySpread: keep matching pods evenly spread over topology domains (nodes, zones).

A constraint ``{maxSkew, topologyKey, whenUnsatisfiable, labelSelector}`` counts, per domain
(each value of ``topologyKey``), the pods in the pod's namespace matching ``labelSelector``.

- ``whenUnsatisfiable: DoNotSchedule`` is a **filter**: placing the pod in a domain must keep
  ``count(domain) + 1 - min(count over domains) <= maxSkew`` (the +1 only if the pod matches its
  own selector). Nodes lacking the topology label are rejected ("missing required label").
  Domains are the values found on nodes that pass the pod's node affinity (nodeAffinityPolicy
  Honor, the default) and that carry every constraint's key.
- ``ScheduleAnyway`` is a **score**: nodes in emptier domains score higher.
- A pod with no constraints of its own gets the cluster defaults (``hostname`` maxSkew 3,
  ``zone`` maxSkew 5, both ScheduleAnyway) with a selector built from the Services,
  ReplicaSet/StatefulSet/ReplicationController that select it: that is why replicas of a
  Deployment spread across nodes.

Upstream: plugins/podtopologyspread/{common,filtering,scoring,plugin}.go and
plugins/helper/spread.go (DefaultSelector).
"""
from __future__ import annotations

import math

import numpy as np

from .base import Plugin
from .common import affinity_mask, count_matching, domain_sums, toleration_mask
from ..nodeinfo import HOSTNAME
from ...selectors import Selector, from_label_selector
from ..status import SKIPPED, unresolvable, unschedulable
from ...upstream import MAX_NODE_SCORE, SYSTEM_DEFAULT_SPREAD_CONSTRAINTS

REASON = "node(s) didn't match pod topology spread constraints"  # ErrReasonConstraintsNotMatch
REASON_LABEL = REASON + " (missing required label)"  # ErrReasonNodeLabelNotMatch


class Constraint:
    """A compiled TopologySpreadConstraint (common.go topologySpreadConstraint)."""

    __slots__ = ("max_skew", "key", "selector", "min_domains", "honor_affinity", "honor_taints")

    def __init__(self, c: dict, pod_labels: dict, selector=None):
        self.max_skew = int(c.get("maxSkew") or 0)
        self.key = c.get("topologyKey") or ""
        self.selector = selector or _selector(c, pod_labels)
        self.min_domains = int(c.get("minDomains") or 1)
        self.honor_affinity = (c.get("nodeAffinityPolicy") or "Honor") == "Honor"
        self.honor_taints = (c.get("nodeTaintsPolicy") or "Ignore") == "Honor"


def _selector(c: dict, pod_labels: dict) -> Selector:
    """labelSelector plus ``matchLabelKeys`` (values from the pod's own labels)."""
    sel = from_label_selector(c.get("labelSelector"))
    extra = [(k, "=", (pod_labels[k],)) for k in c.get("matchLabelKeys") or () if k in pod_labels]
    return Selector(tuple(extra) + sel.reqs) if extra else sel


def constraints_for(pod, action: str, lister) -> list[Constraint]:
    """The pod's constraints with ``whenUnsatisfiable == action``, or the system defaults."""
    if pod.spread_constraints:
        return [Constraint(c, pod.labels) for c in pod.spread_constraints
                if c.get("whenUnsatisfiable") == action]
    defaults = [c for c in SYSTEM_DEFAULT_SPREAD_CONSTRAINTS if c["whenUnsatisfiable"] == action]
    if not defaults:
        return []
    sel = default_selector(pod, lister)
    return [Constraint(c, pod.labels, sel) for c in defaults] if sel is not None else []


def default_selector(pod, lister) -> Selector | None:
    """helper.DefaultSelector: merge the selectors of the Services selecting the pod and of its
    controlling ReplicaSet, StatefulSet or ReplicationController. None if there are none."""
    if lister is None:
        return None
    merged: dict = {}
    for svc in lister.services(pod.namespace):
        sel = (svc.get("spec") or {}).get("selector") or {}
        if all(pod.labels.get(k) == v for k, v in sel.items()):
            merged.update(sel)
    reqs = [(k, "=", (v,)) for k, v in sorted(merged.items())]
    owner = next((r for r in (pod.pod.get("metadata") or {}).get("ownerReferences") or ()
                  if r.get("controller")), None)
    if owner is not None:
        kind, api = owner.get("kind"), owner.get("apiVersion")
        obj = lister.controller(pod.namespace, kind, owner.get("name")) \
            if (api, kind) in (("v1", "ReplicationController"), ("apps/v1", "ReplicaSet"),
                               ("apps/v1", "StatefulSet")) else None
        if obj is not None and kind == "ReplicationController":
            merged.update((obj.get("spec") or {}).get("selector") or {})
            reqs = [(k, "=", (v,)) for k, v in sorted(merged.items())]
        elif obj is not None:
            reqs += list(from_label_selector((obj.get("spec") or {}).get("selector")).reqs)
    return Selector(reqs) if reqs else None


def matches_for(pod, c: Constraint):
    """countPodsMatchSelector's predicate: same namespace, not terminating, selector matches."""
    return lambda ns, labels, terminating: not terminating and c.selector.matches(labels)


class PodTopologySpread(Plugin):
    name = "PodTopologySpread"
    weight = 2

    # -- filtering ------------------------------------------------------------------------------
    def pre_filter(self, state, pod, snap):
        """Count matching pods per domain over the eligible nodes; keep the global minimum."""
        cs = constraints_for(pod, "DoNotSchedule", snap.lister)
        if not cs:
            return SKIPPED
        has_all = _has_all_keys(snap, cs)
        paths = []
        for c in cs:
            eligible = _and(has_all, _inclusion_mask(snap, pod, c))
            counts = count_matching(snap, pod.namespace, c.selector, matches_for(pod, c))
            per_domain, present = domain_sums(snap, c.key, counts, eligible)
            domains = int(present.sum())
            low = int(per_domain[present].min()) if domains else 0
            if domains < c.min_domains:
                low = 0  # fewer domains than minDomains: the global minimum counts as 0
            ids = snap.domains(c.key)[0]
            paths.append((c, ids, per_domain, low, 1 if c.selector.matches(pod.labels) else 0))
        state[self.name] = paths
        return None

    def filter(self, state, pod, ni):
        for c, ids, per_domain, low, self_match in state[self.name]:
            if c.key not in ni.labels:
                return unresolvable(REASON_LABEL)
            if per_domain[ids[ni.slot]] + self_match - low > c.max_skew:
                return unschedulable(REASON)
        return None

    def filter_mask(self, state, pod, snap):
        mask = np.ones(len(snap.cols["alloc_cpu"]), bool)
        for c, ids, per_domain, low, self_match in state[self.name]:
            mask &= (ids >= 0) & (per_domain[ids] + self_match - low <= c.max_skew)
        return mask

    # -- scoring --------------------------------------------------------------------------------
    def pre_score(self, state, pod, snap, nodes, slots):
        """Count matching pods per domain (all nodes) for the domains of the feasible nodes."""
        cs = constraints_for(pod, "ScheduleAnyway", snap.lister)
        if not cs:
            return SKIPPED
        require_all = bool(pod.spread_constraints)
        ignored = {ni.name for ni in nodes if any(c.key not in ni.labels for c in cs)} \
            if require_all else set()
        if ignored:
            slots = np.array([ni.slot for ni in nodes if ni.name not in ignored], np.int64)
        has_all = _has_all_keys(snap, cs) if require_all else None
        entries, counted = [], {}
        for c in cs:
            if c.selector.reqs not in counted:
                counted[c.selector.reqs] = count_matching(snap, pod.namespace, c.selector,
                                                          matches_for(pod, c))
            counts = counted[c.selector.reqs]
            if c.key == HOSTNAME:  # counted per node in Score
                entries.append((c, None, None, math.log(len(slots) + 2), counts))
                continue
            eligible = _and(has_all, _inclusion_mask(snap, pod, c))
            per_domain, _ = domain_sums(snap, c.key, counts, eligible, missing_as_empty=True)
            ids = snap.domains(c.key)[0]
            entries.append((c, ids, per_domain, math.log(_domains_of(snap, c.key, slots) + 2), None))
        state[self.name] = (entries, ignored)
        return None

    def score(self, state, pod, ni):
        entries, ignored = state[self.name]
        if ni.name in ignored:
            return 0
        total = 0.0
        for c, ids, per_domain, weight, _ in entries:
            if c.key not in ni.labels:
                continue
            if per_domain is None:  # hostname: countPodsMatchSelector on this node
                cnt = sum(1 for p in ni.pods.values() if p.namespace == pod.namespace
                          and not p.terminating and c.selector.matches(p.labels))
            else:
                cnt = per_domain[ids[ni.slot]]
            total += float(cnt) * weight + float(c.max_skew - 1)
        return _round_half_away(total)

    def score_vector(self, state, pod, snap, slots):
        entries, ignored = state[self.name]
        if ignored:
            return None
        total = np.zeros(len(slots), np.float64)
        for c, ids, per_domain, weight, counts in entries:
            node_ids = snap.domains(c.key)[0][slots]
            cnt = counts[slots] if per_domain is None else per_domain[node_ids]
            total = np.where(node_ids >= 0, total + (cnt.astype(np.float64) * weight
                                                     + float(c.max_skew - 1)), total)
        floor = np.floor(total)
        return (floor + (total - floor >= 0.5)).astype(np.int64)

    def normalize(self, state, pod, scores, nodes):
        _, ignored = state[self.name]
        if ignored:  # nodes without the topology keys score 0 and do not count for min/max
            keep = np.array([ni.name not in ignored for ni in nodes], bool)
            if not keep.any():
                return np.zeros(len(scores), np.int64)
            low, high = int(scores[keep].min()), int(scores[keep].max())
        else:
            keep, low, high = None, int(scores.min()), int(scores.max())
        out = np.full(len(scores), MAX_NODE_SCORE, np.int64) if high == 0 else \
            MAX_NODE_SCORE * (high + low - scores) // high
        return out if keep is None else np.where(keep, out, 0)


def _round_half_away(x: float) -> int:
    """Go math.Round for x >= 0 (Python's round() rounds half to even)."""
    f = math.floor(x)
    return int(f) + (1 if x - f >= 0.5 else 0)


def _domains_of(snap, key: str, slots) -> int:
    """How many distinct values of label ``key`` the given nodes have (a missing label counts
    as the value "", as in upstream's map)."""
    ids, values = snap.domains(key)
    pool = values.index("") if "" in values else len(values)
    found = ids[slots]
    return int(np.count_nonzero(np.bincount(np.where(found < 0, pool, found),
                                            minlength=len(values) + 1)))


def _and(a, b):
    """AND of two optional masks (None means "every node")."""
    if a is None:
        return b
    return a if b is None else a & b


def _has_all_keys(snap, cs) -> np.ndarray:
    """nodeLabelsMatchSpreadConstraints, per slot, for the nodes of the snapshot."""
    mask = snap.alive().copy()
    for c in cs:
        mask &= snap.domains(c.key)[0] >= 0
    return mask


def _inclusion_mask(snap, pod, c: Constraint):
    """Nodes counted for constraint ``c`` (None: all of them)."""
    mask = None
    if c.honor_affinity and (pod.node_selector or pod.node_affinity):
        mask = affinity_mask(snap, pod)
    if c.honor_taints:
        mask = _and(mask, toleration_mask(snap, pod))
    return mask
