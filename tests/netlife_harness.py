"""A small cluster for the lifecycle-controller and network tests: the real API server, network,
scheduler and controllers, with *fake kubelets* (the real ones live in
labkit/minicluster/kubelet). A fake kubelet:

* registers its Node (Ready, InternalIP from the network) and a Lease in ``kube-node-lease``,
  renews the Lease every 10 s and re-posts the node status every 5 minutes, as a kubelet does;
* runs pods bound to it: ``start_delay`` seconds later the pod gets an IP from the network's
  IPAM and is Running and Ready (annotation ``harness/ready: "false"`` keeps it unready);
* serves HTTP for the network tests: every container listens on its declared container ports
  and answers ``200`` with ``"<pod name>"`` (``processes(namespace, name)``);
* finishes deleting a pod ``delete_delay`` seconds after its deletionTimestamp appears;
* ``stop()`` makes it silent (no Lease, no status, no pod work) until ``resume()``.
"""
from __future__ import annotations

import random

from labkit.minicluster.apiserver import APIServer, UserInfo
from labkit.minicluster.clock import Clock, EventLoop
from labkit.minicluster.cluster import Context
from labkit.minicluster.controllers.manager import ControllerManager
from labkit.minicluster.errors import ApiError
from labkit.minicluster.events import EventRecorder
from labkit.minicluster.explain import ExplainLog
from labkit.minicluster.informer import InformerFactory
from labkit.minicluster.network import Network
from labkit.minicluster.objects import clone
from labkit.minicluster.store import Store

LEASE_SECONDS = 10
STATUS_REPORT_SECONDS = 300
TOLERATE_300 = [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300}]


def namespace(name, labels=None):
    """A Namespace as the API server stores it (spec.finalizers ["kubernetes"], the
    kubernetes.io/metadata.name label: pkg/registry/core/namespace/strategy.go PrepareForCreate)."""
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}},
            "spec": {"finalizers": ["kubernetes"]}}


class FakeProcess:
    def __init__(self, pod_name, ports):
        self.pod_name, self.ports = pod_name, set(ports)

    def tcp_open(self, port, now):
        return int(port) in self.ports

    def http_get(self, port, path, now, headers=None, client_ip=""):
        return 200, f"{self.pod_name}"


class FakeKubelet:
    def __init__(self, h, name, labels=None, taints=None):
        self.h, self.name, self.stopped = h, name, False
        self.user = UserInfo(f"system:node:{name}", ("system:nodes", "system:authenticated"))
        self.running: dict[str, list] = {}
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                      "kubernetes.io/os": "linux",
                                                      "kubernetes.io/arch": "amd64", **(labels or {})}},
                "spec": {"taints": taints} if taints else {},
                "status": {"conditions": self._conditions("True"),
                           "addresses": [{"type": "InternalIP", "address": h.network.node_ip(name)},
                                         {"type": "Hostname", "address": name}],
                           "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                           "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}}
        h.api.create("nodes", node, user=self.user)
        h.api.create("leases", {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                                "metadata": {"name": name, "namespace": "kube-node-lease"},
                                "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                                         "renewTime": self._micro()}}, "kube-node-lease", user=self.user)
        self._lease_timer = h.loop.call_later(LEASE_SECONDS, self._renew, background=True)
        self._status_timer = h.loop.call_later(STATUS_REPORT_SECONDS, self._report, background=True)

    def _micro(self):
        return self.h.clock.timestamp()[:-1] + ".000000Z"

    def _conditions(self, ready):
        now = self.h.clock.timestamp()
        conds = [{"type": t, "status": "False", "lastHeartbeatTime": now, "lastTransitionTime": now,
                  "reason": f"KubeletHasSufficient{t.replace('Pressure', '')}" if t != "PIDPressure"
                  else "KubeletHasSufficientPID", "message": "ok"}
                 for t in ("MemoryPressure", "DiskPressure", "PIDPressure")]
        conds.append({"type": "Ready", "status": ready, "lastHeartbeatTime": now, "lastTransitionTime": now,
                      "reason": "KubeletReady", "message": "kubelet is posting ready status"})
        return conds

    # -- heartbeats -----------------------------------------------------------------------
    def _renew(self):
        if not self.stopped:
            lease = clone(self.h.api.get("leases", self.name, "kube-node-lease"))
            lease["spec"]["renewTime"] = self._micro()
            self.h.api.update("leases", lease, "kube-node-lease", user=self.user)
        self._lease_timer = self.h.loop.call_later(LEASE_SECONDS, self._renew, background=True)

    def _report(self, force=False):
        if not self.stopped:
            node = clone(self.h.api.get("nodes", self.name))
            now = self.h.clock.timestamp()
            for c in node["status"]["conditions"]:
                c["lastHeartbeatTime"] = now
                if c["type"] == "Ready" and c["status"] != "True":
                    c.update(status="True", reason="KubeletReady", message="kubelet is posting ready status",
                             lastTransitionTime=now)
                elif c["type"] != "Ready" and c["status"] != "False":
                    c.update(status="False", lastTransitionTime=now)
            self.h.api.update("nodes", node, subresource="status", user=self.user)
        if not force:
            self._status_timer = self.h.loop.call_later(STATUS_REPORT_SECONDS, self._report, background=True)

    def stop(self):
        self.stopped = True

    def resume(self):
        self.stopped = False
        self._renew_now()
        self._report(force=True)
        for pod in self.h.pods.on_node(self.name):
            self.h.on_pod(pod)

    def _renew_now(self):
        lease = clone(self.h.api.get("leases", self.name, "kube-node-lease"))
        lease["spec"]["renewTime"] = self._micro()
        self.h.api.update("leases", lease, "kube-node-lease", user=self.user)

    # -- pods -------------------------------------------------------------------------------
    def processes(self, namespace, name):
        if self.stopped:
            return None
        return self.running.get(f"{namespace}/{name}")

    def start(self, ns, name, uid):
        if self.stopped:
            return
        pod = self.h.live_pod(ns, name, uid)
        if pod is None or pod["metadata"].get("deletionTimestamp"):
            return
        now = self.h.clock.timestamp()
        ready = (pod["metadata"].get("annotations") or {}).get("harness/ready", "true") != "false"
        ip = pod["status"].get("podIP") or self.h.network.allocate_pod_ip(self.name)
        st = pod["status"]
        st.update(phase="Running", hostIP=self.h.network.node_ip(self.name), podIP=ip,
                  podIPs=[{"ip": ip}], startTime=st.get("startTime", now))
        st["conditions"] = [{"type": "Initialized", "status": "True", "lastProbeTime": None, "lastTransitionTime": now},
                            {"type": "Ready", "status": "True" if ready else "False", "lastProbeTime": None,
                             "lastTransitionTime": now},
                            {"type": "ContainersReady", "status": "True" if ready else "False",
                             "lastProbeTime": None, "lastTransitionTime": now},
                            {"type": "PodScheduled", "status": "True", "lastProbeTime": None, "lastTransitionTime": now}]
        st["containerStatuses"] = [{"name": c["name"], "ready": ready, "restartCount": 0, "started": True,
                                    "image": c.get("image", ""), "state": {"running": {"startedAt": now}}}
                                   for c in pod["spec"]["containers"]]
        ports = [p["containerPort"] for c in pod["spec"]["containers"] for p in c.get("ports") or ()]
        self.running[f"{ns}/{name}"] = [FakeProcess(name, ports)]
        self.h.api.update("pods", pod, ns, subresource="status", user=self.user)

    def finish_delete(self, ns, name, uid):
        if self.stopped:
            return
        pod = self.h.live_pod(ns, name, uid)
        if pod is None:
            return
        self.running.pop(f"{ns}/{name}", None)
        if pod["status"].get("podIP"):
            self.h.network.release_pod_ip(pod["status"]["podIP"])
        try:
            self.h.api.delete("pods", name, ns, grace_period_seconds=0, user=self.user)
        except ApiError:
            pass


class Harness:
    def __init__(self, nodes=3, seed=0, controllers=None, start_delay=1.0, delete_delay=1.0,
                 scheduler=True, zones=None):
        self.rng = random.Random(seed)
        self.seed = seed
        self.loop = EventLoop(Clock())
        self.clock = self.loop.clock
        self.api = APIServer(Store(), self.clock, random.Random(self.rng.getrandbits(64)))
        self.informers = InformerFactory(self.api)
        self.recorder = EventRecorder(self.api, self.loop)
        self.ctx = Context(self.api, self.loop, self.informers, self.recorder,
                           random.Random(self.rng.getrandbits(64)), ExplainLog(), self)
        self.network = self.ctx.network = Network(self.ctx)
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.api.create("namespaces", namespace(ns))
        from labkit.minicluster import rbac  # every component writes with its real identity
        rbac.bootstrap_policy(self.api)
        self.api.authorizer = rbac.Authorizer(self.api)
        self.start_delay, self.delete_delay = start_delay, delete_delay
        self.manager = ControllerManager(self.ctx, enabled=controllers)
        if scheduler:
            from labkit.minicluster.scheduler import Scheduler
            self.scheduler = Scheduler(self.ctx)
        self.kubelets: dict[str, FakeKubelet] = {}
        for i in range(1, nodes + 1):
            labels = {"topology.kubernetes.io/zone": zones[(i - 1) % len(zones)]} if zones else None
            self.add_node(f"node-{i}", labels=labels)
        self.pods = self.informers["pods"]
        self.pods.add_handler(self.on_pod, lambda old, new: self.on_pod(new), None)
        self._seen: set = set()
        self.loop.run_pending()

    def add_node(self, name, labels=None, taints=None):
        self.kubelets[name] = FakeKubelet(self, name, labels, taints)
        self.loop.run_pending()
        return self.kubelets[name]

    def on_pod(self, pod):
        node = pod["spec"].get("nodeName")
        kubelet = self.kubelets.get(node)
        if kubelet is None or kubelet.stopped:
            return
        m = pod["metadata"]
        if m.get("deletionTimestamp"):
            if ("del", m["uid"]) not in self._seen:
                self._seen.add(("del", m["uid"]))
                self.loop.call_later(self.delete_delay, kubelet.finish_delete, m["namespace"], m["name"], m["uid"])
        elif ("run", m["uid"]) not in self._seen:
            self._seen.add(("run", m["uid"]))
            self.loop.call_later(self.start_delay, kubelet.start, m["namespace"], m["name"], m["uid"])

    def live_pod(self, ns, name, uid):
        try:
            pod = self.api.get("pods", name, ns)
        except ApiError:
            return None
        return pod if pod["metadata"]["uid"] == uid else None

    # -- conveniences -------------------------------------------------------------------------
    def set_ready(self, name, ready: bool, namespace="default"):
        """Flip a pod's Ready condition, as a failing or recovering readiness probe would."""
        p = clone(self.api.get("pods", name, namespace))
        for c in p["status"]["conditions"]:
            if c["type"] in ("Ready", "ContainersReady"):
                c["status"] = "True" if ready else "False"
        self.api.update("pods", p, namespace, subresource="status")
        self.loop.run_pending()

    def create(self, obj, namespace="default"):
        rt = self.api.registry.for_kind(obj.get("apiVersion", "v1"), obj["kind"])
        out = self.api.create(rt, obj, namespace if rt.namespaced else None)
        self.loop.run_pending()
        return out

    def get(self, kind, name, namespace="default"):
        return self.api.get(kind, name, namespace)

    def exists(self, kind, name, namespace="default"):
        try:
            self.api.get(kind, name, namespace)
            return True
        except ApiError as e:
            assert e.code == 404
            return False

    def list(self, kind, namespace="default", selector=None):
        return self.api.list(kind, namespace, label_selector=selector)["items"]

    def delete(self, kind, name, namespace="default", **kw):
        out = self.api.delete(kind, name, namespace, **kw)
        self.loop.run_pending()
        return out

    def run(self, seconds):
        self.loop.run(seconds)

    def settle(self, max_seconds=600):
        return self.loop.settle(max_seconds)

    def events(self, reason=None, name=None, namespace=None):
        evs = sorted(self.api.list("events", namespace)["items"],
                     key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [e for e in evs if (reason is None or e["reason"] == reason) and
                (name is None or e["involvedObject"]["name"] == name)]


def deployment(name="web", replicas=3, image="nginx:1.27", port=80, tolerations=None, labels=None):
    labels = labels or {"app": name}
    spec = {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": port, "name": "http"}]}]}
    if tolerations:
        spec["tolerations"] = tolerations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": spec}}}


def service(name="web", selector=None, port=80, target_port=None, **spec):
    s = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
         "spec": {"ports": [{"port": port, "protocol": "TCP",
                             "targetPort": target_port if target_port is not None else port}], **spec}}
    if selector is not None:
        s["spec"]["selector"] = selector
    return s


def pod(name, labels=None, node=None, port=80, **spec):
    p = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels or {}},
         "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                                  "ports": [{"containerPort": port, "name": "http"}]}], **spec}}
    if node:
        p["spec"]["nodeName"] = node
    return p
