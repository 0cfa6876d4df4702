"""Service IP and node-port allocation (pkg/registry/core/service/storage, ipallocator and
portallocator, v1.33).

Upstream this is the Service REST storage, not an admission plugin; it runs in the same spot
(before validation). A ClusterIP Service gets a virtual IP from ``--service-cluster-ip-range``
(10.96.0.0/12 by default with kubeadm), ``clusterIPs``, ``ipFamilies: [IPv4]`` and
``ipFamilyPolicy: SingleStack``; NodePort and LoadBalancer ports get a node port from
30000-32767. On update, allocated values the client left out are kept.

The network module may own allocation: if ``api.network`` has ``allocate_cluster_ip(service)``
(and optionally ``allocate_node_port(service)``), it is called instead of the built-in
allocator, which picks at random (seeded) from the upper part of each range, as upstream's
allocators do (the lower band is kept for addresses users choose).
"""
from __future__ import annotations

import ipaddress

from .. import errors
from ..upstream import SERVICE_CLUSTER_IP_RANGE, SERVICE_NODE_PORT_RANGE
from .common import Request, list_in

_NETWORK = ipaddress.ip_network(SERVICE_CLUSTER_IP_RANGE)


def _used_ips(api) -> set:
    return {ip for svc in list_in(api, "services") for ip in
            ((svc.get("spec") or {}).get("clusterIPs") or ()) if ip and ip != "None"}


def _used_node_ports(api) -> set:
    return {p.get("nodePort") for svc in list_in(api, "services")
            for p in (svc.get("spec") or {}).get("ports") or () if p.get("nodePort")}


def _invalid(req: Request, field: str, value: str, detail: str) -> errors.ApiError:
    cause = {"reason": "FieldValueInvalid", "field": field,
             "message": f"Invalid value: {value}: {detail}"}
    return errors.invalid(req.rt.kind, (req.obj.get("metadata") or {}).get("name", ""), [cause])


def allocate_cluster_ip(api, req: Request, rng) -> str:
    network = getattr(api, "network", None)
    if network is not None and hasattr(network, "allocate_cluster_ip"):
        return network.allocate_cluster_ip(req.obj)
    used = _used_ips(api)
    size = _NETWORK.num_addresses
    static_band = min(max(16, size // 16), 256)
    while True:
        ip = str(_NETWORK.network_address + rng.randrange(static_band, size - 1))
        if ip not in used:
            return ip


def allocate_node_port(api, req: Request, rng, used: set) -> int:
    network = getattr(api, "network", None)
    if network is not None and hasattr(network, "allocate_node_port"):
        return network.allocate_node_port(req.obj)
    lo, hi = SERVICE_NODE_PORT_RANGE
    static_band = min(max(16, (hi - lo + 1) // 16), 128)
    while True:
        port = rng.randrange(lo + static_band, hi + 1)
        if port not in used:
            return port


def _check_requested_ip(api, req: Request, ip: str) -> None:
    value = '[]string{"' + ip + '"}'
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return  # validation reports the syntax error
    if addr not in _NETWORK:
        raise _invalid(req, "spec.clusterIPs", value, f"failed to allocate IP {ip}: the provided "
                       f"IP ({ip}) is not in the valid range. The range of valid IPs is "
                       f"{SERVICE_CLUSTER_IP_RANGE}")
    if ip in _used_ips(api):
        raise _invalid(req, "spec.clusterIPs", value,
                       f"failed to allocate IP {ip}: provided IP is already allocated")


def _node_ports(api, req: Request, rng, old_spec: dict | None) -> None:
    spec = req.obj["spec"]
    if spec.get("type") not in ("NodePort", "LoadBalancer") or \
            spec.get("allocateLoadBalancerNodePorts") is False:
        return
    old_ports = {(p.get("protocol"), p.get("port")): p.get("nodePort")
                 for p in (old_spec or {}).get("ports") or ()}
    used = _used_node_ports(api) - set(old_ports.values())
    for p in spec.get("ports") or ():
        if not p.get("nodePort"):
            kept = old_ports.get((p.get("protocol"), p.get("port")))
            p["nodePort"] = kept or allocate_node_port(api, req, rng, used)
        used.add(p["nodePort"])


def allocate(api, req: Request, rng) -> None:
    """Allocate (create) or keep (update) a Service's cluster IP and node ports."""
    if req.rt.kind != "Service" or req.operation not in ("CREATE", "UPDATE"):
        return
    spec = req.obj.setdefault("spec", {})
    if spec.get("type") == "ExternalName":
        return
    old_spec = (req.old or {}).get("spec") if req.operation == "UPDATE" else None
    if old_spec and old_spec.get("type") != "ExternalName":
        for f in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
            if not spec.get(f) and old_spec.get(f):
                spec[f] = old_spec[f]
    ip = spec.get("clusterIP") or (spec.get("clusterIPs") or [None])[0]
    if not ip:
        ip = allocate_cluster_ip(api, req, rng)
    elif ip != "None" and req.operation == "CREATE":
        _check_requested_ip(api, req, ip)
    spec["clusterIP"] = ip
    spec["clusterIPs"] = [ip]
    spec.setdefault("ipFamilies", ["IPv4"])
    spec.setdefault("ipFamilyPolicy", "SingleStack")
    _node_ports(api, req, rng, old_spec)
