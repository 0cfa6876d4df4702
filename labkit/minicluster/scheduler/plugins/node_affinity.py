"""NodeAffinity: ``nodeSelector`` and ``affinity.nodeAffinity``.

- **Filter** (required): every ``nodeSelector`` label must match, and, if present, one of the
  ``requiredDuringSchedulingIgnoredDuringExecution`` terms. Otherwise:
  ``node(s) didn't match Pod's node affinity/selector`` (preemption cannot help).
- **PreFilter**: pods with neither skip the plugin; terms that pin ``metadata.name`` (matchFields)
  narrow the search to those nodes right away (a PreFilterResult).
- **Score** (preferred): the sum of the weights of the ``preferred...`` terms a node matches,
  normalized to 0-100 by the best node (weight 2).

Upstream: pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go.
"""
from __future__ import annotations

from .base import Plugin
from .common import affinity_mask, uses_match_fields
from ..helpers import (default_normalize, pod_matches_node_affinity, required_node_affinity,
                       term_matches)
from ..status import SKIPPED, unresolvable

REASON = "node(s) didn't match Pod's node affinity/selector"  # ErrReasonPod
REASON_CONFLICT = "pod affinity terms conflict"  # errReasonConflict


def _pinned_node_names(required: dict):
    """Node names the required terms pin through ``matchFields metadata.name In`` (None: any)."""
    names = None
    for term in required.get("nodeSelectorTerms") or ():
        term_names = None
        for r in term.get("matchFields") or ():
            if r.get("key") == "metadata.name" and r.get("operator") == "In":
                s = set(r.get("values") or ())
                term_names = s if term_names is None else term_names & s
        if term_names is None:
            return None  # this term allows any node; terms are ORed
        names = term_names if names is None else names | term_names
    return names


class NodeAffinity(Plugin):
    name = "NodeAffinity"
    weight = 2

    def pre_filter(self, state, pod, snap):
        required = required_node_affinity(pod)
        if required is None and not pod.node_selector:
            return SKIPPED
        names = _pinned_node_names(required) if required is not None else None
        if names is not None and not names:
            return unresolvable(REASON_CONFLICT)
        return names

    def filter(self, state, pod, ni):
        return None if pod_matches_node_affinity(pod, ni) else unresolvable(REASON)

    def filter_mask(self, state, pod, snap):
        """Label-only rules on every node at once; node-name rules go node by node (the
        PreFilterResult already narrowed the candidates to those names)."""
        return None if uses_match_fields(pod) else affinity_mask(snap, pod)

    def pre_score(self, state, pod, snap, nodes, slots):
        na = pod.node_affinity or {}
        terms = [t for t in na.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
                 if t.get("weight") and ((t.get("preference") or {}).get("matchExpressions")
                                         or (t.get("preference") or {}).get("matchFields"))]
        if not terms:
            return SKIPPED
        state[self.name] = terms
        return None

    def score(self, state, pod, ni):
        return sum(int(t["weight"]) for t in state[self.name]
                   if term_matches(t["preference"], ni.labels, ni.name))

    def normalize(self, state, pod, scores, nodes):
        return default_normalize(scores, reverse=False)
