"""Plugin statuses and the FitError: how the scheduler says "no".

Every plugin answers with a **Status** (framework/interface.go): success, or a *code* with one
or more human *reasons*. The codes matter:

- ``Unschedulable``: this node does not fit now, but could after preemption (e.g. "Insufficient
  cpu": evicting a lower-priority pod would free CPU);
- ``UnschedulableAndUnresolvable``: preemption cannot help (a taint, a node selector);
- ``Skip``: returned by PreFilter/PreScore when the plugin has nothing to do for this pod, so the
  framework does not call its Filter/Score at all (a pod without affinity terms skips
  InterPodAffinity).

When no node fits, the reasons of all nodes are counted and sorted into the message users see in
``kubectl describe pod`` (framework/types.go ``FitError.Error``)::

    0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
    2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for
    scheduling, 2 No preemption victims found for incoming pod.

The counts are sorted as *strings* (Go ``sort.Strings``), so "10 Insufficient cpu" comes before
"2 ...", exactly as upstream prints it.
"""
from __future__ import annotations

SUCCESS, ERROR, UNSCHEDULABLE, UNRESOLVABLE, WAIT, SKIP, PENDING = range(7)
CODE_NAMES = ("Success", "Error", "Unschedulable", "UnschedulableAndUnresolvable", "Wait",
              "Skip", "Pending")
NO_NODE_AVAILABLE_MSG = "0/{} nodes are available"
NO_NODES_REGISTERED = "no nodes available to schedule pods"  # schedule_one.go ErrNoNodesAvailable


class Status:
    """A plugin's verdict: ``code``, ``reasons`` (tuple of str), ``plugin`` (who said it)."""

    __slots__ = ("code", "reasons", "plugin")

    def __init__(self, code: int, *reasons: str, plugin: str = ""):
        self.code, self.reasons, self.plugin = code, reasons, plugin

    def is_success(self) -> bool:
        return self.code == SUCCESS

    def is_rejected(self) -> bool:
        return self.code in (UNSCHEDULABLE, UNRESOLVABLE)

    def is_skip(self) -> bool:
        return self.code == SKIP

    def message(self) -> str:
        return ", ".join(self.reasons)

    def with_plugin(self, plugin: str) -> "Status":
        return Status(self.code, *self.reasons, plugin=plugin)

    def __repr__(self) -> str:
        who = f" {self.plugin}" if self.plugin else ""
        return f"Status({CODE_NAMES[self.code]}{who}: {self.message()!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Status) and (self.code, self.reasons) == (other.code, other.reasons)

    __hash__ = None


def unschedulable(*reasons: str) -> Status:
    return Status(UNSCHEDULABLE, *reasons)


def unresolvable(*reasons: str) -> Status:
    return Status(UNRESOLVABLE, *reasons)


SKIPPED = Status(SKIP)


class Diagnosis:
    """Why a pod did not fit: each rejected node's status (framework/types.go ``Diagnosis``).

    ``absent`` is the status of nodes that are *not* listed in ``node_status`` (NodeToStatus's
    AbsentNodesStatus): used when PreFilter narrowed the node set, and by preemption.
    """

    __slots__ = ("node_status", "absent", "unschedulable_plugins", "pre_filter_msg",
                 "post_filter_msg")

    def __init__(self):
        self.node_status: dict[str, Status] = {}
        self.absent: Status | None = None
        self.unschedulable_plugins: set = set()
        self.pre_filter_msg = ""
        self.post_filter_msg = ""

    def add(self, node: str, status: Status) -> None:
        self.node_status[node] = status
        if status.plugin and status.is_rejected():
            self.unschedulable_plugins.add(status.plugin)

    def status_of(self, node: str) -> Status | None:
        """NodeToStatus.Get: the node's own status, else the absent-nodes status."""
        return self.node_status.get(node, self.absent)


class FitError(Exception):
    """No node fits the pod; ``str()`` is upstream's message, byte for byte."""

    def __init__(self, pod_key: str, num_all_nodes: int, diagnosis: Diagnosis):
        super().__init__()
        self.pod_key, self.num_all_nodes, self.diagnosis = pod_key, num_all_nodes, diagnosis

    def reason_counts(self) -> dict[str, int]:
        """How many nodes gave each reason (explicit nodes, then the absent ones)."""
        d = self.diagnosis
        counts: dict[str, int] = {}
        for st in d.node_status.values():
            for r in st.reasons:
                counts[r] = counts.get(r, 0) + 1
        missing = self.num_all_nodes - len(d.node_status)
        if missing > 0 and d.absent is not None:
            for r in d.absent.reasons:
                counts[r] = counts.get(r, 0) + missing
        return counts

    def __str__(self) -> str:
        msg = NO_NODE_AVAILABLE_MSG.format(self.num_all_nodes) + ":"
        d = self.diagnosis
        if d.pre_filter_msg:
            msg += f" {d.pre_filter_msg}."
        else:
            parts = sorted(f"{n} {r}" for r, n in self.reason_counts().items())
            if parts:
                msg += " " + ", ".join(parts) + "."
        if d.post_filter_msg:
            msg += " " + d.post_filter_msg
        return msg

    message = __str__
