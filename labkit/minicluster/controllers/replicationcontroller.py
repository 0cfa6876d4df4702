"""The ReplicationController manager (upstream pkg/controller/replication, v1.33).

ReplicationController is the ancestor of ReplicaSet. Upstream runs the *same* code as the
ReplicaSet controller through a conversion layer; here it is the same class with three
differences: the resource (``replicationcontrollers``, core/v1), the owner kind written into
pod ``ownerReferences`` (``ReplicationController``), and the selector - a plain label map
(``app: web``), not a ``LabelSelector``. An RC without a selector selects its template's
labels (the API server's defaulting does that upstream; we fall back to it here too).
Events come from ``replication-controller``.
"""
from __future__ import annotations

from ..selectors import selector_from_map
from .replicaset import ReplicaSetController


class ReplicationManager(ReplicaSetController):
    name = "replication-controller"
    resource = "replicationcontrollers"
    kind = "ReplicationController"

    def selector_of(self, rc: dict):
        sel = rc["spec"].get("selector") or \
            ((rc["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        return selector_from_map(sel)
