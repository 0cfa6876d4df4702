"""kube-scheduler, wired into the mini cluster: watch, queue, decide, bind, report.

The loop (pkg/scheduler/scheduler.go, schedule_one.go), one pod per event-loop step:

1. Watch pods and nodes through shared informers. Pending pods (no ``spec.nodeName``,
   ``schedulerName: default-scheduler``) enter the scheduling queue; bound pods and nodes feed
   the scheduler's cache (:class:`~.nodeinfo.Snapshot`).
2. Pop the next pod, run the framework cycle (framework.py).
3. On success: **assume** the pod on the chosen node in the cache at once (the next pod already
   sees it), then **bind** it (``POST pods/<name>/binding`` as ``system:kube-scheduler``) and
   record the event ``Scheduled``: "Successfully assigned default/web to node-1".
4. On failure: record ``FailedScheduling`` (Warning) with the FitError message, set the pod's
   condition ``PodScheduled=False, reason Unschedulable`` and park the pod until a cluster event
   (see queue.py). If preemption chose a node, delete the victims first and set
   ``status.nominatedNodeName``.

``scheduler.explain(pod)`` dry-runs a cycle against the current cache and returns the explain
record (see explain.py); attempts are also logged in the cluster's ExplainLog (topic
``scheduler``), with per-node detail while the cluster has at most ``explain_nodes`` nodes.
"""
from __future__ import annotations

import random

from ..apiserver import UserInfo
from ..errors import ApiError
from ..events import CONTROL_PLANE_HOST
from ..objects import set_condition
from ..upstream import (EVENT_NOTE_LENGTH_LIMIT, SCHEDULER_NAME, SCHEDULER_USER,
                        UNSCHEDULABLE_PODS_FLUSH_SECONDS)
from .framework import Framework
from .nodeinfo import Snapshot
from .podinfo import PodInfo
from .plugins.volume_binding import VolumeBinder
from .preemption import DefaultPreemption
from .queue import SchedulingQueue

COMPONENT = SCHEDULER_NAME  # events' reportingController
INSTANCE = f"{COMPONENT}-{CONTROL_PLANE_HOST}"  # reportingInstance: controller + "-" + hostname
TERMINAL = ("Succeeded", "Failed")


def truncate(message: str) -> str:
    """schedule_one.go truncateMessage: event notes are at most 1024 bytes."""
    if len(message) <= EVENT_NOTE_LENGTH_LIMIT:
        return message
    return message[:EVENT_NOTE_LENGTH_LIMIT - 4] + " ..."


class InformerLister:
    """Services and workload controllers for default topology spreading (and PDBs for
    preemption), read from shared informers created on first use."""

    def __init__(self, informers):
        self.informers = informers

    def services(self, namespace: str) -> list:
        return self.informers["services"].list(namespace)

    def controller(self, namespace: str, kind: str, name: str):
        plural = {"ReplicaSet": "replicasets", "StatefulSet": "statefulsets",
                  "ReplicationController": "replicationcontrollers"}[kind]
        return self.informers[plural].get(name, namespace)

    def pdbs(self) -> list:
        return self.informers["poddisruptionbudgets"].list()


class Scheduler:
    """The default scheduler of a :class:`~labkit.minicluster.cluster.MiniCluster`.

    ``Scheduler(ctx)`` takes the cluster's component context; ``Scheduler(api=..., loop=...)``
    works too (informers and an event recorder are then created here).
    """

    def __init__(self, ctx=None, *, api=None, loop=None, informers=None, recorder=None,
                 rng=None, explain_log=None, percentage_of_nodes_to_score: int = 0,
                 explain_nodes: int = 20):
        if ctx is not None:
            api, loop, informers = ctx.api, ctx.loop, ctx.informers
            recorder, explain_log = ctx.recorder, ctx.explain
            rng = rng or ctx.child_rng()
        if informers is None:
            from ..informer import InformerFactory
            informers = InformerFactory(api)
        if recorder is None:
            from ..events import EventRecorder
            recorder = EventRecorder(api, loop)
        self.api, self.loop, self.informers, self.recorder = api, loop, informers, recorder
        self.explain_log, self.explain_nodes = explain_log, explain_nodes
        self.user = UserInfo(SCHEDULER_USER, ("system:authenticated",))
        self.rng = rng or random.Random(0)
        self.lister = InformerLister(informers)
        self.snapshot = Snapshot(lister=self.lister)
        self.preemption = DefaultPreemption(self.rng, pdbs=self.lister.pdbs)
        self.framework = Framework(rng=self.rng, post_filter=self.preemption,
                                   percentage_of_nodes_to_score=percentage_of_nodes_to_score)
        self.queue = SchedulingQueue(loop.clock.now)
        self.stats = {"attempts": 0, "scheduled": 0, "unschedulable": 0, "errors": 0,
                      "preemptions": 0}
        self._run_timer = self._backoff_timer = self._flush_timer = None
        self._start = loop.clock.now()
        informers["namespaces"].add_handler(self._ns_changed, lambda o, n: self._ns_changed(n),
                                            self._ns_deleted)
        informers["nodes"].add_handler(self._node_added, self._node_updated, self._node_deleted)
        informers["pods"].add_handler(self._pod_added, self._pod_updated, self._pod_deleted)
        self.volume_binder = VolumeBinder(self)  # PreBind of the VolumeBinding plugin
        for resource, event in (("persistentvolumeclaims", "PvcChange"),
                                ("persistentvolumes", "PvChange"),
                                ("storageclasses", "StorageClassChange")):
            informers[resource].add_handler(lambda o, e=event: self._moved(e),
                                            lambda o, n, e=event: self._moved(e), None)

    # -- informer handlers: namespaces and nodes ------------------------------------------------
    def _ns_changed(self, ns: dict) -> None:
        self.snapshot.namespace_labels[ns["metadata"]["name"]] = ns["metadata"].get("labels") or {}

    def _ns_deleted(self, ns: dict) -> None:
        self.snapshot.namespace_labels.pop(ns["metadata"]["name"], None)

    def _node_added(self, node: dict) -> None:
        self.snapshot.add_node(node)
        self._moved("NodeAdd")

    def _node_updated(self, old: dict, new: dict) -> None:
        if _scheduling_view(old) == _scheduling_view(new):
            return  # heartbeats and the like change nothing the scheduler looks at
        self.snapshot.update_node(new)
        self._moved("NodeUpdate")

    def _node_deleted(self, node: dict) -> None:
        self.snapshot.remove_node(node["metadata"]["name"])

    # -- informer handlers: pods ------------------------------------------------------------------
    def _responsible(self, pod: dict) -> bool:
        return (pod.get("spec") or {}).get("schedulerName", SCHEDULER_NAME) == SCHEDULER_NAME

    def _pod_added(self, pod: dict) -> None:
        spec = pod.get("spec") or {}
        if spec.get("nodeName"):
            if (pod.get("status") or {}).get("phase") not in TERMINAL:
                self._cache_assigned(pod)
                self._moved("AssignedPodAdd")
        elif self._responsible(pod) and (pod.get("status") or {}).get("phase") not in TERMINAL:
            info = PodInfo(pod)
            self._track_nomination(info)
            self.queue.add(info)
            self._kick()

    def _pod_updated(self, old: dict, new: dict) -> None:
        key = _key(new)
        if (new.get("spec") or {}).get("nodeName"):
            self.queue.done(key)
            self._untrack_nomination(key)
            if (new.get("status") or {}).get("phase") in TERMINAL:
                if self.snapshot.remove_pod(key) is not None:
                    self._moved("AssignedPodDelete")
                return
            changed = self._cache_assigned(new)
            if changed:
                self._moved("AssignedPodUpdate" if (old.get("spec") or {}).get("nodeName")
                            else "AssignedPodAdd")
        elif (new.get("status") or {}).get("phase") in TERMINAL:
            self.queue.delete(key)  # finished before it was ever scheduled
            self._untrack_nomination(key)
        elif self._responsible(new):
            info = PodInfo(new)
            self._track_nomination(info)
            if key in self.queue and _pod_view(old) == _pod_view(new):
                self.queue.pods[key].info = info  # status-only change: no new attempt
            else:
                self.queue.update(info)
            self._kick()

    def _pod_deleted(self, pod: dict) -> None:
        key = _key(pod)
        self.volume_binder.waiting.discard(key)
        self.queue.delete(key)
        self._untrack_nomination(key)
        if self.snapshot.remove_pod(key) is not None:
            self._moved("AssignedPodDelete")

    def _cache_assigned(self, pod: dict) -> bool:
        """Add or refresh a bound pod in the cache; True if its scheduling view changed."""
        key = _key(pod)
        current = self.snapshot.pod(key)
        if current is not None and self.snapshot.pod_node.get(key) == pod["spec"]["nodeName"] \
                and _pod_view(current.pod) == _pod_view(pod):
            newly_bound = not (current.pod.get("spec") or {}).get("nodeName")
            current.observe_status(pod)  # same requests, labels and node: keep the parsed info
            current.node_name = pod["spec"]["nodeName"]
            return newly_bound  # an assumed pod confirmed by its binding is an "add"
        self.snapshot.add_pod(pod)
        return True

    def _moved(self, event: str) -> None:
        if self.queue.move_all(event):
            self._kick()

    # -- nominated pods (preemption) ----------------------------------------------------------------
    def _track_nomination(self, info: PodInfo) -> None:
        self._untrack_nomination(info.key)
        if info.nominated_node:
            self.snapshot.nominated.setdefault(info.nominated_node, {})[info.key] = info

    def _untrack_nomination(self, key: str) -> None:
        for node, pods in list(self.snapshot.nominated.items()):
            if pods.pop(key, None) is not None and not pods:
                del self.snapshot.nominated[node]

    # -- the loop -----------------------------------------------------------------------------------
    def _kick(self) -> None:
        """Make sure a scheduling step is queued on the event loop if a pod is ready."""
        if self._run_timer is None and self.queue.has_ready():
            self._run_timer = self.loop.call_soon(self._step)

    def _step(self) -> None:
        self._run_timer = None
        qp = self.queue.pop()
        if qp is not None:
            self.schedule_one(qp)
        self._kick()
        self._arm_timers()

    def _arm_timers(self) -> None:
        """A timer for the next error-backoff expiry, and the 30 s leftover flush while pods
        are parked (background: it never keeps ``settle()`` waiting)."""
        due = self.queue.next_backoff_expiry()
        if due is not None and (self._backoff_timer is None or self._backoff_timer.done
                                or self._backoff_timer.cancelled):
            self._backoff_timer = self.loop.call_at(due, self._backoff_tick)
        if self.queue.parked() and self._flush_timer is None:
            period = UNSCHEDULABLE_PODS_FLUSH_SECONDS
            ticks = int((self.loop.clock.now() - self._start) // period) + 1
            self._flush_timer = self.loop.call_at(self._start + ticks * period, self._flush_tick,
                                                  background=True)

    def _backoff_tick(self) -> None:
        self._backoff_timer = None
        self.queue.flush_backoff_completed()
        self._kick()
        self._arm_timers()

    def _flush_tick(self) -> None:
        self._flush_timer = None
        if self.queue.flush_unschedulable_leftover():
            self._kick()
        self._arm_timers()

    # -- one pod ------------------------------------------------------------------------------------
    def schedule_one(self, qp) -> None:
        info = qp.info
        pod = self.informers["pods"].get(info.key)
        if pod is None or (pod.get("spec") or {}).get("nodeName") or \
                info.key in self.volume_binder.waiting:
            self.queue.done(info.key)
            return
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            self._event(pod, None, "Warning", "FailedScheduling", "Scheduling",
                        f"skip schedule deleting pod: {info.namespace}/{info.name}")
            self.queue.done(info.key)
            return
        trace = self.explain_log is not None and self.snapshot.num_nodes <= self.explain_nodes
        result = self.framework.schedule(info, self.snapshot, trace=trace)
        self.stats["attempts"] += 1
        self._log(result, trace)
        if result.node is not None:
            self._assume_and_bind(qp, info, pod, result.node)
        else:
            self._fail(qp, info, pod, result)

    def _assume_and_bind(self, qp, info, pod, node: str) -> None:
        self.snapshot.add_pod(info, node)  # assume: counted before the binding is written
        self._untrack_nomination(info.key)
        if not self.volume_binder.pre_bind(qp, info, pod, node):
            self.bind_now(qp, info, pod, node)

    def bind_now(self, qp, info, pod, node: str) -> None:
        """DefaultBinder: POST the binding; on success record ``Scheduled``."""
        try:
            self.api.bind(info.name, info.namespace, node, user=self.user)
        except ApiError as e:
            self.snapshot.remove_pod(info.key)  # forget the assumed pod
            self.stats["errors"] += 1
            if e.code == 404:
                self.queue.done(info.key)
                return
            self._report(pod, "SchedulerError", str(e.status.get("message", e)), None)
            self.queue.add_unschedulable(qp, (), error=True)
            return
        self.stats["scheduled"] += 1
        self.queue.done(info.key)
        self._event(pod, None, "Normal", "Scheduled", "Binding",
                    f"Successfully assigned {info.namespace}/{info.name} to {node}")

    def prebind_failed(self, qp, info, pod, message: str) -> None:
        """A PreBind plugin failed: forget the assumed pod, report, retry after back-off."""
        self.snapshot.remove_pod(info.key)
        self.stats["errors"] += 1
        self._report(pod, "SchedulerError", f'running PreBind plugin "VolumeBinding": {message}', None)
        self.queue.add_unschedulable(qp, (), error=True)
        self._kick()
        self._arm_timers()

    def _fail(self, qp, info, pod, result) -> None:
        self.stats["unschedulable"] += 1
        if result.nominated:
            self._preempt(info, result.nominated, result.victims)
        self._report(pod, "Unschedulable", result.message, result.nominated)
        plugins = getattr(getattr(result.error, "diagnosis", None), "unschedulable_plugins", ())
        self.queue.add_unschedulable(qp, plugins)

    def _preempt(self, info, node: str, victims) -> None:
        """prepareCandidate: mark and delete the victims, clear lower-priority nominations."""
        self.stats["preemptions"] += 1
        now = self.loop.clock.timestamp()
        for v in victims:
            if v.terminating:
                continue
            current = self.informers["pods"].get(v.key) or v.pod  # (v.pod: no status if bound)
            status = {"conditions": [dict(c) for c in (current.get("status") or {}).get("conditions") or ()]}
            set_condition(status, "DisruptionTarget", "True", "PreemptionByScheduler",
                          f"{info.scheduler_name}: preempting to accommodate a higher priority pod", now)
            try:
                self.api.patch("pods", v.name, {"status": status}, "merge", v.namespace,
                               subresource="status", user=self.user)
                self.api.delete("pods", v.name, v.namespace, user=self.user)
            except ApiError:
                continue
            self._event(v.pod, info.pod, "Normal", "Preempted", "Preempting",
                        f"Preempted by pod {info.uid} on node {node}")
        for other in list(self.snapshot.nominated.get(node, {}).values()):
            if other.priority < info.priority:
                self._patch_status(other.pod, None, "")

    def _report(self, pod, reason: str, message: str, nominated) -> None:
        """FailedScheduling event and the PodScheduled=False condition (handleSchedulingFailure)."""
        self._event(pod, None, "Warning", "FailedScheduling", "Scheduling", truncate(message))
        self._patch_status(pod, (reason, message), nominated)

    def _patch_status(self, pod, condition, nominated) -> None:
        current = self.informers["pods"].get(_key(pod)) or pod
        status = {"conditions": [dict(c) for c in (current.get("status") or {}).get("conditions") or ()]}
        changed = False
        if condition is not None:
            changed = set_condition(status, "PodScheduled", "False", condition[0], condition[1],
                                    self.loop.clock.timestamp(), probe_time=True)
        patch = {"status": status} if changed else {"status": {}}
        if nominated is not None and nominated != ((current.get("status") or {}).get("nominatedNodeName") or ""):
            patch["status"]["nominatedNodeName"] = nominated or None
            changed = True
        if not changed:
            return
        meta = current["metadata"]
        try:
            self.api.patch("pods", meta["name"], patch, "merge", meta.get("namespace"),
                           subresource="status", user=self.user)
        except ApiError:
            pass

    def _event(self, obj, related, etype: str, reason: str, action: str, note: str) -> None:
        """``fwk.EventRecorder().Eventf(...)``: kube-scheduler records with the events.k8s.io
        recorder (cmd/kube-scheduler/app/server.go NewEventBroadcasterAdapter)."""
        self.recorder.eventf(obj, related, etype, reason, action, note, COMPONENT, INSTANCE)

    def _log(self, result, traced: bool) -> None:
        if self.explain_log is None:
            return
        if traced:
            record = result.explain()
        else:
            record = {"pod": result.pod.key, "node": result.node, "message": result.message,
                      "evaluatedNodes": result.evaluated, "feasibleNodes": result.feasible}
        record["time"] = self.loop.clock.timestamp()
        self.explain_log.add("scheduler", record)

    # -- public helpers -----------------------------------------------------------------------------
    def explain(self, pod, namespace: str | None = None) -> dict:
        """Dry-run a cycle for ``pod`` (a dict, or a pod name) against the scheduler's cache
        right now: which node it would pick and why. Changes nothing."""
        if isinstance(pod, str):
            pod = self.api.get("pods", pod, namespace or "default")
        info = PodInfo(pod)
        bound_node = self.snapshot.pod_node.get(info.key)
        if bound_node is not None:  # explain an already placed pod as if it were pending
            self.snapshot.remove_pod(info.key)
        saved = (self.framework.next_start_node_index, self.rng.getstate())
        try:
            return self.framework.schedule(info, self.snapshot, trace=True).explain()
        finally:
            self.framework.next_start_node_index = saved[0]
            self.rng.setstate(saved[1])
            if bound_node is not None:
                self.snapshot.add_pod(pod, bound_node)

    def pending(self) -> dict:
        """Where pending pods wait: {"activeQ": n, "backoffQ": n, "unschedulablePods": n, ...}."""
        return self.queue.summary()


def _key(pod: dict) -> str:
    meta = pod.get("metadata") or {}
    return f"{meta.get('namespace') or 'default'}/{meta.get('name')}"


def _scheduling_view(node: dict) -> tuple:
    """What the scheduler reads from a Node (nodeSchedulingPropertiesChange)."""
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    return (meta.get("labels"), spec.get("taints"), spec.get("unschedulable"),
            status.get("allocatable"), status.get("images"))


def _pod_view(pod: dict) -> tuple:
    """What the scheduler reads from a Pod: labels, deletion, and the spec minus the node it
    was bound to (a binding changes nothing it parsed)."""
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    if "nodeName" in spec:
        spec = {k: v for k, v in spec.items() if k != "nodeName"}
    return (meta.get("labels"), meta.get("deletionTimestamp"), spec)
