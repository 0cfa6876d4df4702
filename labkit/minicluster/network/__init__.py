"""The cluster network: addresses, Services, DNS, kube-proxy, NetworkPolicy and Ingress.

Kubernetes itself ships no network; it sets rules that a network must follow (every pod gets an
IP and can reach every other pod without NAT; Services get virtual IPs) and lets plug-ins
implement them. In a kind cluster those are kindnet (pod routes, host-local IPAM), kube-proxy
(Service VIPs with iptables), CoreDNS (names) and - when installed - a NetworkPolicy engine, an
ingress controller and a load-balancer provider. :class:`Network` models all of them:

=======================================  ======================================================
``allocate_pod_ip(node)``                next pod IP of the node's ``10.244.N.0/24`` (the CNI)
``release_pod_ip(ip)``                   give it back when the pod sandbox goes
``pod_cidr(node)`` / ``node_ip(node)``   the node's pod range / its InternalIP ``172.18.0.N``
``resolve(name, namespace)``             cluster DNS: A records (``[]`` for NXDOMAIN)
``request(src, url, path)``              an HTTP GET through DNS, kube-proxy and NetworkPolicy
                                         → ``HttpResult(status, body, pod)``
``allowed(src, dst, port)``              the NetworkPolicy verdict for pod → pod
``route_ingress(host, path)``            which Service an Ingress sends ``host``+``path`` to
``ingress_request(host, path)``          the request through the ingress controller
``pod_network(namespace, name)``         the ``net`` object a pod's programs use
``enable_load_balancer()``               simulated cloud LBs (``EXTERNAL-IP`` 172.18.255.200+)
=======================================  ======================================================

``Network(ctx)`` also becomes ``api.network``: the API server's Service allocation asks it for
ClusterIPs and NodePorts (``allocate_cluster_ip(svc)``, ``allocate_node_port(svc)``). It keeps
the ``kubernetes`` (10.96.0.1) and ``kube-dns`` (10.96.0.10) Services in place.
"""
from __future__ import annotations

import random

from ..apiserver import UserInfo
from ..errors import ApiError
from ..images.process import NetError
from . import ingress as ingress_routing
from .dns import ClusterDNS
from .ipam import HostLocalIPAM, NodeCIDRAllocator, NodeIPs, in_cidr
from .policy import Peer, PolicyEngine
from .proxy import KubeProxy
from .services import (CloudLoadBalancers, ServiceAddresses, kube_dns_service, kubernetes_endpoints,
                       kubernetes_service)
from .traffic import HttpResult, PodNet, Target, Traffic

__all__ = ["Network", "HttpResult", "Peer"]


class Network:
    def __init__(self, ctx, cluster_cidr="10.244.0.0/16", service_cidr="10.96.0.0/12",
                 node_port_range=(30000, 32767), dns_domain="cluster.local", load_balancer=False):
        self.ctx = ctx
        seed = getattr(ctx.cluster, "seed", 0)
        # own random streams, derived from the cluster seed without drawing from ctx.rng
        self.rng = random.Random(f"network-{seed}")
        inf = ctx.informers
        self.services, self.pods, self.nodes = inf["services"], inf["pods"], inf["nodes"]
        self.slices, self.namespaces = inf["endpointslices"], inf["namespaces"]
        self.policies, self.ingresses = inf["networkpolicies"], inf["ingresses"]
        self.cidrs = NodeCIDRAllocator(cluster_cidr)
        self.node_ips = NodeIPs()
        self._ipam: dict[str, HostLocalIPAM] = {}
        self._ip_owner: dict[str, str] = {}  # pod IP -> node
        # pods that exist already (a cluster restored from a snapshot) keep their addresses;
        # every later pod IP is handed out here, so a node's pods need not be read again
        self._adopt_ips = len(self.pods) > 0
        self.addresses = ServiceAddresses(self, service_cidr, node_port_range)
        self.dns = ClusterDNS(self, dns_domain)
        self.proxy = KubeProxy(self, random.Random(f"kube-proxy-{seed}"))
        self.policy = PolicyEngine(self)
        self.load_balancers = CloudLoadBalancers(self)
        self.last_trace: list[str] = []
        ctx.api.network = self  # the API server's Service allocation asks us for addresses
        self.namespaces.add_handler(self._on_namespace, lambda old, new: None)
        self.nodes.add_handler(self._occupy_cidr, lambda old, new: self._occupy_cidr(new), None)
        self.services.add_handler(self._on_service, lambda old, new: self._on_service(new),
                                  self._on_service_deleted)
        if load_balancer:
            self.enable_load_balancer()

    @staticmethod
    def user(component: str) -> UserInfo:
        return UserInfo(f"system:serviceaccount:kube-system:{component}",
                        ("system:serviceaccounts", "system:authenticated"))

    # -- built-in Services ------------------------------------------------------------------
    def _on_namespace(self, ns):
        name = ns["metadata"]["name"]
        if name in ("default", "kube-system"):
            self.ctx.loop.call_soon(self._ensure_builtin, name)

    def _on_service_deleted(self, svc):
        if (svc["metadata"]["namespace"], svc["metadata"]["name"]) == ("default", "kubernetes"):
            self.ctx.loop.call_soon(self._ensure_builtin, "default")  # the API server re-creates it
        self.load_balancers.on_service(svc)

    def _ensure_builtin(self, namespace):
        """The API server's bootstrap controller keeps ``default/kubernetes``; kubeadm installs
        ``kube-system/kube-dns``."""
        admin = UserInfo("system:apiserver", ("system:masters",))
        wanted = [("services", kubernetes_service())] + kubernetes_endpoints(NodeIPs.CONTROL_PLANE_IP) \
            if namespace == "default" else [("services", kube_dns_service())]
        for resource, obj in wanted:
            if self.ctx.informers[resource].get(obj["metadata"]["name"], namespace) is not None:
                continue
            try:
                self.ctx.api.create(resource, obj, namespace, user=admin)
            except ApiError:
                pass  # namespace terminating, or a user's object already holds the name

    def _on_service(self, svc):
        self.load_balancers.on_service(svc)

    def enable_load_balancer(self, enabled: bool = True) -> None:
        """Simulate a cloud load-balancer provider (cloud-provider-kind/MetalLB style)."""
        self.load_balancers.enabled = enabled
        if enabled:
            for svc in self.services.list():
                self.load_balancers.on_service(svc)

    # -- addresses ----------------------------------------------------------------------------
    def allocate_cluster_ip(self, svc: dict) -> str:
        """A free ClusterIP for ``svc`` (called by the API server's Service allocation)."""
        return self.addresses.allocate_cluster_ip(svc)

    def allocate_node_port(self, svc: dict) -> int:
        """A free NodePort for ``svc`` (called by the API server's Service allocation)."""
        return self.addresses.allocate_node_port(svc)

    def pod_cidr(self, node_name: str) -> str:
        """The node's pod range: ``spec.podCIDR`` if set, else the next free /24 (ranges that
        nodes already have - restored, or set by hand - are taken as they appear)."""
        node = self.nodes.get(node_name)
        cidr = ((node or {}).get("spec") or {}).get("podCIDR")
        return cidr if cidr else self.cidrs.allocate(node_name)

    def _occupy_cidr(self, node: dict) -> None:
        cidr = (node.get("spec") or {}).get("podCIDR")
        if cidr and node["metadata"]["name"] not in self.cidrs.by_node:
            self.cidrs.occupy(node["metadata"]["name"], cidr)

    def allocate_pod_ip(self, node_name: str) -> str:
        """The next pod IP on ``node_name`` (host-local IPAM); raises ApiError when exhausted."""
        ipam = self._node_ipam(node_name)
        ip = ipam.allocate()
        if ip is None:
            raise ApiError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "code": 500, "reason": "InternalError",
                            "message": f"failed to allocate for range 0: no IP addresses available in range "
                                       f"set: {ipam.cidr}"})
        self._ip_owner[ip] = node_name
        return ip

    def release_pod_ip(self, ip: str) -> None:
        node = self._ip_owner.pop(ip, None)
        if node is not None and node in self._ipam:
            self._ipam[node].release(ip)

    def _node_ipam(self, node_name) -> HostLocalIPAM:
        cidr = self.pod_cidr(node_name)
        ipam = self._ipam.get(node_name)
        if ipam is None or ipam.cidr != cidr:
            ipam = self._ipam[node_name] = HostLocalIPAM(cidr)
            for pod in self.pods.on_node(node_name) if self._adopt_ips else ():
                ip = (pod.get("status") or {}).get("podIP")
                if ip and in_cidr(ip, cidr):
                    ipam.occupy(ip)
                    self._ip_owner[ip] = node_name
        return ipam

    def node_ip(self, node_name: str) -> str:
        """The node's InternalIP (from its status if the kubelet reported one)."""
        node = self.nodes.get(node_name)
        for addr in ((node or {}).get("status") or {}).get("addresses") or ():
            if addr.get("type") == "InternalIP":
                if self.node_ips.by_node.get(node_name) != addr["address"]:
                    self.node_ips.occupy(node_name, addr["address"])
                return addr["address"]
        return self.node_ips.get(node_name)

    # -- lookups ------------------------------------------------------------------------------
    def find_pod(self, ref, namespace: str = "default") -> dict:
        if isinstance(ref, dict):
            return ref
        ns, _, name = ref.rpartition("/")
        pod = self.pods.get(name, ns or namespace)
        if pod is None:
            raise ApiError({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "code": 404, "reason": "NotFound", "message": f'pods "{name}" not found',
                            "details": {"name": name, "kind": "pods"}})
        return pod

    def pod_by_ip(self, ip: str) -> dict | None:
        for pod in self.pods.list():
            status = pod.get("status") or {}
            if status.get("podIP") == ip and status.get("phase") not in ("Succeeded", "Failed") \
                    and not pod["spec"].get("hostNetwork"):
                return pod
        return None

    def pod_by_ref(self, ref) -> dict | None:
        if not ref or ref.get("kind") != "Pod":
            return None
        pod = self.pods.get(ref.get("name"), ref.get("namespace"))
        return pod if pod is not None and pod["metadata"]["uid"] == ref.get("uid", pod["metadata"]["uid"]) else None

    def node_by_ip(self, ip: str) -> str | None:
        for node in self.nodes.list():
            if self.node_ip(node["metadata"]["name"]) == ip:
                return node["metadata"]["name"]
        return None

    def endpoints_of(self, svc) -> list[dict]:
        """The Service's endpoints from its EndpointSlices, flattened: ``{"ip", "ready",
        "serving", "terminating", "nodeName", "hostname", "targetRef", "ports": {name: port}}``."""
        if svc is None:
            return []
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        out = []
        for slc in self.slices.list(ns):
            if (slc["metadata"].get("labels") or {}).get("kubernetes.io/service-name") != name:
                continue
            ports = {p.get("name") or "": p.get("port") for p in slc.get("ports") or ()}
            for ep in slc.get("endpoints") or ():
                cond = ep.get("conditions") or {}
                ready = cond.get("ready") is not False
                for ip in ep.get("addresses") or ():
                    out.append({"ip": ip, "ready": ready, "serving": cond.get("serving", ready),
                                "terminating": bool(cond.get("terminating")),
                                "nodeName": ep.get("nodeName"), "hostname": ep.get("hostname"),
                                "targetRef": ep.get("targetRef"), "ports": ports})
        return out

    def processes_of(self, pod) -> list | None:
        """The running container processes of a pod, from its node's kubelet (None when no
        kubelet answers: the node is down, or the pod is not running)."""
        cluster = self.ctx.cluster
        kubelet = (getattr(cluster, "kubelets", None) or {}).get(pod["spec"].get("nodeName"))
        lookup = getattr(kubelet, "processes", None)
        if lookup is None:
            return None
        return lookup(pod["metadata"]["namespace"], pod["metadata"]["name"])

    # -- the public traffic API ---------------------------------------------------------------
    def resolve(self, name: str, namespace: str = "default") -> list[str]:
        """What ``nslookup name`` prints inside a pod of ``namespace``: the A records."""
        answer = self.dns.lookup(name, namespace)
        while answer is not None and answer.cname:
            answer = self.dns.lookup(answer.cname, namespace)
        return list(answer.addresses) if answer is not None else []

    def request(self, src, url: str, path: str | None = None, headers=None) -> HttpResult:
        """``curl url`` from ``src`` (a pod: dict or "ns/name"; "node/<name>"; None = outside the
        cluster). Returns ``HttpResult(status, body, pod)``; status 0 with curl's error text
        when no HTTP response came back."""
        from ..images.network import split_url
        _, host, port, _ = split_url(url)
        try:
            status, body, pod = self.fetch(src, url, path, headers)
        except NetError as e:
            return HttpResult(0, _curl_error(str(e), host, port), None)
        return HttpResult(status, body, pod)

    def fetch(self, src, url: str, path: str | None = None, headers=None) -> tuple:
        """:meth:`request` for a Go client (the API server's proxy): ``(status, body, pod)``,
        or the dialer's :class:`NetError` (``dial tcp 10.244.1.5:81: connect: connection
        refused``) instead of curl's wording."""
        from ..images.network import split_url
        _, host, port, url_path = split_url(url)
        traffic = Traffic(self)
        self.last_trace = traffic.trace
        peer, ns = traffic.peer(src)
        target, seen_as = traffic.connect(peer, traffic.resolve(peer, ns, host), port)
        status, body = traffic.http(seen_as, target, path or url_path, self.ctx.loop.clock.now(), headers)
        return status, body, target.pod["metadata"]["name"] if target.pod else None

    def allowed(self, src, dst, port: int, protocol: str = "TCP") -> tuple[bool, str]:
        """NetworkPolicy verdict for a new connection from pod ``src`` to pod ``dst``."""
        traffic = Traffic(self)
        a, _ = traffic.peer(src)
        b, _ = traffic.peer(dst)
        return self.policy.allowed(a, b, port, protocol)

    def route_ingress(self, host: str, path: str = "/", ingress_class: str | None = None):
        """The :class:`~.ingress.IngressRoute` for ``host`` + ``path``, or None (404)."""
        return ingress_routing.route(self.ingresses.list(), host, path, ingress_class)

    def ingress_request(self, host: str, path: str = "/", https: bool = False,
                        ingress_class: str | None = None) -> HttpResult:
        """A request through the ingress controller (ingress-nginx) to a backend pod. The
        controller sends it straight to one of the Service's ready endpoints."""
        route = self.route_ingress(host, path, ingress_class)
        if route is None:
            return HttpResult(404, ingress_routing.NGINX_404, None)
        if route.tls and not https:
            return HttpResult(308, ingress_routing.NGINX_308, None)
        svc = self.services.get(route.service, route.namespace)
        sp = next((p for p in (svc or {}).get("spec", {}).get("ports") or ()
                   if p.get("port") == route.port or (p.get("name") and p.get("name") == route.port)), None)
        ready = [e for e in self.endpoints_of(svc) if e["ready"] and (sp or {}).get("name", "") in e["ports"]]
        if sp is None or not ready:
            return HttpResult(503, ingress_routing.page(503, "Service Temporarily Unavailable"), None)
        endpoint = ready[self.proxy.rng.randrange(len(ready))]
        pod = self.pod_by_ref(endpoint.get("targetRef"))
        traffic = Traffic(self)
        self.last_trace = traffic.trace
        traffic.trace.append(f"ingress {route.namespace}/{route.ingress}: {host}{path} → Service "
                             f"{route.service}:{route.port} → {endpoint['ip']}")
        if pod is None:
            return HttpResult(502, ingress_routing.page(502, "Bad Gateway"), None)
        try:
            status, body = traffic.http(ingress_routing.CONTROLLER, Target(pod, endpoint["ports"][sp.get("name", "")]),
                                        path, self.ctx.loop.clock.now())
        except NetError as e:
            code, text = (504, "Gateway Time-out") if "timeout" in str(e) else (502, "Bad Gateway")
            return HttpResult(code, ingress_routing.page(code, text), None)
        return HttpResult(status, body, pod["metadata"]["name"])

    def pod_network(self, namespace: str, name: str) -> PodNet:
        """The network object the kubelet gives a pod's processes (see images.network)."""
        return PodNet(self, namespace, name)


def _curl_error(message: str, host: str, port: int) -> str:
    """The NetError (Go style) as curl would word it."""
    if "no such host" in message or ("lookup" in message and "timeout" in message):
        return f"curl: (6) Could not resolve host: {host}"
    if "connection refused" in message:
        return f"curl: (7) Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server"
    if "timeout" in message:
        return f"curl: (28) Failed to connect to {host} port {port} after 10002 ms: Timeout was reached"
    return f"curl: (56) {message}"
