"""NodeUnschedulable: a cordoned node (``spec.unschedulable: true``) takes no new pods.

``kubectl cordon`` sets the flag; the pod may still land there if it tolerates the taint
``node.kubernetes.io/unschedulable:NoSchedule`` (DaemonSet pods do).
Upstream: pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go.
"""
from __future__ import annotations

from .base import Plugin
from ..helpers import tolerated
from ..status import unresolvable

REASON = "node(s) were unschedulable"  # ErrReasonUnschedulable
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable(Plugin):
    name = "NodeUnschedulable"

    def filter(self, state, pod, ni):
        if ni.unschedulable and not tolerated(pod.tolerations, UNSCHEDULABLE_TAINT):
            return unresolvable(REASON)
        return None

    def filter_mask(self, state, pod, snap):
        if not snap.cordoned or tolerated(pod.tolerations, UNSCHEDULABLE_TAINT):
            return True
        return ~snap.cols["unschedulable"]
