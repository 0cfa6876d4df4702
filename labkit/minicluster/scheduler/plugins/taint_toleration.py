"""TaintToleration: taints repel pods, tolerations let pods through.

- **Filter**: a node with a ``NoSchedule`` or ``NoExecute`` taint that the pod does not
  tolerate is rejected; the message names the first such taint:
  ``node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }``.
- **Score**: ``PreferNoSchedule`` taints are a soft repellent: the fewer untolerated
  PreferNoSchedule taints a node has, the better (counts normalized and reversed, weight 3).

Upstream: pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go.
"""
from __future__ import annotations

import numpy as np

from .base import Plugin
from .common import toleration_mask
from ..helpers import default_normalize, first_untolerated, tolerated
from ..status import unresolvable

HARD_EFFECTS = ("NoSchedule", "NoExecute")  # helper.DoNotScheduleTaintsFilterFunc


def reason(taint: dict) -> str:
    return f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value', '')}}}"


class TaintToleration(Plugin):
    name = "TaintToleration"
    weight = 3

    def filter(self, state, pod, ni):
        taint = first_untolerated(ni.taints, pod.tolerations, HARD_EFFECTS)
        return unresolvable(reason(taint)) if taint is not None else None

    def filter_mask(self, state, pod, snap):
        return toleration_mask(snap, pod) if snap.taint_groups else True

    def pre_score(self, state, pod, snap, nodes, slots):
        # getAllTolerationPreferNoSchedule: tolerations with an empty or PreferNoSchedule effect
        state[self.name] = [t for t in pod.tolerations
                            if (t.get("effect") or "PreferNoSchedule") == "PreferNoSchedule"]
        return None

    def score(self, state, pod, ni):
        """countIntolerableTaintsPreferNoSchedule."""
        tols = state[self.name]
        return sum(1 for t in ni.taints
                   if t.get("effect") == "PreferNoSchedule" and not tolerated(tols, t))

    def score_vector(self, state, pod, snap, slots):
        if not snap.soft_tainted:
            return np.zeros(len(slots), np.int64)
        if state[self.name]:
            return None
        return snap.cols["soft_taints"][slots]

    def normalize(self, state, pod, scores, nodes):
        return default_normalize(scores, reverse=True)
