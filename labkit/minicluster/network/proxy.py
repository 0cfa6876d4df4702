"""kube-proxy in iptables mode: how a packet to a Service reaches a pod.

A ClusterIP is not an address of any machine: on every node kube-proxy installs rules (from the
Services and their EndpointSlices) that rewrite ("DNAT") a packet sent to ``ClusterIP:port`` into
``podIP:targetPort`` of one endpoint:

- the endpoint is chosen **uniformly at random** among the *ready* ones (iptables'
  ``statistic --mode random`` chain), independently for each new connection;
- with ``sessionAffinity: ClientIP`` a client keeps its endpoint for
  ``sessionAffinityConfig.clientIP.timeoutSeconds`` (10800 s by default);
- with ``internalTrafficPolicy: Local`` only endpoints on the client's node are used;
- if no endpoint is ready, terminating-but-serving ones are used (graceful draining);
- a Service with no usable endpoint REJECTs: the client gets "Connection refused".

NodePorts (``<any node IP>:<nodePort>``) and LoadBalancer ingress IPs lead to the same
endpoints; ``externalTrafficPolicy: Local`` keeps only the receiving node's endpoints (and drops
the packet if there is none).

Simplification: one shared rule set for all nodes (they are identical in iptables mode, except
for the Local policies, which are applied per client node).
"""
from __future__ import annotations

from typing import NamedTuple

DEFAULT_AFFINITY_TIMEOUT = 10800  # v1.DefaultClientIPServiceAffinitySeconds


class Route(NamedTuple):
    """Where kube-proxy sent a connection: the Service port and the chosen endpoint."""
    service: dict
    port: dict            # the Service port that matched
    endpoint: dict | None  # see Network.endpoints_of; None when nothing can serve
    target_port: int | None
    error: str | None     # "refused" or "dropped" when endpoint is None


class KubeProxy:
    def __init__(self, network, rng):
        self.network = network
        self.rng = rng
        self.affinity: dict[tuple, tuple] = {}  # (svc uid, port name, client ip) -> (ep ip, expiry)

    def find_service(self, ip: str, port: int, protocol: str, via_node: str | None = None):
        """The (Service, Service port, mode) a destination ``ip:port`` belongs to, or None."""
        for svc in self.network.services.list():
            spec = svc.get("spec") or {}
            for sp in spec.get("ports") or ():
                if sp.get("protocol", "TCP") != protocol:
                    continue
                if sp.get("port") == port and (ip == spec.get("clusterIP") or ip in (spec.get("externalIPs") or ())):
                    return svc, sp, "cluster"
                lb_ips = [i.get("ip") for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()]
                if sp.get("port") == port and ip in lb_ips:
                    return svc, sp, "external"
                if via_node and sp.get("nodePort") == port:
                    return svc, sp, "external"
        return None

    def route(self, client_ip, client_node, svc, sp, mode, receiving_node=None) -> Route:
        spec = svc.get("spec") or {}
        endpoints = [e for e in self.network.endpoints_of(svc) if sp.get("name", "") in e["ports"]]
        restrict = (mode == "cluster" and spec.get("internalTrafficPolicy") == "Local") or \
            (mode == "external" and spec.get("externalTrafficPolicy") == "Local")
        if restrict:
            node = client_node if mode == "cluster" else receiving_node
            endpoints = [e for e in endpoints if e.get("nodeName") == node]
        usable = [e for e in endpoints if e["ready"]] or \
            [e for e in endpoints if e["serving"] and e["terminating"]]
        if not usable:  # no local endpoint: dropped; no endpoint at all: REJECT
            return Route(svc, sp, None, None, "dropped" if restrict else "refused")
        endpoint = self._choose(svc, sp, client_ip, usable)
        return Route(svc, sp, endpoint, endpoint["ports"][sp.get("name", "")], None)

    def _choose(self, svc, sp, client_ip, usable):
        spec = svc.get("spec") or {}
        now = self.network.ctx.loop.clock.now()
        key = (svc["metadata"]["uid"], sp.get("name", ""), client_ip)
        if spec.get("sessionAffinity") == "ClientIP":
            held = self.affinity.get(key)
            if held and held[1] > now:
                for e in usable:
                    if e["ip"] == held[0]:
                        self.affinity[key] = (e["ip"], now + self._timeout(spec))
                        return e
        endpoint = usable[self.rng.randrange(len(usable))]
        if spec.get("sessionAffinity") == "ClientIP":
            self.affinity[key] = (endpoint["ip"], now + self._timeout(spec))
        return endpoint

    @staticmethod
    def _timeout(spec) -> float:
        cfg = ((spec.get("sessionAffinityConfig") or {}).get("clientIP") or {})
        return cfg.get("timeoutSeconds") or DEFAULT_AFFINITY_TIMEOUT
