"""Matching rules shared by several plugins: node selectors, taints and tolerations, scores.

- **Node selector terms** (``nodeAffinity`` and friends, component-helpers/scheduling/corev1/
  nodeaffinity): the terms are ORed; inside a term, every ``matchExpressions`` and
  ``matchFields`` requirement must hold. A term with no requirement matches no node.
  Operators: ``In``, ``NotIn``, ``Exists``, ``DoesNotExist``, ``Gt``, ``Lt`` (integers).
  ``NotIn`` and ``DoesNotExist`` are satisfied by a node that lacks the label.
- **Tolerations** (core/v1 ``Toleration.ToleratesTaint``): an empty effect tolerates every
  effect, an empty key with ``Exists`` tolerates every taint, ``Equal`` (the default operator)
  compares values.
- **DefaultNormalizeScore** (plugins/helper/normalize_score.go): scale raw scores to 0-100 by
  the maximum, optionally reversed (for "fewer is better" counts like untolerated taints).
"""
from __future__ import annotations

import numpy as np

from ..upstream import MAX_NODE_SCORE


# -- node selector requirements ------------------------------------------------------------------
def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def requirement_matches(req: dict, value, present: bool) -> bool:
    """One NodeSelectorRequirement against a node's label (or field) value."""
    op, values = req.get("operator"), req.get("values") or ()
    if op == "In":
        return present and value in values
    if op == "NotIn":
        return not present or value not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        if not present or len(values) != 1:
            return False
        have, want = _int(value), _int(values[0])
        if have is None or want is None:
            return False
        return have > want if op == "Gt" else have < want
    return False


def term_matches(term: dict, labels: dict, node_name: str) -> bool:
    """One NodeSelectorTerm: all its expressions (labels) and fields (metadata.name) hold."""
    exprs, fields = term.get("matchExpressions") or (), term.get("matchFields") or ()
    if not exprs and not fields:
        return False
    for r in exprs:
        key = r.get("key")
        if not requirement_matches(r, labels.get(key), key in labels):
            return False
    for r in fields:
        if r.get("key") != "metadata.name" or not requirement_matches(r, node_name, True):
            return False
    return True


def node_selector_matches(selector: dict | None, labels: dict, node_name: str) -> bool:
    """A NodeSelector (list of ORed terms). None means "no constraint"."""
    if selector is None:
        return True
    return any(term_matches(t, labels, node_name) for t in selector.get("nodeSelectorTerms") or ())


def required_node_affinity(pi) -> dict | None:
    na = pi.node_affinity
    return (na or {}).get("requiredDuringSchedulingIgnoredDuringExecution") if na else None


def pod_matches_node_affinity(pi, ni) -> bool:
    """``spec.nodeSelector`` (every key=value) AND the required node affinity
    (nodeaffinity.GetRequiredNodeAffinity(pod).Match(node))."""
    labels = ni.labels
    for k, v in pi.node_selector.items():
        if labels.get(k) != v:
            return False
    return node_selector_matches(required_node_affinity(pi), labels, ni.name)


# -- taints and tolerations ----------------------------------------------------------------------
def tolerates(toleration: dict, taint: dict) -> bool:
    """Does one toleration tolerate one taint?"""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerated(tolerations, taint: dict) -> bool:
    return any(tolerates(t, taint) for t in tolerations)


def first_untolerated(taints, tolerations, effects) -> dict | None:
    """v1helper.FindMatchingUntoleratedTaint: the first taint with one of ``effects`` that no
    toleration tolerates, or None."""
    for taint in taints:
        if taint.get("effect") in effects and not tolerated(tolerations, taint):
            return taint
    return None


# -- scores --------------------------------------------------------------------------------------
def default_normalize(scores: np.ndarray, reverse: bool) -> np.ndarray:
    """helper.DefaultNormalizeScore: ``score * 100 / max`` (integer), reversed if asked."""
    top = int(scores.max()) if len(scores) else 0
    if top == 0:
        return np.full(len(scores), MAX_NODE_SCORE if reverse else 0, np.int64)
    out = MAX_NODE_SCORE * scores // top
    return MAX_NODE_SCORE - out if reverse else out
