"""A small control plane for workload-controller tests: API server + controller manager, with a
fake scheduler and fake kubelets (the real ones live in labkit/minicluster/scheduler and
kubelet). The fakes are deliberately simple:

* scheduler: binds each pending pod to the feasible node with the fewest pods (nodeSelector,
  DaemonSet-style ``matchFields metadata.name``, unschedulable, NoSchedule/NoExecute taints);
* kubelet: ``start_delay`` seconds after binding a pod is Running and Ready. Annotations on the
  pod template steer it: ``harness/run-seconds`` (then the container exits),
  ``harness/exit-code`` (default 0), ``harness/ready: "false"`` (never ready),
  ``harness/ready-delay`` (seconds between Running and Ready). A pod being deleted goes away
  ``delete_delay`` seconds later (its finalizers permitting).
"""
from __future__ import annotations

import random

from labkit.minicluster.apiserver import APIServer
from labkit.minicluster.clock import Clock, EventLoop
from labkit.minicluster.cluster import Context
from labkit.minicluster.controllers.manager import ControllerManager
from labkit.minicluster.errors import ApiError
from labkit.minicluster.events import EventRecorder
from labkit.minicluster.explain import ExplainLog
from labkit.minicluster.informer import InformerFactory
from labkit.minicluster.objects import clone
from labkit.minicluster.selectors import selector_from_map
from labkit.minicluster.store import Store


#: the workload controllers (the others - GC, endpoints... - are not needed here)
MINE = ("deployment", "replicaset", "replicationcontroller", "statefulset", "daemonset", "job",
        "cronjob", "ttlafterfinished")


class Harness:
    def __init__(self, nodes=3, seed=0, controllers=MINE, start_delay=1.0, delete_delay=1.0,
                 node_labels=None):
        self.rng = random.Random(seed)
        self.loop = EventLoop(Clock())
        self.clock = self.loop.clock
        self.api = APIServer(Store(), self.clock, random.Random(self.rng.getrandbits(64)))
        self.informers = InformerFactory(self.api)
        self.recorder = EventRecorder(self.api, self.loop)
        self.explain = ExplainLog()
        self.ctx = Context(self.api, self.loop, self.informers, self.recorder,
                           random.Random(self.rng.getrandbits(64)), self.explain, None)
        for ns in ("default", "kube-system"):
            self.api.create("namespaces", {"metadata": {"name": ns}})
        self.start_delay, self.delete_delay = start_delay, delete_delay
        self.manager = ControllerManager(self.ctx, enabled=controllers)
        for i in range(1, nodes + 1):
            self.add_node(f"node-{i}", labels=node_labels)
        self.pods = self.informers["pods"]
        self.pods.add_handler(self._on_pod, lambda old, new: self._on_pod(new), None)
        self._started: set = set()
        self.loop.run_pending()

    # -- cluster setup ----------------------------------------------------------------------
    def add_node(self, name, labels=None, taints=None, unschedulable=False):
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                      "kubernetes.io/os": "linux",
                                                      **(labels or {})}},
                "spec": {"taints": taints} if taints else {},
                "status": {"conditions": [{"type": "Ready", "status": "True"}],
                           "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}
        if unschedulable:
            node["spec"]["unschedulable"] = True
        return self.api.create("nodes", node)

    def create(self, obj, namespace="default"):
        res = self.api.resource(obj["kind"]) if obj["kind"] != "Event" else "events"
        out = self.api.create(res, obj, namespace if self.api.resource(res).namespaced else None)
        self.loop.run_pending()
        return out

    def get(self, kind, name, namespace="default"):
        return self.api.get(kind, name, namespace)

    def list(self, kind, namespace="default", selector=None):
        return self.api.list(kind, namespace, label_selector=selector)["items"]

    def patch(self, kind, name, patch, namespace="default", patch_type="merge"):
        out = self.api.patch(kind, name, patch, patch_type, namespace)
        self.loop.run_pending()
        return out

    def run(self, seconds):
        self.loop.run(seconds)

    def kubectl(self, args: str):
        """labkit's kubectl against this harness (see labkit.kubectl.backend.KubectlBackend)."""
        from labkit.kubectl import commands
        return commands.run(_KubectlBackend(self), args)

    def settle(self, max_seconds=600):
        return self.loop.settle(max_seconds)

    def events(self, reason=None, kind=None, name=None):
        evs = sorted(self.api.list("events")["items"],
                     key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [e for e in evs if (reason is None or e["reason"] == reason) and
                (kind is None or e["involvedObject"]["kind"] == kind) and
                (name is None or e["involvedObject"]["name"] == name)]

    def active_pods(self, selector=None, namespace="default"):
        return [p for p in self.list("pods", namespace, selector)
                if not p["metadata"].get("deletionTimestamp") and
                p["status"].get("phase") not in ("Succeeded", "Failed")]

    # -- fake scheduler + kubelet -----------------------------------------------------------
    def _on_pod(self, pod):
        m = pod["metadata"]
        key = f"{m['namespace']}/{m['name']}"
        if m.get("deletionTimestamp"):
            if ("del", m["uid"]) not in self._started:
                self._started.add(("del", m["uid"]))
                self.loop.call_later(self.delete_delay, self._finish_delete, m["namespace"],
                                     m["name"], m["uid"])
            return
        if not pod["spec"].get("nodeName"):
            if ("bind", m["uid"]) not in self._started:
                self._started.add(("bind", m["uid"]))
                self.loop.call_soon(self._bind, m["namespace"], m["name"])
            return
        if ("run", m["uid"]) not in self._started:
            self._started.add(("run", m["uid"]))
            self.loop.call_later(self.start_delay, self._start, key, m["uid"], 0)

    def _feasible(self, pod, node):
        spec = pod["spec"]
        if not selector_from_map(spec.get("nodeSelector")).matches(node["metadata"].get("labels")):
            return False
        terms = ((((spec.get("affinity") or {}).get("nodeAffinity") or {})
                  .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
                 .get("nodeSelectorTerms") or [])
        for t in terms:
            for f in t.get("matchFields") or ():
                if f["key"] == "metadata.name" and node["metadata"]["name"] not in f["values"]:
                    return False
        tol = spec.get("tolerations") or []
        taints = list(node["spec"].get("taints") or [])
        if node["spec"].get("unschedulable"):
            taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
        for taint in taints:
            if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            if not any((t.get("operator") == "Exists" and (not t.get("key") or
                                                           t["key"] == taint["key"])) or
                       (t.get("key") == taint["key"] and t.get("value") == taint.get("value"))
                       for t in tol if not t.get("effect") or t.get("effect") == taint["effect"]):
                return False
        return True

    def _bind(self, ns, name):
        try:
            pod = self.api.get("pods", name, ns)
        except ApiError:
            return
        if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return
        nodes = [n for n in self.api.list("nodes")["items"] if self._feasible(pod, n)]
        if not nodes:
            return
        count = {n["metadata"]["name"]: len(self.pods._by_node.get(n["metadata"]["name"], ()))
                 for n in nodes}
        target = min(sorted(count), key=lambda n: count[n])
        self.api.bind(name, ns, target)

    def _status(self, key, uid):
        ns, name = key.split("/", 1)
        try:
            pod = self.api.get("pods", name, ns)
        except ApiError:
            return None
        if pod["metadata"]["uid"] != uid or pod["metadata"].get("deletionTimestamp"):
            return None
        return pod

    def _write(self, pod):
        try:
            self.api.update("pods", pod, pod["metadata"]["namespace"], subresource="status")
        except ApiError:
            pass

    def _start(self, key, uid, restarts):
        pod = self._status(key, uid)
        if pod is None:
            return
        now = self.clock.timestamp()
        ann = pod["metadata"].get("annotations") or {}
        ready = ann.get("harness/ready", "true") != "false" and "harness/ready-delay" not in ann
        st = pod["status"]
        st.update({"phase": "Running", "hostIP": "10.0.0.1", "podIP": f"10.244.0.{len(key) % 250}",
                   "startTime": st.get("startTime", now)})
        st["conditions"] = [{"type": "Initialized", "status": "True", "lastTransitionTime": now},
                            {"type": "Ready", "status": "True" if ready else "False",
                             "lastTransitionTime": now},
                            {"type": "PodScheduled", "status": "True", "lastTransitionTime": now}]
        st["containerStatuses"] = [{"name": c["name"], "ready": ready, "restartCount": restarts,
                                    "started": True, "image": c.get("image", ""),
                                    "state": {"running": {"startedAt": now}}}
                                   for c in pod["spec"].get("containers") or []]
        self._write(pod)
        if "harness/ready-delay" in ann:
            self.loop.call_later(float(ann["harness/ready-delay"]), self._make_ready, key, uid)
        if "harness/run-seconds" in ann:
            self.loop.call_later(float(ann["harness/run-seconds"]), self._exit, key, uid, restarts)

    def _make_ready(self, key, uid):
        pod = self._status(key, uid)
        if pod is None:
            return
        now = self.clock.timestamp()
        for c in pod["status"]["conditions"]:
            if c["type"] == "Ready":
                c.update(status="True", lastTransitionTime=now)
        for c in pod["status"]["containerStatuses"]:
            c["ready"] = True
        self._write(pod)

    def _exit(self, key, uid, restarts):
        pod = self._status(key, uid)
        if pod is None:
            return
        code = int((pod["metadata"].get("annotations") or {}).get("harness/exit-code", "0"))
        policy = pod["spec"].get("restartPolicy", "Always")
        now = self.clock.timestamp()
        terminated = {"exitCode": code, "reason": "Completed" if code == 0 else "Error",
                      "startedAt": now, "finishedAt": now}
        restart = policy == "Always" or (policy == "OnFailure" and code != 0)
        for c in pod["status"]["containerStatuses"]:
            c.update(ready=False, state={"terminated": terminated}, started=False)
        for c in pod["status"]["conditions"]:
            if c["type"] == "Ready":
                c.update(status="False", lastTransitionTime=now)
        if not restart:
            pod["status"]["phase"] = "Succeeded" if code == 0 else "Failed"
        self._write(pod)
        if restart:
            self.loop.call_later(10, self._start, key, uid, restarts + 1)

    def _finish_delete(self, ns, name, uid):
        try:
            pod = self.api.get("pods", name, ns)
            if pod["metadata"]["uid"] == uid:
                self.api.delete("pods", name, ns, grace_period_seconds=0)
        except ApiError:
            pass


def deployment(name="web", replicas=3, image="nginx:1.14", **spec):
    d = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
         "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"containers": [{"name": "web", "image": image}]}}}}
    d["spec"].update(spec)
    return d


def copy(obj):
    return clone(obj)


class _KubectlBackend:
    """The harness seen by labkit's kubectl: its API server and virtual clock."""

    default_namespace = "default"

    def __init__(self, harness):
        self.h, self.api = harness, harness.api

    def now(self) -> float:
        return self.h.clock.now()

    def logs(self, pod, container=None, namespace=None, previous=False, tail=None,
             timestamps=False) -> str:
        return ""

    def wait_for(self, predicate, timeout: float = 300, step: float = 1.0):
        deadline = self.h.clock.now() + timeout
        self.h.loop.run_pending()
        while not (value := predicate(self)):
            if self.h.clock.now() >= deadline:
                raise TimeoutError("timed out waiting for the condition")
            self.h.loop.run(step)
        return value
