"""A minimal kubelet (fallback): registers its Node, heartbeats, and runs bound pods.

Simplified compared with the full kubelet package: containers become Running after the image
pull and stay Running (no probes, no restarts, no logs beyond a start line); an unknown image
gives ErrImagePull. Deleting a pod stops it and removes it after the grace period.
"""
from __future__ import annotations

from . import errors
from .apiserver import UserInfo
from .objects import clone, set_condition
from .upstream import KUBERNETES_VERSION

HEARTBEAT_SECONDS = 10


class Kubelet:
    def __init__(self, ctx, name, cpu="4", memory="8Gi", max_pods="110", labels=None, taints=None):
        self.ctx, self.name, self.api, self.loop = ctx, name, ctx.api, ctx.loop
        self.user = UserInfo(f"system:node:{name}", ("system:nodes", "system:authenticated"))
        self.running = True
        self._pods: dict = {}
        self._logs: dict = {}
        index = len(ctx.cluster.kubelets) + 1 if ctx.cluster is not None else 1
        self.ip = f"172.18.0.{index + 1}"
        self._pod_ips = 0
        self._register(cpu, memory, max_pods, labels, taints)
        ctx.informers["pods"].add_handler(self._on_pod, lambda old, new: self._on_pod(new), None)
        self.loop.call_later(HEARTBEAT_SECONDS, self._heartbeat, background=True)

    def _register(self, cpu, memory, max_pods, labels, taints):
        now = self.loop.clock.timestamp()
        cap = {"cpu": str(cpu), "memory": str(memory), "pods": str(max_pods), "ephemeral-storage": "100Gi"}
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.name, "labels": {
                    "kubernetes.io/hostname": self.name, "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                    "beta.kubernetes.io/arch": "amd64", **(labels or {})}},
                "spec": {"taints": list(taints)} if taints else {},
                "status": {"capacity": cap, "allocatable": dict(cap),
                           "addresses": [{"type": "InternalIP", "address": self.ip},
                                         {"type": "Hostname", "address": self.name}],
                           "nodeInfo": {"kubeletVersion": KUBERNETES_VERSION, "kubeProxyVersion": "",
                                        "containerRuntimeVersion": "containerd://2.0.0",
                                        "osImage": "Debian GNU/Linux 12 (bookworm)",
                                        "kernelVersion": "6.1.0", "operatingSystem": "linux",
                                        "architecture": "amd64"},
                           "conditions": []}}
        for ctype, status, reason, msg in (
                ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                ("Ready", "True", "KubeletReady", "kubelet is posting ready status")):
            node["status"]["conditions"].append({"type": ctype, "status": status, "lastHeartbeatTime": now,
                                                 "lastTransitionTime": now, "reason": reason, "message": msg})
        self.api.create("nodes", node, user=self.user)

    def _heartbeat(self):
        if self.running:
            try:
                node = self.api.get("nodes", self.name)
                for c in node["status"]["conditions"]:
                    c["lastHeartbeatTime"] = self.loop.clock.timestamp()
                    if c["type"] == "Ready" and c["status"] != "True":
                        c.update(status="True", reason="KubeletReady", message="kubelet is posting ready status",
                                 lastTransitionTime=self.loop.clock.timestamp())
                self.api.update("nodes", node, subresource="status", user=self.user)
            except errors.ApiError:
                pass
        self.loop.call_later(HEARTBEAT_SECONDS, self._heartbeat, background=True)

    def stop(self):
        self.running = False

    def resume(self):
        self.running = True
        self._heartbeat_now()

    def _heartbeat_now(self):
        self.loop.call_soon(lambda: None)

    # -- pods -------------------------------------------------------------------------------
    def _on_pod(self, pod):
        if pod["spec"].get("nodeName") != self.name or not self.running:
            return
        key = f'{pod["metadata"]["namespace"]}/{pod["metadata"]["name"]}'
        if pod["metadata"].get("deletionTimestamp"):
            if self._pods.get(key) != "terminating":
                self._pods[key] = "terminating"
                grace = pod["metadata"].get("deletionGracePeriodSeconds") or 0
                self.loop.call_later(min(grace, 1), self._finish_delete, key)
            return
        if key not in self._pods:
            self._pods[key] = "starting"
            self.loop.call_later(1.0, self._start, key)

    def _start(self, key):
        ns, name = key.split("/", 1)
        try:
            pod = clone(self.api.get("pods", name, ns))
        except errors.ApiError:
            return
        now = self.loop.clock.timestamp()
        status = pod["status"]
        self._pod_ips += 1
        status.update(hostIP=self.ip, podIP=f"10.244.{list(self.ctx.cluster.kubelets).index(self.name) if self.ctx.cluster else 0}.{self._pod_ips + 1}",
                      startTime=now)
        status["hostIPs"] = [{"ip": self.ip}]
        status["podIPs"] = [{"ip": status["podIP"]}]
        bad = None
        try:
            from .images import resolve
            for c in pod["spec"]["containers"]:
                resolve(c["image"])
        except ImportError:
            pass
        except Exception as e:  # noqa: BLE001 - PullError from the image registry
            bad = str(getattr(e, "message", e))
        statuses = []
        for c in pod["spec"]["containers"]:
            st = {"name": c["name"], "image": c["image"], "imageID": "", "restartCount": 0,
                  "started": bad is None, "ready": bad is None}
            st["state"] = {"waiting": {"reason": "ErrImagePull", "message": bad}} if bad else \
                {"running": {"startedAt": now}}
            statuses.append(st)
            self._logs[(key, c["name"])] = ""
        status["containerStatuses"] = statuses
        status["phase"] = "Pending" if bad else "Running"
        for ctype in ("PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"):
            ok = "True" if (bad is None or ctype in ("PodReadyToStartContainers", "Initialized")) else "False"
            set_condition(status, ctype, ok, "" if ok == "True" else "ContainersNotReady",
                          "" if ok == "True" else f"containers with unready status: [{pod['spec']['containers'][0]['name']}]",
                          now, probe_time=True)
        try:
            self.api.update("pods", pod, ns, subresource="status", user=self.user)
            self._pods[key] = "running"
        except errors.ApiError:
            self._pods.pop(key, None)

    def _finish_delete(self, key):
        ns, name = key.split("/", 1)
        self._pods.pop(key, None)
        try:
            self.api.delete("pods", name, ns, grace_period_seconds=0, user=self.user)
        except errors.ApiError:
            pass

    def logs(self, namespace, pod, container=None, previous=False, tail=None, timestamps=False):
        return ""
