"""metrics-server: the resource metrics API behind ``kubectl top`` and the HorizontalPodAutoscaler.

On a real cluster metrics-server is an add-on (kubernetes-sigs/metrics-server, a Deployment in
``kube-system``). It registers the group ``metrics.k8s.io`` with the API server's aggregation
layer (an APIService), so clients reach it through the API server, RBAC included:

    GET /apis/metrics.k8s.io/v1beta1/namespaces/{ns}/pods[/{name}]    PodMetrics
    GET /apis/metrics.k8s.io/v1beta1/nodes[/{name}]                   NodeMetrics

Every ``--metric-resolution`` (15 s) it scrapes every kubelet's resource metrics
(:mod:`.kubelet.stats`) and keeps the last two samples of each container and node. CPU is a
*rate*, the CPU used between two samples divided by the time between them (the ``window``), so
a container has metrics only once it has two samples: the previous scrape's, or, for a
container started 10 to 15 s before the scrape, its start (when it had used no CPU yet). Until
then the pod is missing from lists, and a ``get`` answers NotFound. Memory is the last
sample's working set. Nothing is stored: the objects are built when asked, with
``creationTimestamp`` the time of the request.

Here metrics-server is lazy: no timer runs. A request computes what the last scrape on the
15 s grid (counted from the cluster's start, when metrics-server started) collected, so two
requests between scrapes get the same numbers, and a cluster nobody asks costs nothing.

Simplifications (docs/fidelity.md): metrics-server runs outside the simulated cluster (no pod,
Service or APIService objects; the ``system:aggregated-metrics-reader`` ClusterRole is
installed); samples are taken exactly at the scrape instant (upstream, cAdvisor's timing makes
windows such as ``14.87s``); CPU is the process model's own rate at that instant (see
:mod:`.kubelet.stats`); a container that stopped since the last scrape, or a kubelet that
stopped answering, is gone at once rather than from the next scrape.
"""
from __future__ import annotations

import math
import random
from decimal import Decimal

from . import errors
from .clock import parse_rfc3339, rfc3339
from .kubelet.containers import go_duration
from .kubelet.stats import container_samples, node_sample
from .resources import NODE_METRICS, POD_METRICS
from .upstream import FRESH_CONTAINER_MIN_SECONDS, METRIC_RESOLUTION_SECONDS

#: metrics-server's manifests/base/rbac.yaml: reading metrics, aggregated into view/edit/admin
READER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
    "metadata": {"name": "system:aggregated-metrics-reader", "labels": {
        "k8s-app": "metrics-server",
        "rbac.authorization.k8s.io/aggregate-to-admin": "true",
        "rbac.authorization.k8s.io/aggregate-to-edit": "true",
        "rbac.authorization.k8s.io/aggregate-to-view": "true"}},
    "rules": [{"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"],
               "verbs": ["get", "list", "watch"]}]}


def install_policy(api) -> None:
    """Apply the add-on's RBAC: ``system:aggregated-metrics-reader`` (so everyone bound to
    ``view``, ``edit`` or ``admin`` may read metrics). The role's uid comes from the add-on's
    own random stream: with or without metrics-server, a seed gives the same names and uids
    to everything else in the cluster."""
    from .rbac import add_cluster_role
    stream, api.rng = api.rng, random.Random("metrics-server")
    try:
        add_cluster_role(api, READER_ROLE)
    finally:
        api.rng = stream


def usage(millicores: int, memory: int) -> dict:
    """A ResourceList as metrics-server writes it: CPU as nanocores
    (``NewScaledQuantity(n, -9)``), memory as bytes (BinarySI), both in Quantity's canonical
    form: ``{"cpu": "250m", "memory": "5Mi"}``; a measured rate such as 1,234,567 nanocores
    would read ``1234567n`` (here CPU comes in whole millicores)."""
    from labkit.kubectl.formatting import canonical_quantity
    return {"cpu": canonical_quantity(Decimal(millicores) / 1000),
            "memory": canonical_quantity(memory, "BinarySI")}


class MetricsServer:
    """The add-on: registers ``pods`` and ``nodes`` of ``metrics.k8s.io/v1beta1`` with the
    API server (``cluster.metrics_server``)."""

    def __init__(self, ctx):
        self.ctx, self.api = ctx, ctx.api
        self.started = ctx.loop.clock.now()
        self.api.registry = self.api.registry.extended((POD_METRICS, NODE_METRICS))
        self.api.computed[POD_METRICS] = PodMetricsStorage(self)
        self.api.computed[NODE_METRICS] = NodeMetricsStorage(self)

    def last_scrape(self) -> float:
        """The instant of the latest scrape: every 15 s since metrics-server started."""
        ticks = math.floor((self.ctx.loop.clock.now() - self.started) / METRIC_RESOLUTION_SECONDS
                           + 1e-9)
        return self.started + ticks * METRIC_RESOLUTION_SECONDS

    def kubelet(self, node_name):
        """The node's kubelet if it answers scrapes, else None."""
        kubelet = self.ctx.cluster.kubelets.get(node_name) if node_name else None
        return None if kubelet is None or kubelet.stopped else kubelet

    def meta(self, obj: dict) -> dict:
        """A metrics object's metadata: the name (and namespace) and labels of its pod or node;
        created now, as every answer is computed afresh."""
        src = obj["metadata"]
        meta = {"name": src["name"]}
        if src.get("namespace"):
            meta["namespace"] = src["namespace"]
        meta["creationTimestamp"] = rfc3339(self.ctx.loop.clock.now())
        if src.get("labels"):
            meta["labels"] = dict(src["labels"])
        return meta

    def pod_metrics(self, pod: dict) -> dict | None:
        """PodMetrics of a pod at the last scrape, or None: not running on a node that answers,
        or a container without two samples yet (pkg/storage/pod.go ``allContainersPresent``)."""
        kubelet = self.kubelet(pod["spec"].get("nodeName"))
        meta = pod["metadata"]
        worker = kubelet.workers.get(f"{meta['namespace']}/{meta['name']}") if kubelet else None
        if worker is None or worker.uid != meta["uid"]:
            return None
        at = self.last_scrape()
        samples = container_samples(worker, at)
        if not samples or any(at - c.started_at < FRESH_CONTAINER_MIN_SECONDS for c in samples):
            return None
        window = min(at - samples[0].started_at, METRIC_RESOLUTION_SECONDS)
        return {"kind": POD_METRICS.kind, "apiVersion": POD_METRICS.api_version,
                "metadata": self.meta(pod), "timestamp": rfc3339(at),
                "window": go_duration(window),
                "containers": [{"name": c.name, "usage": usage(c.cpu, c.memory)} for c in samples]}

    def node_metrics(self, node: dict) -> dict | None:
        """NodeMetrics of a node at the last scrape, or None: its kubelet does not answer, or
        it registered after the scrape before (a node has no fresh-start rule)."""
        kubelet = self.kubelet(node["metadata"]["name"])
        at = self.last_scrape()
        registered = parse_rfc3339(node["metadata"]["creationTimestamp"])
        if kubelet is None or registered > at - METRIC_RESOLUTION_SECONDS:
            return None
        cpu, memory = node_sample(kubelet, at)
        return {"kind": NODE_METRICS.kind, "apiVersion": NODE_METRICS.api_version,
                "metadata": self.meta(node), "timestamp": rfc3339(at),
                "window": go_duration(METRIC_RESOLUTION_SECONDS), "usage": usage(cpu, memory)}


def _metrics_list(rt, items, fields) -> dict:
    """A PodMetricsList/NodeMetricsList: items sorted by namespace and name (pkg/api/pod.go
    ``getMetrics``), filtered by the field selector (metadata.name, metadata.namespace)."""
    items = [m for m in items if m is not None and (fields.empty() or fields.matches(m))]
    items.sort(key=lambda m: (m["metadata"].get("namespace", ""), m["metadata"]["name"]))
    return {"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": {}, "items": items}


class PodMetricsStorage:
    """``pods.metrics.k8s.io``: metrics-server's pkg/api/pod.go, over the pod informer."""

    def __init__(self, server: MetricsServer):
        self.server = server

    def get(self, name: str, namespace: str) -> dict:
        pod = self.server.ctx.informers["pods"].get(name, namespace)
        if pod is None:  # the pod lister's own NotFound
            raise errors.not_found("pods", name)
        found = self.server.pod_metrics(pod)
        if found is None:
            raise errors.not_found("podmetrics", f"{namespace}/{name}", POD_METRICS.group)
        return found

    def list(self, namespace, labels, fields) -> dict:
        pods = self.server.ctx.informers["pods"].list(namespace, labels)
        return _metrics_list(POD_METRICS, [self.server.pod_metrics(p) for p in pods], fields)


class NodeMetricsStorage:
    """``nodes.metrics.k8s.io``: metrics-server's pkg/api/node.go, over the node informer."""

    def __init__(self, server: MetricsServer):
        self.server = server

    def get(self, name: str, namespace=None) -> dict:
        node = self.server.ctx.informers["nodes"].get(name)
        if node is None:
            raise errors.not_found("nodes", name)
        found = self.server.node_metrics(node)
        if found is None:
            raise errors.not_found("nodemetrics", name, NODE_METRICS.group)
        return found

    def list(self, namespace, labels, fields) -> dict:
        nodes = self.server.ctx.informers["nodes"].list(None, labels)
        return _metrics_list(NODE_METRICS, [self.server.node_metrics(n) for n in nodes], fields)
