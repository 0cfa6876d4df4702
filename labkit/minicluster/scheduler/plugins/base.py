"""The plugin interface of the scheduling framework (framework/interface.go), reduced to the
extension points the default profile uses.

A plugin implements some of these (leave the others ``None``):

=================  ==========================================================================
``pre_filter``     ``(state, pod, snapshot)`` once per cycle: precompute, or answer
                   ``Status(SKIP)`` ("nothing to check for this pod"), a rejection (the pod fits
                   nowhere), or a set of node names (a PreFilterResult: only these nodes).
``filter``         ``(state, pod, node_info) -> Status | None``: does the pod fit this node?
``pre_score``      ``(state, pod, snapshot, nodes, slots)`` once per cycle before scoring (the
                   feasible nodes and their slots); may answer Skip.
``score``          ``(state, pod, node_info) -> int``: raw score of one feasible node.
``normalize``      ``(state, pod, scores, nodes) -> scores``: rescale raw scores to 0-100.
=================  ==========================================================================

``state`` is the CycleState: a dict in which each plugin keeps its own precomputed data under
its name. For speed, a plugin may add vectorized twins that must agree with the per-node
versions (the tests check that they do):

- ``filter_mask(state, pod, snapshot) -> bool array over node slots`` (or None: "use filter");
- ``score_vector(state, pod, snapshot, slots) -> int array`` (or None: "use score").
"""
from __future__ import annotations


class Plugin:
    name = ""
    weight = 0          # score weight in the profile (0: not a score plugin)
    pre_filter = None
    filter = None
    filter_mask = None
    pre_score = None
    score = None
    score_vector = None
    normalize = None

    def __repr__(self) -> str:
        return f"<{self.name}>"
