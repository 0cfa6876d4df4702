"""The default plugin set of kube-scheduler's ``default-scheduler`` profile, in upstream order.

Order matters: filters run in this order and the first rejection is a node's reason (a
cordoned node reports "were unschedulable", not its taints). Score weights come from
pkg/scheduler/apis/config/v1/default_plugins.go (see ``labkit.minicluster.upstream``).

The volume plugins check a pod's PersistentVolumeClaims: VolumeRestrictions
(:mod:`.volume_restrictions`: ReadWriteOncePod claims, inline disk conflicts), NodeVolumeLimits
(:mod:`.node_volume_limits`: CSI attach limits) and VolumeBinding (:mod:`.volume_binding`; its
PreBind half runs in scheduler.py). Not modelled: VolumeZone, DynamicResources. PrioritySort and SchedulingGates live in the
scheduling queue (queue.py), DefaultPreemption in preemption.py, DefaultBinder in scheduler.py.
"""
from __future__ import annotations

from .balanced_allocation import BalancedAllocation
from .base import Plugin
from .image_locality import ImageLocality
from .inter_pod_affinity import InterPodAffinity
from .node_affinity import NodeAffinity
from .node_name import NodeName
from .node_ports import NodePorts
from .node_resources_fit import NodeResourcesFit
from .node_unschedulable import NodeUnschedulable
from .pod_topology_spread import PodTopologySpread
from .node_volume_limits import NodeVolumeLimits
from .taint_toleration import TaintToleration
from .volume_binding import VolumeBinding
from .volume_restrictions import VolumeRestrictions
from ...upstream import SCHEDULER_PLUGIN_WEIGHTS

DEFAULT_ORDER = (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
                 NodeResourcesFit, VolumeRestrictions, NodeVolumeLimits, VolumeBinding,
                 PodTopologySpread, InterPodAffinity,
                 BalancedAllocation, ImageLocality)


def default_plugins(weights: dict | None = None) -> list[Plugin]:
    """Fresh instances of the default plugins; ``weights`` overrides score weights
    (a weight of 0 turns a plugin's scoring off, as a profile's ``score.disabled`` would)."""
    weights = {**SCHEDULER_PLUGIN_WEIGHTS, **(weights or {})}
    out = []
    for cls in DEFAULT_ORDER:
        pl = cls()
        if pl.name in weights:
            pl.weight = weights[pl.name]
        out.append(pl)
    return out


__all__ = ["Plugin", "default_plugins", "DEFAULT_ORDER"] + [c.__name__ for c in DEFAULT_ORDER]
