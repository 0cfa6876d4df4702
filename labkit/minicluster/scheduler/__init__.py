"""kube-scheduler for the mini cluster: the scheduling framework and its default plugins.

Pure core (plain dicts in, decisions out; no API server needed):

- :class:`~.nodeinfo.Snapshot` ``(nodes, pods)``: the cluster as the scheduler sees it;
- :class:`~.framework.Framework` ``.schedule(pod, snapshot, trace=False)`` → ScheduleResult;
- :func:`~.explain.explain` ``(pod, nodes, pods)`` → an explain record (per-node filter
  reasons and plugin scores) for the course's scheduler playground;
- :class:`~.status.FitError`: "0/3 nodes are available: ..." exactly as upstream prints it.

Integration: :class:`~.scheduler.Scheduler` ``(ctx)`` watches pods and nodes, queues pending
pods (queue.py), binds them and reports failures, as kube-scheduler does.
"""
from .explain import explain, explain_record, node_rows, score_rows, to_frame
from .framework import Framework, ScheduleResult, num_feasible_nodes_to_find
from .nodeinfo import NodeInfo, Snapshot
from .podinfo import PodInfo, pod_requests
from .preemption import DefaultPreemption
from .queue import SchedulingQueue, backoff_duration
from .scheduler import Scheduler
from .status import Diagnosis, FitError, Status

__all__ = ["Scheduler", "Framework", "ScheduleResult", "Snapshot", "NodeInfo", "PodInfo",
           "FitError", "Diagnosis", "Status", "DefaultPreemption", "SchedulingQueue",
           "explain", "explain_record", "node_rows", "score_rows", "to_frame",
           "num_feasible_nodes_to_find", "pod_requests", "backoff_duration"]
