"""MiniCluster: the whole in-memory Kubernetes cluster, wired together.

    >>> from labkit.minicluster.cluster import MiniCluster
    >>> c = MiniCluster(nodes=3, seed=1)
    >>> c.apply(...)              # like kubectl apply
    >>> c.run(30)                 # let 30 virtual seconds pass

What is inside, and how it maps to a real cluster:

=====================  ===============================================================
``store``              etcd: every object, with revisions and watches (:mod:`.store`)
``api``                kube-apiserver: authn → RBAC → admission → validation → store
``scheduler``          kube-scheduler: binds pending pods to nodes
``controllers``        kube-controller-manager: Deployment, ReplicaSet, Node, GC...
``kubelets``           one kubelet per node, running simulated containers
``metrics_server``     the metrics-server add-on: ``kubectl top``, the HPA (:mod:`.metrics_server`)
``loop`` / ``clock``   virtual time: nothing happens until you run the loop
=====================  ===============================================================

Everything is deterministic: the same seed and the same calls give byte-identical results.
"""
from __future__ import annotations

import gc
import random
import threading
from dataclasses import dataclass, field

from labkit.client import ClusterClient

from . import errors
from .apiserver import ADMIN, APIServer, UserInfo
from .clock import EPOCH, Clock, EventLoop
from .events import EventRecorder
from .explain import ExplainLog
from .informer import InformerFactory
from .objects import default_container, dumps, loads
from .store import Store
from .upstream import ETCD_COMPACTION_INTERVAL_SECONDS

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


@dataclass
class Context:
    """What every component of the control plane is given."""
    api: APIServer
    loop: EventLoop
    informers: InformerFactory
    recorder: EventRecorder
    rng: random.Random
    explain: ExplainLog
    cluster: "MiniCluster" = None
    network: object = None
    extra: dict = field(default_factory=dict)

    def child_rng(self) -> random.Random:
        """A new RNG derived from the cluster's, for one component (keeps streams independent)."""
        return random.Random(self.rng.getrandbits(64))


#: generation-0 threshold of CPython's cyclic garbage collector while a cluster exists
GC_GEN0_THRESHOLD = 50_000


def _tune_gc() -> None:
    """Let CPython's cyclic garbage collector run less often (never more often than before).

    A cluster holds hundreds of thousands of small, long-lived dicts (cached objects, events)
    that contain no reference cycles, and creates many more while decoding API objects. With the
    default threshold (a collection every 700 new container objects) the collector keeps
    re-scanning them: listing 1,000 pods took 50-250 ms instead of ~25 ms. Raising the
    generation-0 threshold keeps memory the same (reference counting still frees everything
    that is not in a cycle) and is process-wide, so it is done once and only ever upwards.
    """
    gen0, gen1, gen2 = gc.get_threshold()
    if 0 < gen0 < GC_GEN0_THRESHOLD:
        gc.set_threshold(GC_GEN0_THRESHOLD, max(gen1, 20), max(gen2, 100))


class MiniCluster(ClusterClient):
    """An in-memory Kubernetes cluster with a virtual clock."""

    backend = "mini"

    def __init__(self, nodes=3, seed: int = 0, node_cpu="4", node_memory="8Gi", max_pods=110,
                 events: bool = True, start: float = EPOCH, node_labels=None, _store=None,
                 settle: bool = True, scheduler: bool = True, controllers=None,
                 metrics_server: bool = True):
        _tune_gc()
        self.seed = seed
        self.lock = threading.RLock()  # the HTTP server's thread and the notebook share the cluster
        self.rng = random.Random(seed)
        self.loop = EventLoop(Clock(start))
        self.clock = self.loop.clock
        self.store = _store or Store()
        self.api = APIServer(self.store, self.clock, random.Random(self.rng.getrandbits(64)))
        self.informers = InformerFactory(self.api)
        self.recorder = EventRecorder(self.api, self.loop, enabled=events)
        self.explain = ExplainLog()
        self.ctx = Context(self.api, self.loop, self.informers, self.recorder,
                           random.Random(self.rng.getrandbits(64)), self.explain, self)
        from .network import Network  # CNI, kube-proxy, CoreDNS, Service IPs (labkit.minicluster.network)
        self.network = self.ctx.network = Network(self.ctx)
        self.node_defaults = {"cpu": str(node_cpu), "memory": str(node_memory),
                              "pods": str(max_pods)}
        if _store is None:
            self._bootstrap(metrics_server)
        self._start_components(scheduler, controllers, metrics_server)
        self.kubelets = {}
        names = nodes if isinstance(nodes, (list, tuple)) else \
            [f"node-{i}" for i in range(1, int(nodes) + 1)]
        for name in names:
            self.add_node(name, labels=node_labels)
        self.loop.call_later(ETCD_COMPACTION_INTERVAL_SECONDS, self._compact, background=True)
        if settle:
            self.settle()

    # -- assembly ---------------------------------------------------------------------------
    def _bootstrap(self, metrics_server: bool) -> None:
        for ns in SYSTEM_NAMESPACES:
            self.api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                           "metadata": {"name": ns}})
        from . import rbac
        rbac.bootstrap_policy(self.api)
        from .controllers.persistentvolume_provisioner import install_default_storage
        install_default_storage(self.api)  # kind's default StorageClass "standard"
        if metrics_server:
            from .metrics_server import install_policy
            install_policy(self.api)  # the add-on's ClusterRole, aggregated into view/edit/admin

    def _start_components(self, scheduler: bool, controllers, metrics_server: bool) -> None:
        """Start the control plane. ``scheduler=False`` or a restricted ``controllers`` list
        make a cluster with parts missing: a lesson in what each part does (without a
        scheduler, every pod stays Pending). ``metrics_server=True`` (the default, as on
        managed clusters and the minikube add-on) serves ``metrics.k8s.io``; without it,
        ``kubectl top`` says the Metrics API is not available."""
        from . import rbac
        self.api.authorizer = rbac.Authorizer(self.api)
        from .controllers.manager import ControllerManager
        self.controllers = ControllerManager(self.ctx, enabled=controllers)
        from .controllers.persistentvolume_provisioner import LocalPathProvisioner
        self.provisioner = LocalPathProvisioner(self.ctx)  # simulated rancher.io/local-path addon
        self.scheduler = None
        if scheduler:
            from .scheduler import Scheduler
            self.scheduler = Scheduler(self.ctx)
        self.metrics_server = None
        if metrics_server:
            from .metrics_server import MetricsServer
            self.metrics_server = MetricsServer(self.ctx)

    def _compact(self) -> None:
        """kube-apiserver asks etcd to compact every 5 minutes, keeping the last interval."""
        self.store.compact(getattr(self, "_last_compact_rev", 0))
        self._last_compact_rev = self.store.revision
        self.loop.call_later(ETCD_COMPACTION_INTERVAL_SECONDS, self._compact, background=True)

    # -- nodes ------------------------------------------------------------------------------
    def add_node(self, name=None, cpu=None, memory=None, max_pods=None, labels=None, taints=None):
        """Join a new node (a kubelet registers it with the API server)."""
        from .kubelet import Kubelet
        name = name or f"node-{len(self.kubelets) + 1}"
        if name in self.kubelets:
            raise errors.already_exists("nodes", name)
        kubelet = Kubelet(self.ctx, name, cpu=cpu or self.node_defaults["cpu"],
                          memory=memory or self.node_defaults["memory"],
                          max_pods=max_pods or self.node_defaults["pods"],
                          labels=labels, taints=taints)
        self.kubelets[name] = kubelet
        return kubelet

    def fail_node(self, name: str) -> None:
        """Simulate a node failure: its kubelet stops heartbeating and stops its containers'
        reports. The node controller notices after the grace period (node becomes NotReady)."""
        self._kubelet(name).stop()

    def recover_node(self, name: str) -> None:
        self._kubelet(name).resume()

    def _kubelet(self, name):
        if name not in self.kubelets:
            raise errors.not_found("nodes", name)
        return self.kubelets[name]

    # -- what ClusterClient needs --------------------------------------------------------------
    def _locked(self):
        return self.lock

    def _after_write(self) -> None:
        """The control plane reacts at once (same virtual instant); containers take time."""
        self.loop.run_pending()

    def logs(self, pod: str, container: str | None = None, namespace: str | None = None,
             previous: bool = False, tail: int | None = None, timestamps: bool = False) -> str:
        """A container's log, like ``kubectl logs`` (``previous`` = the last terminated one)."""
        namespace = namespace or self.default_namespace
        obj = self.api.get("pods", pod, namespace)
        node = obj["spec"].get("nodeName")
        if not node or node not in self.kubelets:
            name = container or obj["spec"]["containers"][0]["name"]
            raise errors.bad_request(f'container "{name}" in pod "{pod}" is waiting to start: '
                                     "ContainerCreating" if node else
                                     f'pod {pod} does not have a host assigned')
        return self.kubelets[node].logs(namespace, pod, container=container, previous=previous,
                                        tail=tail, timestamps=timestamps)

    def exec_target(self, pod: str, container: str | None = None, namespace: str | None = None,
                    command=None, kubectl_default: bool = False):
        """Where ``pods/exec`` goes: ``(kubelet, container name)``, or the API server's error
        (pkg/registry/core/pod/strategy.go ``streamLocation``): the pod must exist, the
        container be named when the pod has several, and the pod be bound to a node.
        ``kubectl_default``: an unnamed container is kubectl's default instead."""
        namespace = namespace or self.default_namespace
        obj = self.api.get("pods", pod, namespace)
        spec = obj["spec"]
        if not container and kubectl_default:
            container = default_container(obj)
        names = [c["name"] for c in spec.get("containers") or ()]
        init_names = [c["name"] for c in spec.get("initContainers") or ()]
        ephemeral = [c["name"] for c in spec.get("ephemeralContainers") or ()]
        if command is not None and not command:
            raise errors.bad_request("you must specify at least 1 command")
        if not container:
            if len(names) != 1:
                msg = f"a container name must be specified for pod {pod}, choose one of: [{' '.join(names)}]"
                raise errors.bad_request(msg + (f" or one of the init containers: [{' '.join(init_names)}]"
                                                if init_names else ""))
            container = names[0]
        elif container not in names + init_names + ephemeral:
            raise errors.bad_request(f"container {container} is not valid for pod {pod}")
        node = spec.get("nodeName")
        if not node:
            raise errors.bad_request(f"pod {pod} does not have a host assigned")
        if node not in self.kubelets:
            raise errors.ApiError(errors.status(500, "InternalError", f'nodes "{node}" not found'))
        return self.kubelets[node], container

    def exec(self, pod: str, command, container: str | None = None, namespace: str | None = None,
             stdin: str = ""):
        """Run a command in a pod's container, like ``kubectl exec POD -- COMMAND``:
        an :class:`~labkit.client.ExecResult` (``exit_code``, ``stdout``, ``stderr``).
        ``command`` is a list of words, or a string split like a shell would. The command
        runs at the current virtual instant (an exec takes no virtual time here). Without
        ``container``, kubectl's default: the ``kubectl.kubernetes.io/default-container``
        annotation, else the first container."""
        import shlex
        from .images.shell.streams import Capture
        from ..client import ExecResult
        argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
        namespace = namespace or self.default_namespace
        with self.lock:
            kubelet, container = self.exec_target(pod, container, namespace, argv, kubectl_default=True)
            err = Capture()
            code, out = kubelet.exec(namespace, pod, argv, container, stdin=stdin, stderr=err)
            self._after_write()
        return ExecResult(code, out, err.text())

    # -- fault injection and node maintenance -----------------------------------------------
    def kill_pod(self, name: str, namespace: str | None = None) -> None:
        """Force-delete a pod (``kubectl delete pod --grace-period=0 --force``): its
        controller notices and creates a replacement."""
        with self.lock:
            self.api.delete("pods", name, namespace or self.default_namespace,
                            grace_period_seconds=0)
            self._after_write()

    def cordon(self, node: str, unschedulable: bool = True) -> dict:
        """Mark a node (un)schedulable; running pods stay."""
        return self.patch("nodes", node, {"spec": {"unschedulable": True if unschedulable else None}},
                          "merge")

    def uncordon(self, node: str) -> dict:
        return self.cordon(node, False)

    def evict(self, name: str, namespace: str | None = None, grace_period_seconds=None) -> None:
        """The Eviction API: a graceful delete that respects PodDisruptionBudgets."""
        namespace = namespace or self.default_namespace
        with self.lock:
            self._check_disruption_budget(name, namespace)
            self.api.delete("pods", name, namespace, grace_period_seconds=grace_period_seconds)
            self._after_write()

    def _check_disruption_budget(self, name: str, namespace: str) -> None:
        pod = self.api.get("pods", name, namespace)
        from .selectors import from_label_selector
        for pdb in self.api.list("poddisruptionbudgets", namespace)["items"]:
            sel = from_label_selector(pdb["spec"].get("selector"))
            if sel.matches(pod["metadata"].get("labels")) and \
                    (pdb.get("status") or {}).get("disruptionsAllowed", 0) <= 0:
                raise errors.ApiError(errors.status(
                    429, "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    {"causes": [{"reason": "DisruptionBudget", "message":
                                 f"The disruption budget {pdb['metadata']['name']} needs "
                                 f"{(pdb.get('status') or {}).get('desiredHealthy', 0)} healthy pods and has "
                                 f"{(pdb.get('status') or {}).get('currentHealthy', 0)} currently"}]}))

    def drain(self, node: str, ignore_daemonsets: bool = True, delete_emptydir_data: bool = True):
        """Cordon the node, then evict its pods (DaemonSet pods stay, as with
        ``kubectl drain --ignore-daemonsets``). Returns kubectl's output."""
        flags = " --ignore-daemonsets" if ignore_daemonsets else ""
        flags += " --delete-emptydir-data" if delete_emptydir_data else ""
        return self.kubectl(f"drain {node}{flags}")

    # -- time -------------------------------------------------------------------------------
    def now(self) -> float:
        return self.clock.now()

    def run(self, seconds: float = 0) -> "MiniCluster":
        """Let ``seconds`` of virtual time pass; everything due meanwhile happens."""
        self.loop.run(seconds)
        return self

    def settle(self, max_seconds: float = 300) -> bool:
        """Run until nothing more is scheduled to happen (or ``max_seconds`` pass)."""
        return self.loop.settle(max_seconds)

    def wait_for(self, predicate, timeout: float = 300, step: float = 1.0,
                 message: str | None = None):
        """Advance time until ``predicate(cluster)`` is truthy; return its value.

        Raises :class:`TimeoutError` with ``message`` after ``timeout`` virtual seconds.
        """
        deadline = self.clock.now() + timeout
        self.loop.run_pending()
        while True:
            value = predicate(self)
            if value:
                return value
            if self.clock.now() >= deadline:
                raise TimeoutError(message or f"condition not met within {timeout:g}s")
            nxt = self.loop.next_time()
            target = min(deadline, self.clock.now() + step)
            if nxt is not None and nxt < target:
                target = max(nxt, self.clock.now())
            self.loop.run_until(target)

    # -- state ------------------------------------------------------------------------------
    def export_objects(self) -> list[dict]:
        """Every object in the cluster (as stored), sorted by key: what a grader inspects."""
        out = []
        for key in self.store.keys("/registry/"):
            kv = self.store.get(key)
            obj = loads(kv.value)
            obj["metadata"]["resourceVersion"] = str(kv.mod_revision)
            out.append(obj)
        return out

    def snapshot(self, path=None) -> bytes:
        """Save the cluster's state, like ``etcdctl snapshot save``; returns the bytes."""
        data = dumps({"store": self.store.snapshot().decode(), "time": self.clock.now(),
                      "seed": self.seed, "nodes": sorted(self.kubelets),
                      "node_defaults": self.node_defaults,
                      "metrics_server": self.metrics_server is not None})
        if path is not None:
            with open(path, "wb") as f:
                f.write(data)
        return data

    @classmethod
    def restore(cls, data_or_path, seed: int | None = None) -> "MiniCluster":
        """A new cluster from a snapshot: same objects, same time; kubelets re-adopt their pods
        (simplification: containers restart with fresh logs, as after a node reboot)."""
        if not isinstance(data_or_path, (bytes, bytearray)):
            with open(data_or_path, "rb") as f:
                data_or_path = f.read()
        doc = loads(data_or_path)
        store = Store.restore(doc["store"].encode())
        d = doc["node_defaults"]
        return cls(nodes=doc["nodes"], seed=doc["seed"] if seed is None else seed,
                   node_cpu=d["cpu"], node_memory=d["memory"], max_pods=d["pods"],
                   start=doc["time"], _store=store,
                   metrics_server=doc.get("metrics_server", True))

    def as_user(self, name: str, groups=()) -> UserInfo:
        """A :class:`UserInfo` for RBAC experiments (``api.list(..., user=c.as_user("jane"))``)."""
        return UserInfo(name, tuple(groups) + ("system:authenticated",))

    ADMIN = ADMIN

    # -- serving ----------------------------------------------------------------------------
    def serve(self, host: str = "127.0.0.1", port: int = 0, time_mode: str = "realtime",
              speed: float = 1.0, kubeconfig_path=None):
        """Serve the Kubernetes REST API so real ``kubectl`` and the official client can drive
        this cluster. Returns a handle: ``.url``, ``.token``, ``.write_kubeconfig(path)``,
        ``.stop()`` (also a context manager). kubectl computes some ages from the local clock
        (the events in ``describe``, ``kubectl events``): for those to read right in realtime
        mode, start the cluster at the current time, ``MiniCluster(start=time.time())``."""
        from .http import serve
        return serve(self, host, port, time_mode, speed, kubeconfig_path)
