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


def _port_range(api) -> tuple[int, int]:
    network = getattr(api, "network", None)
    return getattr(getattr(network, "addresses", None), "node_port_range", SERVICE_NODE_PORT_RANGE)


def _node_ports_in_use(api, req: Request) -> set:
    """Ports held by the other Services (a Service's own old ports are not in the way)."""
    network = getattr(api, "network", None)
    if network is not None and hasattr(getattr(network, "addresses", None), "used_node_ports"):
        return network.addresses.used_node_ports(req.obj)
    meta = req.obj.get("metadata") or {}
    me = (meta.get("namespace"), meta.get("name"))
    return {p.get("nodePort") for svc in list_in(api, "services")
            if (svc["metadata"].get("namespace"), svc["metadata"]["name"]) != me
            for p in (svc.get("spec") or {}).get("ports") or () if p.get("nodePort")}


def _reserve_error(api, port: int, in_use: set) -> str | None:
    """portallocator.Allocate's error for a requested port, if any."""
    lo, hi = _port_range(api)
    if not lo <= port <= hi:
        return (f"provided port is not in the valid range. The range of valid ports is "
                f"{lo}-{hi}")
    if port in in_use:
        return "provided port is already allocated"
    return None


def _needs_node_ports(spec: dict) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


def _needs_health_check(spec: dict) -> bool:
    """apiservice.NeedsHealthCheck: LoadBalancer with externalTrafficPolicy Local."""
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _drop_type_dependent(spec: dict, old_spec: dict) -> None:
    """dropTypeDependentFields (service/strategy.go): node ports and the health-check node
    port the client left as they were are dropped when the new type no longer needs them."""
    old_ports = [p.get("nodePort") for p in old_spec.get("ports") or ()]
    if _needs_node_ports(old_spec) and not _needs_node_ports(spec) and \
            [p.get("nodePort") for p in spec.get("ports") or ()] == old_ports:
        for p in spec.get("ports") or ():
            p.pop("nodePort", None)
    if _needs_health_check(old_spec) and not _needs_health_check(spec) and \
            spec.get("healthCheckNodePort") == old_spec.get("healthCheckNodePort"):
        spec.pop("healthCheckNodePort", None)


def _node_ports(api, req: Request, rng, old_spec: dict | None) -> None:
    """initNodePorts / updateNodePorts (service/storage/alloc.go): requested ports are
    reserved (or refused with 422), the others allocated; ports with the same ``port`` number
    (TCP and UDP) share one node port. Ports the Service already held are kept."""
    spec = req.obj["spec"]
    if not _needs_node_ports(spec):
        return
    auto = not (spec.get("type") == "LoadBalancer" and
                spec.get("allocateLoadBalancerNodePorts") is False)
    old_by_port = {(p.get("protocol"), p.get("port")): p.get("nodePort")
                   for p in (old_spec or {}).get("ports") or ()}
    held = {p.get("nodePort") for p in (old_spec or {}).get("ports") or ()}
    in_use = _node_ports_in_use(api, req)
    by_number: dict = {}
    for i, p in enumerate(spec.get("ports") or ()):
        np = p.get("nodePort") or old_by_port.get((p.get("protocol"), p.get("port")))
        shared = by_number.get(p.get("port"))
        if not np:
            np = shared or (allocate_node_port(api, req, rng, in_use) if auto else None)
        elif np != shared and np not in held:
            err = _reserve_error(api, np, in_use)
            if err:
                raise _invalid(req, f"spec.ports[{i}].nodePort", str(np), err)
        if np:
            p["nodePort"] = np
            in_use.add(np)
            by_number.setdefault(p.get("port"), np)


def _health_check_node_port(api, req: Request, rng, old_spec: dict | None) -> None:
    """allocHealthCheckNodePort: a LoadBalancer Service with externalTrafficPolicy Local gets
    a node port for the load balancer's health checks (kube-proxy answers on it)."""
    spec = req.obj["spec"]
    if not _needs_health_check(spec):
        return
    port, old = spec.get("healthCheckNodePort"), (old_spec or {}).get("healthCheckNodePort")
    if port and port == old:
        return
    in_use = _node_ports_in_use(api, req) | {p.get("nodePort") for p in spec.get("ports") or ()}
    if port:
        err = _reserve_error(api, port, in_use)
        if err:
            raise errors.internal(f"failed to allocate requested HealthCheck NodePort {port}: "
                                  f"{err}")
    elif old:
        spec["healthCheckNodePort"] = old
    else:
        spec["healthCheckNodePort"] = allocate_node_port(api, req, rng, in_use)


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
    if old_spec:
        _drop_type_dependent(spec, old_spec)
    _node_ports(api, req, rng, old_spec)
    _health_check_node_port(api, req, rng, old_spec)
