"""Cluster DNS: the records CoreDNS's ``kubernetes`` plugin serves (the DNS specification of
kubernetes/dns, docs "DNS for Services and Pods").

=================================================  ===========================================
name                                               answer
=================================================  ===========================================
``web.default.svc.cluster.local``                  the Service's ClusterIP (A)
``db.default.svc.cluster.local``, db headless      every ready endpoint's IP (A records)
``web-0.nginx.default.svc.cluster.local``          that endpoint (pods with hostname+subdomain,
                                                   i.e. StatefulSet pods behind a headless Service)
``10-244-1-3.nginx.default.svc.cluster.local``     an endpoint without hostname, by its IP
``10-244-1-3.default.pod.cluster.local``           10.244.1.3 (``pods insecure``: not checked)
``ext.default.svc.cluster.local``, ExternalName    a CNAME to ``spec.externalName``
=================================================  ===========================================

A pod's ``/etc/resolv.conf`` says ``search <ns>.svc.cluster.local svc.cluster.local
cluster.local`` and ``options ndots:5``: a name with fewer than five dots is tried with each
search domain first, then as is. That is why ``curl web`` works inside namespace ``default``
and ``curl web.other`` reaches namespace ``other``.

Simplifications: only A and CNAME; names outside ``cluster.local`` do not resolve (the mini
cluster has no internet); DNS works as long as the ``kube-dns`` Service exists - if pods match
its selector (a modelled CoreDNS), at least one must be ready.
"""
from __future__ import annotations

from typing import NamedTuple

from ..controllers.endpointutil import is_headless

SEARCH_NDOTS = 5


class Answer(NamedTuple):
    """A DNS answer: the A records, and the CNAME chain when an ExternalName was followed."""
    name: str
    addresses: list
    cname: str | None = None


class ClusterDNS:
    def __init__(self, network, domain="cluster.local"):
        self.network = network
        self.domain = domain

    def search_list(self, namespace: str) -> list[str]:
        d = self.domain
        return [f"{namespace}.svc.{d}", f"svc.{d}", d]

    def server_available(self) -> bool:
        svc = self.network.services.get("kube-dns", "kube-system")
        if svc is None:
            return False
        sel = (svc.get("spec") or {}).get("selector")
        if not sel:
            return True
        pods = [p for p in self.network.pods.list("kube-system")
                if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in sel.items())]
        return not pods or any(e["ready"] for e in self.network.endpoints_of(svc))

    def lookup(self, name: str, namespace: str = "default") -> Answer | None:
        """Resolve ``name`` as a pod in ``namespace`` would (search list, ndots:5)."""
        absolute = name.endswith(".")
        name = name.rstrip(".").lower()
        candidates = []
        if not absolute and name.count(".") < SEARCH_NDOTS:
            candidates += [f"{name}.{d}" for d in self.search_list(namespace)]
        candidates.append(name)
        for fqdn in candidates:
            answer = self.query(fqdn)
            if answer is not None:
                return answer
        return None

    def query(self, fqdn: str) -> Answer | None:
        """Answer one fully-qualified name, or None (NXDOMAIN)."""
        suffix = "." + self.domain
        if not fqdn.endswith(suffix):
            return None
        parts = fqdn[: -len(suffix)].split(".")
        if len(parts) == 3 and parts[2] == "pod":
            ip = parts[0].replace("-", ".")
            return Answer(fqdn, [ip]) if _is_ipv4(ip) else None
        if len(parts) == 3 and parts[2] == "svc":
            return self._service(fqdn, parts[1], parts[0])
        if len(parts) == 4 and parts[3] == "svc":
            return self._endpoint(fqdn, parts[2], parts[1], parts[0])
        return None

    def _service(self, fqdn, namespace, name):
        svc = self.network.services.get(name, namespace)
        if svc is None:
            return None
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return Answer(fqdn, [], spec.get("externalName"))
        if is_headless(svc):
            publish = bool(spec.get("publishNotReadyAddresses"))
            ips = sorted({e["ip"] for e in self.network.endpoints_of(svc) if e["ready"] or publish})
            return Answer(fqdn, ips)
        return Answer(fqdn, [spec.get("clusterIP")])

    def _endpoint(self, fqdn, namespace, service, label):
        svc = self.network.services.get(service, namespace)
        if svc is None:
            return None
        for e in self.network.endpoints_of(svc):
            if e.get("hostname") == label or e["ip"].replace(".", "-") == label:
                return Answer(fqdn, [e["ip"]])
        return None


def _is_ipv4(s: str) -> bool:
    parts = s.split(".")
    return len(parts) == 4 and all(p.isdigit() and 0 <= int(p) <= 255 for p in parts)
