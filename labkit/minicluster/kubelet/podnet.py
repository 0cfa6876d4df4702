"""Pod networking as the kubelet sees it: pod IPs, and what a container can connect to.

Every node gets a pod CIDR (``10.244.N.0/24``, as kind's node IPAM hands them out) and each pod
sandbox an IP from it, given out round-robin like the CNI ``host-local`` plugin. Containers of
one pod share the network namespace: ``localhost:6379`` reaches the Redis container next door.

Connections leaving the pod go to the cluster network module when there is one
(``ctx.network.pod_network(pod)``: DNS, Service VIPs, kube-proxy); otherwise to any pod by IP, or
to the simulated Internet. :func:`endpoint` is what a network module uses to reach a pod's
process: ``endpoint(ctx, "10.244.1.5", 80, now)``.
"""
from __future__ import annotations

from ..images import NetError, NoNetwork


def node_index(ctx) -> int:
    """The next node number (1, 2, 3...) in this cluster."""
    n = ctx.extra.get("kubelet_nodes", 0) + 1
    ctx.extra["kubelet_nodes"] = n
    return n


def pod_ips(ctx) -> dict:
    """Cluster-wide index: pod IP → the kubelet's pod worker."""
    return ctx.extra.setdefault("pod_ips", {})


class IPAllocator:
    """host-local IPAM over one /24: .1 is the bridge, pods get .2 to .254 round-robin."""

    def __init__(self, prefix: str):
        self.prefix = prefix  # "10.244.1"
        self.used: set[int] = set()
        self.last = 1

    @property
    def cidr(self) -> str:
        return f"{self.prefix}.0/24"

    def allocate(self) -> str | None:
        for step in range(1, 254):
            cand = (self.last - 2 + step) % 253 + 2
            if cand not in self.used:
                self.used.add(cand)
                self.last = cand
                return f"{self.prefix}.{cand}"
        return None

    def release(self, ip: str) -> None:
        try:
            self.used.discard(int(ip.rsplit(".", 1)[1]))
        except (ValueError, IndexError):
            pass


def endpoint(ctx, ip: str, port: int, now: float):
    """The process of the pod with ``ip`` listening on ``port`` (None if none)."""
    worker = pod_ips(ctx).get(ip)
    if worker is None:
        return None
    return worker.listener(int(port), now)


class PodNetwork:
    """The network object given to a pod's containers (see :mod:`...images.network`).

    One per pod (150,000 at scale): slots, and the simulated Internet is one object shared
    by all pods (it keeps no state)."""

    __slots__ = ("worker", "_cluster")
    _internet = NoNetwork()

    def __init__(self, worker):
        self.worker = worker
        self._cluster = None

    @property
    def ctx(self):
        return self.worker.kubelet.ctx

    def _cluster_net(self):
        if self._cluster is None:
            net = self.ctx.network
            factory = getattr(net, "pod_network", None) if net is not None else None
            meta = self.worker.pod["metadata"]
            self._cluster = factory(meta["namespace"], meta["name"]) if factory else False
        return self._cluster or None

    def _is_local(self, host: str) -> bool:
        w = self.worker
        return host in ("localhost", "127.0.0.1", "::1", w.pod_ip or "-", w.hostname)

    # -- the interface programs use ---------------------------------------------------------
    def resolve(self, host: str, now: float):
        if self._is_local(host):
            return "127.0.0.1" if host in ("localhost", "127.0.0.1") else self.worker.pod_ip
        net = self._cluster_net()
        if net is not None:
            ip = net.resolve(host, now)
            if ip is not None:
                return ip
        if host in pod_ips(self.ctx):
            return host
        return self._internet.resolve(host, now)

    def lookup(self, host: str, now: float):
        net = self._cluster_net()
        if net is not None and hasattr(net, "lookup"):
            return net.lookup(host, now)
        ip = self.resolve(host, now)
        return (host, ip) if ip else None

    def request(self, host: str, port: int, path: str, now: float, headers=None, client_ip=""):
        if self._is_local(host):
            proc = self.worker.listener(port, now)
            if proc is None:
                raise NetError(f"dial tcp {self.resolve(host, now)}:{port}: connect: connection refused")
            return proc.http_get(port, path, now, headers or {}, client_ip or "127.0.0.1")
        net = self._cluster_net()
        if net is not None:
            return net.request(host, port, path, now, headers, client_ip or self.worker.pod_ip)
        proc = endpoint(self.ctx, host, port, now)
        if proc is not None:
            return proc.http_get(port, path, now, headers or {}, client_ip or self.worker.pod_ip)
        if host in pod_ips(self.ctx):
            raise NetError(f"dial tcp {host}:{port}: connect: connection refused")
        return self._internet.request(host, port, path, now, headers, client_ip)

    def open_tcp(self, host: str, port: int, now: float):
        if self._is_local(host):
            proc = self.worker.listener(port, now)
            if proc is None:
                raise NetError(f"dial tcp 127.0.0.1:{port}: connect: connection refused")
            return proc
        net = self._cluster_net()
        if net is not None:
            return net.open_tcp(host, port, now)
        proc = endpoint(self.ctx, host, port, now)
        if proc is not None:
            return proc
        return self._internet.open_tcp(host, port, now)
