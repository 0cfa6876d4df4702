"""The kubelet: the node agent that turns pods bound to its node into running containers.

One :class:`Kubelet` per node. It authenticates as ``system:node:<name>`` and:

- registers its **Node** (capacity, allocatable, addresses, node info, conditions) and renews a
  **Lease** in ``kube-node-lease`` every 10 s: that heartbeat is how the node controller knows
  the node is alive (stop the kubelet and, after 40 s, the node becomes ``NotReady``);
- watches the pods bound to its node and runs each through a :class:`~.podworker.PodWorker`
  (pull images, start containers, probe them, restart them, report their status);
- serves what ``kubectl logs`` and ``kubectl exec`` ask for, and the resource usage that
  metrics-server collects (:mod:`.stats`).

``stop()``/``resume()`` are fault injection: a stopped kubelet neither heartbeats nor reports,
while its containers keep running (as when the kubelet process dies on a real node).
"""
from __future__ import annotations

from .. import errors
from ..apiserver import UserInfo
from ..images import ExecError
from ..objects import key_of
from ..upstream import (CONTAINER_BACKOFF_SECONDS, CONTAINER_MAX_BACKOFF_SECONDS,
                        NODE_LEASE_NAMESPACE, NODE_LEASE_RENEW_SECONDS,
                        NODE_STATUS_REPORT_FREQUENCY_SECONDS, NODE_STATUS_UPDATE_FREQUENCY_SECONDS)
from . import node as nodeinfo
from . import volumes
from .backoff import Backoff
from .containers import ImageManager
from .rng import LazyRandom
from .logs import container_logs
from .podnet import IPAllocator, node_index
from .podworker import PodWorker
from .stats import container_samples, node_sample

#: KubeletConfiguration syncFrequency (1m): periodic pod sync, when mounted ConfigMaps update
POD_SYNC_SECONDS = 60


class Kubelet:
    def __init__(self, ctx, name: str, cpu="4", memory="8Gi", max_pods=110, labels=None,
                 taints=None, storage=nodeinfo.DEFAULT_EPHEMERAL_STORAGE):
        self.ctx, self.name = ctx, name
        self.api, self.loop, self.recorder = ctx.api, ctx.loop, ctx.recorder
        self.user = UserInfo(f"system:node:{name}", ("system:nodes", "system:authenticated"))
        self.labels, self.taints = dict(labels or {}), list(taints or [])
        self.capacity, self.allocatable = nodeinfo.resources(cpu, memory, max_pods, storage)
        self.index = node_index(ctx)
        net = ctx.network
        self.internal_ip = (net.node_ip(name) if net is not None and hasattr(net, "node_ip")
                            else f"172.18.0.{self.index + 1}")
        self.ipam = IPAllocator(f"10.244.{self.index}")
        # with a cluster network, the node IPAM controller assigns spec.podCIDR
        self.pod_cidr = None if net is not None and hasattr(net, "allocate_pod_ip") else self.ipam.cidr
        self.dns_ip = getattr(net, "dns_ip", None) or volumes.CLUSTER_DNS
        self.seed = ctx.rng.getrandbits(32)
        # ctx.child_rng(), built on first use: most nodes never pull a flaky image (2.5 KB each)
        self.images = ImageManager(LazyRandom(ctx.rng.getrandbits(64), None))
        self.backoff = Backoff(CONTAINER_BACKOFF_SECONDS, CONTAINER_MAX_BACKOFF_SECONDS)
        self.host_paths: dict = {}
        self.workers: dict[str, PodWorker] = {}
        self.admitted: dict = {}  # pod uid -> requests, for admission
        self.used: dict = {}
        self.stopped = False
        self.frozen: set = set()
        self.status_writes = 0
        self._last_report = None
        self._node_uid = None
        self.pods = ctx.informers["pods"]
        self._register()
        _dispatcher(ctx).add(self)
        self.loop.call_later(NODE_LEASE_RENEW_SECONDS, self._renew_lease, background=True)
        self.loop.call_later(NODE_STATUS_UPDATE_FREQUENCY_SECONDS, self._update_node_status,
                             background=True)

    def now(self) -> float:
        return self.loop.clock.now()

    # -- registration and heartbeats --------------------------------------------------------------
    def _register(self) -> None:
        now = self.now()
        try:
            node = self.api.create("nodes", nodeinfo.node_object(self, now), user=self.user)
        except errors.ApiError as e:
            if e.code != 409:
                raise
            node = self.api.get("nodes", self.name)
        self._node_uid = node["metadata"]["uid"]
        self._last_report = now
        try:
            self.api.create("leases", nodeinfo.lease_object(self, self._node_uid, now),
                            NODE_LEASE_NAMESPACE, user=self.user)
        except errors.ApiError as e:
            if e.code != 409:
                raise

    def _renew_lease(self) -> None:
        if not self.stopped:
            self._renew_once()
        self.loop.call_later(NODE_LEASE_RENEW_SECONDS, self._renew_lease, background=True)

    def _update_node_status(self, force: bool = False) -> None:
        """Every 10 s: write the node status if it changed, or every 5 minutes anyway."""
        if not self.stopped:
            self.sync_node_status(force)
        self.loop.call_later(NODE_STATUS_UPDATE_FREQUENCY_SECONDS, self._update_node_status,
                             background=True)

    def sync_node_status(self, force: bool = False) -> None:
        now = self.now()
        try:
            node = self.api.get("nodes", self.name)
        except errors.ApiError:
            return
        old = node.get("status") or {}
        new = nodeinfo.node_status(self, now, old)
        due = force or now - (self._last_report or 0) >= NODE_STATUS_REPORT_FREQUENCY_SECONDS

        def comparable(st):
            return {k: ([{f: v for f, v in c.items() if f != "lastHeartbeatTime"} for c in v]
                        if k == "conditions" else v) for k, v in st.items()}

        if not due and comparable(new) == comparable(old):
            return
        # nodeutil.PatchNodeStatus: a strategic merge patch of the status (conditions merge by type)
        patch = {"status": new}
        try:
            self.api.patch("nodes", self.name, patch, "strategic", subresource="status",
                           user=self.user)
            self._last_report = now
        except errors.ApiError:
            pass

    # -- fault injection ----------------------------------------------------------------------------
    def stop(self) -> None:
        """The kubelet process dies: no heartbeats, no status, no reactions. Containers go on."""
        self.stopped = True

    def resume(self) -> None:
        """The kubelet comes back: heartbeat, report, and catch up with every pod."""
        if not self.stopped:
            return
        self.stopped = False
        self._renew_once()
        self.sync_node_status(force=True)
        frozen, self.frozen = self.frozen, set()
        for w in frozen:
            if w.gen is not None:
                self.loop.call_soon(w._resume)
        for key in sorted(self.workers):
            self.workers[key].trigger()
        for pod in self.pods.on_node(self.name):
            self.on_pod(pod)

    def _renew_once(self) -> None:
        """The node lease controller's renewal (component-helpers lease/controller.go
        retryUpdateLease): a PUT of the Lease with a fresh ``renewTime``."""
        try:
            lease = self.api.get("leases", self.name, NODE_LEASE_NAMESPACE)
            lease["spec"].update(renewTime=nodeinfo.micro_time(self.now()), holderIdentity=self.name)
            self.api.update("leases", lease, NODE_LEASE_NAMESPACE, user=self.user)
        except errors.ApiError:
            pass

    # -- pods -----------------------------------------------------------------------------------------
    def on_pod(self, pod: dict) -> None:
        """A pod bound to this node was added or changed."""
        if self.stopped:
            return
        key = key_of(pod)  # the informer's interned string: one copy per pod, not two
        w = self.workers.get(key)
        if w is not None and w.uid != pod["metadata"]["uid"]:
            w.removed = True
            w.trigger()
            w = None
        if w is None:
            phase = (pod.get("status") or {}).get("phase")
            if phase in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp"):
                return
            w = self.workers[key] = PodWorker(self, pod)
            w.trigger()
            return
        w.update(pod)

    def on_pod_deleted(self, pod: dict) -> None:
        key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        w = self.workers.get(key)
        if w is None or w.uid != pod["metadata"]["uid"]:
            return
        if w.done:
            del self.workers[key]
            return
        w.removed = True
        w.deleting = True
        w.trigger()

    def forget(self, worker) -> None:
        if self.workers.get(worker.key) is worker:
            del self.workers[worker.key]

    def admit(self, worker):
        """The kubelet's admission check (lifecycle/predicate.go): enough room on the node?
        Returns None, or (reason, message) for a rejected pod (``OutOfcpu``...)."""
        try:
            from ..scheduler.podinfo import pod_requests
        except ImportError:  # pragma: no cover - scheduler not present
            return None
        from ..quantity import parse_cpu, parse_memory
        want = pod_requests(worker.spec)
        count = len(self.admitted)
        if count + 1 > int(self.allocatable["pods"]):
            return ("OutOfpods", f"Pod was rejected: Node didn't have enough resource: pods, "
                                 f"requested: 1, used: {count}, capacity: {self.allocatable['pods']}")
        for res in ("cpu", "memory", "ephemeral-storage"):
            if not want.get(res):
                continue
            cap = parse_cpu(self.allocatable[res]) if res == "cpu" else parse_memory(self.allocatable[res])
            used = self.used.get(res, 0)
            if used + want[res] > cap:
                return (f"OutOf{res}", f"Pod was rejected: Node didn't have enough resource: {res}, "
                                       f"requested: {want[res]}, used: {used}, capacity: {cap}")
        self.admitted[worker.uid] = want
        for k, v in want.items():
            self.used[k] = self.used.get(k, 0) + v
        return None

    def release(self, worker) -> None:
        """A pod stopped using the node (terminal or gone): its requests are free again."""
        want = self.admitted.pop(worker.uid, None)
        for k, v in (want or {}).items():
            self.used[k] = self.used.get(k, 0) - v

    def allocate_ip(self, worker) -> str | None:
        if worker.spec.get("hostNetwork"):
            return self.internal_ip
        net = self.ctx.network
        if net is not None and hasattr(net, "allocate_pod_ip"):
            return net.allocate_pod_ip(self.name)
        return self.ipam.allocate()

    def release_ip(self, worker, ip: str) -> None:
        if worker.spec.get("hostNetwork"):
            return
        net = self.ctx.network
        if net is not None and hasattr(net, "release_pod_ip"):
            net.release_pod_ip(ip)
        else:
            self.ipam.release(ip)

    # -- what kubectl and metrics ask ---------------------------------------------------------------
    def _worker(self, namespace: str, pod: str) -> PodWorker:
        w = self.workers.get(f"{namespace}/{pod}")
        if w is None:
            raise errors.not_found("pods", pod)
        return w

    def logs(self, namespace: str, pod: str, container: str | None = None, previous: bool = False,
             tail: int | None = None, timestamps: bool = False, since_seconds=None) -> str:
        """``kubectl logs`` (``GET pods/{name}/log``); errors are the kubelet's/API server's."""
        if self.stopped:  # the API server cannot reach the kubelet's port
            raise errors.ApiError(errors.status(
                500, "InternalError", f'Get "https://{self.internal_ip}:10250/containerLogs/{namespace}/'
                                      f'{pod}/{container or ""}": dial tcp {self.internal_ip}:10250: '
                                      "connect: connection refused"))
        w = self.workers.get(f"{namespace}/{pod}")
        if w is None:
            obj = self.pods.get(pod, namespace)
            if obj is None:
                raise errors.not_found("pods", pod)
            name = container or obj["spec"]["containers"][0]["name"]
            raise errors.bad_request(f'container "{name}" in pod "{pod}" is waiting to start: '
                                     "ContainerCreating")
        return container_logs(w, container, previous, tail, timestamps, self.now(), since_seconds)

    # -- exec: what the API server's pods/exec stream reaches ----------------------------------
    def running_container(self, namespace: str, pod: str, container: str | None):
        """The running container an exec enters, and the pod's worker; the kubelet's errors
        when there is none (the API server checks this before it opens the stream)."""
        if self.stopped:  # the API server cannot reach the kubelet's port
            raise errors.ApiError(errors.status(
                500, "InternalError", f"error dialing backend: dial tcp {self.internal_ip}:10250: "
                                      "connect: connection refused"))
        w = self._worker(namespace, pod)
        rec = w.records.get(container) if container else w.regular_records[0]
        if rec is None:
            raise errors.bad_request(f"container {container} is not valid for pod {pod}")
        w.observe(self.now())
        if not rec.running:
            raise errors.bad_request(f'unable to upgrade connection: container not found ("{rec.name}")')
        return w, rec

    @staticmethod
    def _exec_failed(e: ExecError, namespace: str, pod: str, rec) -> errors.ApiError:
        """The runtime could not start the command: the kubelet's InternalError, with the
        exec ID containerd names (derived from the pod, container and exec count here)."""
        import hashlib
        seed = f"{namespace}/{pod}/{rec.name}/{getattr(rec.current.process, '_exec_count', 0)}"
        exec_id = hashlib.sha256(seed.encode()).hexdigest()
        return errors.ApiError(errors.status(
            500, "InternalError", "Internal error occurred: error executing command in container: "
                                  f'failed to exec in container: failed to start exec "{exec_id}": {e}'))

    def exec(self, namespace: str, pod: str, command: list, container: str | None = None,
             stdin: str = "", stderr=None):
        """Run a command in a container (CRI ``Exec``): ``(exit_code, output)``; raises
        ApiError like the API server. ``stderr`` (a shell ``Capture``) receives standard error
        apart; without it, it is part of ``output``."""
        w, rec = self.running_container(namespace, pod, container)
        try:
            code, out = rec.current.process.exec(list(command), self.now(), timeout=None,
                                                 stdin=stdin, err=stderr)
        except ExecError as e:
            raise self._exec_failed(e, namespace, pod, rec) from None
        w.schedule_pleg()
        return (code if code is not None else 0), out

    def shell_session(self, namespace: str, pod: str, argv: list, container: str | None = None):
        """``kubectl exec -i POD -- sh``: a shell kept open between the lines it reads, as a
        :class:`~labkit.minicluster.images.shell.session.ShellSession`."""
        from ..images.shell.session import ShellSession
        w, rec = self.running_container(namespace, pod, container)
        try:
            session = ShellSession(rec.current.process, list(argv))
        except ExecError as e:
            raise self._exec_failed(e, namespace, pod, rec) from None
        session.before_line = lambda: w.observe(self.now())
        session.after_line = w.schedule_pleg
        return session

    def attach_session(self, namespace: str, pod: str, container: str | None = None):
        """``kubectl attach -i`` (``kubectl run -it ... -- sh``): a
        :class:`~labkit.minicluster.images.shell.session.ShellSession` driving the container's
        PID 1 shell when it waits on an open stdin; None when PID 1 is something else (attach
        then only follows its output). The shell's ``exit`` ends the container."""
        from ..images.shell.session import ShellSession
        w, rec = self.running_container(namespace, pod, container)
        proc = rec.current.process
        shell = getattr(proc, "shell", None)  # a ScriptProcess that has not become a server
        if getattr(proc, "server", None) is not None or not getattr(shell, "reads_terminal", False):
            return None
        session = ShellSession.attached(proc)
        session.before_line = lambda: w.observe(self.now())

        def pid1_exits(code):  # the next PLEG relist sees the container gone
            proc._exit(code, None, self.now())
            w.pleg_at(self.now())
        session.on_exit = pid1_exits
        return session

    def processes(self, namespace: str, pod: str):
        """The running container processes of a pod (what the network connects to); None
        when the kubelet does not answer (stopped) or does not run that pod."""
        w = self.workers.get(f"{namespace}/{pod}")
        if self.stopped or w is None or w.done:
            return None
        now = self.now()
        w.observe(now)
        return [r.current.process for r in w.all_records
                if r.current is not None and r.current.running and r.current.process is not None]

    def pod_stats(self) -> list[dict]:
        """Resource usage of running pods now (see :mod:`.stats`, what metrics-server reads):
        ``[{"namespace", "name", "uid", "containers": [{"name", "cpu", "memory"}]}]`` with CPU
        in millicores and memory in bytes."""
        now = self.now()
        out = []
        for key in sorted(self.workers):
            w = self.workers[key]
            w.observe(now)
            cs = [{"name": c.name, "cpu": c.cpu, "memory": c.memory}
                  for c in container_samples(w, now)]
            if cs:
                meta = w.pod["metadata"]
                out.append({"namespace": meta["namespace"], "name": meta["name"], "uid": w.uid,
                            "containers": cs})
        return out

    def node_usage(self) -> dict:
        """Node-level usage now: pods' sum plus the system's own (kubelet, containerd, OS)."""
        cpu, memory = node_sample(self, self.now())
        return {"cpu": cpu, "memory": memory}


class _Dispatcher:
    """One handler on the shared pod informer that routes each pod to its node's kubelet
    (so 5,000 kubelets cost one watch, not 5,000 filters per pod event)."""

    def __init__(self, ctx):
        self.kubelets: dict[str, Kubelet] = {}
        self.loop = ctx.loop
        ctx.informers["pods"].add_handler(self._add, self._update, self._delete, replay=False)
        for resource, kind in (("configmaps", "ConfigMap"), ("secrets", "Secret")):
            ctx.informers[resource].add_handler(
                None, lambda old, new, kind=kind: self._source_changed(kind, new),
                lambda obj, kind=kind: self._source_changed(kind, obj), replay=False)

    def _source_changed(self, kind: str, obj: dict) -> None:
        """A ConfigMap/Secret changed: pods that mount it see it at their next periodic sync."""
        ns, name = obj["metadata"].get("namespace"), obj["metadata"]["name"]
        for kubelet in self.kubelets.values():
            for w in list(kubelet.workers.values()):
                if w.done or w.pod["metadata"]["namespace"] != ns:
                    continue
                names = volumes.uses(w.pod, kind, name)
                if names:
                    self.loop.call_later(POD_SYNC_SECONDS, volumes.refresh, w, names)

    def add(self, kubelet: Kubelet) -> None:
        self.kubelets[kubelet.name] = kubelet
        for pod in kubelet.pods.on_node(kubelet.name):
            kubelet.on_pod(pod)

    def _route(self, pod):
        node = (pod.get("spec") or {}).get("nodeName")
        return self.kubelets.get(node) if node else None

    def _add(self, pod):
        k = self._route(pod)
        if k is not None:
            k.on_pod(pod)

    def _update(self, old, pod):
        self._add(pod)

    def _delete(self, pod):
        k = self._route(pod)
        if k is not None:
            k.on_pod_deleted(pod)


def _dispatcher(ctx) -> _Dispatcher:
    d = ctx.extra.get("kubelet_dispatcher")
    if d is None:
        d = ctx.extra["kubelet_dispatcher"] = _Dispatcher(ctx)
    return d
