"""A connection's journey: DNS → kube-proxy → NetworkPolicy → the pod's process.

``curl http://web/`` from a pod goes through every layer of cluster networking; each step is
recorded in :attr:`Traffic.trace` so the course can show it:

1. **DNS** (:mod:`.dns`): ``web`` → ``web.default.svc.cluster.local`` → the ClusterIP, for pods
   with ``dnsPolicy: ClusterFirst`` (nodes and your laptop do not use the cluster's DNS). The DNS
   query itself is traffic to ``kube-dns`` (UDP 53): an egress NetworkPolicy that forgets it
   breaks name resolution.
2. **kube-proxy** (:mod:`.proxy`): ClusterIP, NodePort or load-balancer address → one endpoint
   (``podIP:targetPort``). NodePort/LoadBalancer traffic with ``externalTrafficPolicy: Cluster``
   is source-NATed to the node's IP (the pod no longer sees the client's address).
3. **NetworkPolicy** (:mod:`.policy`): egress of the source pod, ingress of the destination.
4. **The process**: whichever container of the destination pod listens on the port answers.

Failures read like the client's error: ``connection refused`` (nothing listens; a Service with
no endpoints), ``i/o timeout`` (a packet dropped by a NetworkPolicy, a dead node, an address
that routes nowhere), ``no such host`` (DNS).

Clients outside the cluster (your laptop next to a kind cluster) reach node IPs (NodePorts) and
load-balancer IPs, but not ClusterIPs, pod IPs or cluster DNS names.
"""
from __future__ import annotations

from typing import NamedTuple

from ..images.network import INTERNET
from ..images.process import NetError
from .policy import Peer

EXTERNAL_CLIENT_IP = "172.18.0.1"  # the docker bridge gateway: your machine, seen from kind
DNS_SERVER = "10.96.0.10"


class HttpResult(NamedTuple):
    """What :meth:`Network.request` returns: HTTP status (0 when no response), body (or the
    client's error message), and the name of the pod that answered (None if none did)."""
    status: int
    body: str
    pod: str | None


class Target(NamedTuple):
    """Where a connection ends: a pod and the port on it, or an Internet host."""
    pod: dict | None
    port: int
    internet: tuple | None = None


class Traffic:
    def __init__(self, network):
        self.net = network
        self.trace: list[str] = []

    # -- sources ----------------------------------------------------------------------------
    def peer(self, src) -> tuple[Peer, str]:
        """(Peer, namespace for DNS search) for a source: a pod (dict, "ns/name"), "node/<name>",
        or None for a client outside the cluster."""
        if src is None:
            return Peer(EXTERNAL_CLIENT_IP), ""
        if isinstance(src, str) and src.startswith(("node/", "node:")):
            node = src[5:]
            return Peer(self.net.node_ip(node), node=node), "default"
        pod = self.net.find_pod(src)
        ip = ((pod.get("status") or {}).get("podIP")) or ""
        return Peer(ip, pod=pod, node=pod["spec"].get("nodeName")), pod["metadata"]["namespace"]

    # -- the steps ----------------------------------------------------------------------------
    def resolve(self, src: Peer, namespace: str, host: str) -> str:
        """DNS as the source sees it; raises NetError("... no such host")."""
        if _is_ip(host):
            return host
        if host in ("localhost",):
            return "127.0.0.1"
        if src.pod is not None and src.pod["spec"].get("dnsPolicy", "ClusterFirst") == "ClusterFirst":
            self._dns_allowed(src)
            answer = self.net.dns.lookup(host, namespace or "default")
            while answer is not None and answer.cname:
                self.trace.append(f"DNS {host}: CNAME {answer.cname}")
                host = answer.cname
                answer = self.net.dns.lookup(host, namespace or "default")
            if answer is not None and answer.addresses:
                ip = answer.addresses[self.net.rng.randrange(len(answer.addresses))] \
                    if len(answer.addresses) > 1 else answer.addresses[0]
                self.trace.append(f"DNS {host} → {answer.name} → {', '.join(answer.addresses)}")
                return ip
        entry = INTERNET.get(host.rstrip("."))
        if entry is not None:
            self.trace.append(f"DNS {host} → {entry[0]} (outside the cluster)")
            return entry[0]
        server = DNS_SERVER if src.pod is not None else "127.0.0.53"
        raise NetError(f"dial tcp: lookup {host} on {server}:53: no such host")

    def _dns_allowed(self, src: Peer):
        if not self.net.dns.server_available():
            raise NetError(f"dial tcp: lookup on {DNS_SERVER}:53: read udp: i/o timeout")
        svc = self.net.services.get("kube-dns", "kube-system")
        eps = self.net.endpoints_of(svc) if svc else []
        pods = [self.net.pod_by_ref(e["targetRef"]) for e in eps if e.get("targetRef")]
        pods = [p for p in pods if p is not None] or \
            [{"metadata": {"namespace": "kube-system", "name": "coredns", "labels": {"k8s-app": "kube-dns"}},
              "spec": {"containers": [{"ports": [{"name": "dns", "containerPort": 53, "protocol": "UDP"}]}]}}]
        for pod in pods:
            ok, why = self.net.policy.allowed(src, Peer(DNS_SERVER, pod=pod), 53, "UDP")
            if ok:
                return
        self.trace.append(f"DNS query dropped: {why}")
        raise NetError(f"dial tcp: lookup on {DNS_SERVER}:53: read udp: i/o timeout")

    def connect(self, src: Peer, ip: str, port: int, protocol: str = "TCP") -> tuple[Target, Peer]:
        """Route a new connection to ``ip:port``; returns (target, source as the target sees it)."""
        if ip in ("127.0.0.1", "localhost"):
            return Target(src.pod, port), src
        for host, (addr, pages) in INTERNET.items():
            if addr == ip:
                return Target(None, port, (host, pages)), src
        node = self.net.node_by_ip(ip)
        found = self.net.proxy.find_service(ip, port, protocol, via_node=node)
        if found is not None:
            return self._via_service(src, ip, port, found, node)
        pod = self.net.pod_by_ip(ip)
        if pod is not None and src.pod is None and src.node is None:
            raise NetError(f"dial tcp {ip}:{port}: i/o timeout")  # pod IPs are not routed outside
        if pod is not None:
            self.trace.append(f"direct to pod {pod['metadata']['name']} ({ip}:{port})")
            return Target(pod, port), src
        if node is not None:
            raise NetError(f"dial tcp {ip}:{port}: connect: connection refused")
        raise NetError(f"dial tcp {ip}:{port}: i/o timeout")

    def _via_service(self, src, ip, port, found, node):
        svc, sp, mode = found
        spec = svc.get("spec") or {}
        name = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        if mode == "cluster" and src.pod is None and src.node is None:
            raise NetError(f"dial tcp {ip}:{port}: i/o timeout")  # ClusterIPs exist only in-cluster
        receiving = node or src.node
        route = self.net.proxy.route(src.ip, src.node, svc, sp, mode, receiving_node=receiving)
        if route.endpoint is None:
            self.trace.append(f"kube-proxy: Service {name} has no endpoints ({route.error})")
            if route.error == "dropped":
                raise NetError(f"dial tcp {ip}:{port}: i/o timeout")
            raise NetError(f"dial tcp {ip}:{port}: connect: connection refused")
        pod = self.net.pod_by_ref(route.endpoint.get("targetRef"))
        self.trace.append(f"kube-proxy: {ip}:{port} (Service {name}) → {route.endpoint['ip']}:"
                          f"{route.target_port} (pod {(pod or {}).get('metadata', {}).get('name')})")
        if pod is None:
            raise NetError(f"dial tcp {ip}:{port}: i/o timeout")
        seen_as = src
        if mode == "external" and spec.get("externalTrafficPolicy", "Cluster") == "Cluster" and receiving:
            seen_as = Peer(self.net.node_ip(receiving), node=receiving)
            self.trace.append(f"SNAT: the pod sees the client as {seen_as.ip} (node {receiving})")
        return Target(pod, route.target_port), seen_as

    def admit(self, src: Peer, target: Target, protocol="TCP"):
        """NetworkPolicy, then the destination node must be alive; raises NetError."""
        pod = target.pod
        dst_ip = (pod.get("status") or {}).get("podIP") or ""
        if src.pod is not None and src.pod is pod:
            return
        ok, why = self.net.policy.allowed(src, Peer(dst_ip, pod=pod, node=pod["spec"].get("nodeName")),
                                          target.port, protocol)
        self.trace.append(f"NetworkPolicy: {why}")
        if not ok:
            raise NetError(f"dial tcp {dst_ip}:{target.port}: i/o timeout")

    def processes(self, target: Target):
        pod = target.pod
        procs = self.net.processes_of(pod)
        if procs is None:  # no kubelet answers for this pod (dead node, not started)
            ip = (pod.get("status") or {}).get("podIP") or ""
            raise NetError(f"dial tcp {ip}:{target.port}: i/o timeout")
        return procs

    def http(self, src: Peer, target: Target, path: str, now: float, headers=None):
        if target.internet is not None:
            body = target.internet[1].get(path.split("?")[0])
            return (200, body) if body is not None else (404, "Not Found\n")
        self.admit(src, target)
        for proc in self.processes(target):
            if proc.tcp_open(target.port, now):
                return proc.http_get(target.port, path, now, headers, src.ip)
        ip = (target.pod.get("status") or {}).get("podIP") or ""
        raise NetError(f"dial tcp {ip}:{target.port}: connect: connection refused")

    def open_tcp(self, src: Peer, target: Target, now: float):
        if target.internet is not None:
            raise NetError(f"dial tcp {target.internet[0]}:{target.port}: connect: connection refused")
        self.admit(src, target)
        for proc in self.processes(target):
            if proc.tcp_open(target.port, now):
                return proc
        ip = (target.pod.get("status") or {}).get("podIP") or ""
        raise NetError(f"dial tcp {ip}:{target.port}: connect: connection refused")


class PodNet:
    """The network a pod's programs see (the ``net`` of :class:`~..images.process.Sandbox`)."""

    def __init__(self, network, namespace: str, name: str):
        self.network, self.namespace, self.name = network, namespace, name

    def _src(self, traffic):
        return traffic.peer(f"{self.namespace}/{self.name}")

    def resolve(self, host: str, now: float) -> str | None:
        traffic = Traffic(self.network)
        src, ns = self._src(traffic)
        try:
            return traffic.resolve(src, ns, host)
        except NetError:
            return None

    def request(self, host: str, port: int, path: str, now: float, headers=None, client_ip=""):
        traffic = Traffic(self.network)
        src, ns = self._src(traffic)
        target, seen_as = traffic.connect(src, traffic.resolve(src, ns, host), int(port))
        return traffic.http(seen_as, target, path, now, headers)

    def open_tcp(self, host: str, port: int, now: float):
        traffic = Traffic(self.network)
        src, ns = self._src(traffic)
        target, seen_as = traffic.connect(src, traffic.resolve(src, ns, host), int(port))
        return traffic.open_tcp(seen_as, target, now)


def _is_ip(host: str) -> bool:
    parts = host.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)
