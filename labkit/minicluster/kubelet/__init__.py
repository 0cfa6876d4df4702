"""The kubelet: one agent per node running the pods bound to it (see :mod:`.kubelet`).

Modules: :mod:`.kubelet` (the agent: node registration, heartbeats, pod dispatch, logs, exec,
stats), :mod:`.podworker` (one pod's sync loop), :mod:`.lifecycle` (start/stop containers,
image pulls, hooks), :mod:`.probes`, :mod:`.status` (pod status), :mod:`.containers`
(container records, image manager), :mod:`.environment` and :mod:`.volumes` (what a container
gets), :mod:`.podnet` (pod IPs, pod-local networking), :mod:`.node` (the Node object),
:mod:`.backoff`, :mod:`.logs`.
"""
from .kubelet import Kubelet
from .podnet import endpoint

__all__ = ["Kubelet", "endpoint"]
