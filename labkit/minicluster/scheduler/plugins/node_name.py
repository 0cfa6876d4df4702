"""NodeName: a pod that names its node (``spec.nodeName``) fits only there.

Such pods normally never reach the scheduler (they are bound already); the filter matters for
pods that go through it anyway. Upstream: plugins/nodename/node_name.go.
"""
from __future__ import annotations

from .base import Plugin
from ..status import unresolvable

REASON = "node(s) didn't match the requested node name"  # ErrReason


class NodeName(Plugin):
    name = "NodeName"

    def filter(self, state, pod, ni):
        if pod.node_name and pod.node_name != ni.name:
            return unresolvable(REASON)
        return None

    def filter_mask(self, state, pod, snap):
        return True if not pod.node_name else None
