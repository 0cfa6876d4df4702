"""``kubectl get`` rows for everything that is not a workload: nodes, namespaces, events,
services and endpoints, networking, configuration, storage, RBAC, quotas and leases
(upstream pkg/printers/internalversion/printers.go).

Kinds without a printer there (Role, ClusterRole, LimitRange...) get the API server's default
table, ``NAME`` and ``CREATED AT`` (k8s.io/apiserver/pkg/registry/rest/table.go).
"""
from __future__ import annotations

from ..formatting import canonical_quantity, format_label_selector, format_labels, since
from ..formatting import sum_quantities
from ..formatting import parse_quantity, quantity_format, rfc3339, parse_time

ROLE_PREFIX, ROLE_LABEL = "node-role.kubernetes.io/", "kubernetes.io/role"


def _age(obj, now):
    return since(obj["metadata"].get("creationTimestamp"), now)


def _name(obj):
    return obj["metadata"]["name"]


def _simple(*extra):
    return [("Name", "string", "name", 0), *extra, ("Age", "string", "", 0)]


# -- nodes and namespaces -------------------------------------------------------------------------

NODE = [("Name", "string", "name", 0), ("Status", "string", "", 0), ("Roles", "string", "", 0),
        ("Age", "string", "", 0), ("Version", "string", "", 0),
        ("Internal-IP", "string", "", 1), ("External-IP", "string", "", 1),
        ("OS-Image", "string", "", 1), ("Kernel-Version", "string", "", 1),
        ("Container-Runtime", "string", "", 1)]


def node_roles(node: dict) -> list[str]:
    """findNodeRoles: ``node-role.kubernetes.io/<role>`` keys and ``kubernetes.io/role`` values."""
    roles = set()
    for k, v in (node["metadata"].get("labels") or {}).items():
        if k.startswith(ROLE_PREFIX) and k[len(ROLE_PREFIX):]:
            roles.add(k[len(ROLE_PREFIX):])
        elif k == ROLE_LABEL and v:
            roles.add(v)
    return sorted(roles)


def node_status(node: dict) -> str:
    """``Ready``/``NotReady``/``Unknown``, plus ``SchedulingDisabled`` when cordoned."""
    status = []
    for c in (node.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready":
            status = ["Ready" if c.get("status") == "True" else "NotReady"]
    status = status or ["Unknown"]
    if (node.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    return ",".join(status)


def _address(node, kind):
    for a in (node.get("status") or {}).get("addresses") or ():
        if a.get("type") == kind:
            return a.get("address", "")
    return "<none>"


def node(n: dict, now) -> list:
    info = (n.get("status") or {}).get("nodeInfo") or {}
    return [_name(n), node_status(n), ",".join(node_roles(n)) or "<none>", _age(n, now),
            info.get("kubeletVersion", ""), _address(n, "InternalIP"), _address(n, "ExternalIP"),
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


NAMESPACE = [("Name", "string", "name", 0), ("Status", "string", "", 0), ("Age", "string", "", 0)]


def namespace(ns: dict, now) -> list:
    return [_name(ns), (ns.get("status") or {}).get("phase", ""), _age(ns, now)]


# -- events ---------------------------------------------------------------------------------------

EVENT = [("Last Seen", "string", "", 0), ("Type", "string", "", 0), ("Reason", "string", "", 0),
         ("Object", "string", "", 0), ("Subobject", "string", "", 1), ("Source", "string", "", 1),
         ("Message", "string", "", 0), ("First Seen", "string", "", 1), ("Count", "string", "", 1),
         ("Name", "string", "name", 1)]


def event_source(e: dict) -> str:
    """formatEventSource: ``component, host``, from ``reportingComponent``/``reportingInstance``
    when ``source`` is empty (events of the events.k8s.io recorder)."""
    src = e.get("source") or {}
    component = src.get("component") or e.get("reportingComponent") or ""
    host = src.get("host") or e.get("reportingInstance") or ""
    return f"{component}, {host}" if host else component


def event(e: dict, now) -> list:
    """printEvent; an events.k8s.io/v1 Event is printed from its core/v1 form, as the API server
    converts both to the same internal object before printing."""
    from labkit.minicluster.conversion import as_core_event
    e = as_core_event(e)
    first = since(e.get("firstTimestamp"), now) if e.get("firstTimestamp") else \
        since(e.get("eventTime"), now)
    last = since(e.get("lastTimestamp"), now) if e.get("lastTimestamp") else first
    count = e.get("count") or 1
    if e.get("series"):
        last = since(e["series"].get("lastObservedTime"), now)
        count = e["series"].get("count", 0)
    inv = e.get("involvedObject") or {}
    target = f"{inv.get('kind', '').lower()}/{inv['name']}" if inv.get("name") else \
        inv.get("kind", "").lower()
    return [last, e.get("type", ""), e.get("reason", ""), target, inv.get("fieldPath", ""),
            event_source(e), (e.get("message") or "").strip(), first, count, _name(e)]


# -- services and networking ----------------------------------------------------------------------

SERVICE = [("Name", "string", "name", 0), ("Type", "string", "", 0), ("Cluster-IP", "string", "", 0),
           ("External-IP", "string", "", 0), ("Port(s)", "string", "", 0), ("Age", "string", "", 0),
           ("Selector", "string", "", 1)]


def _lb_status(lb: dict | None, wide: bool) -> str:
    ips = sorted({i.get("ip") or i.get("hostname") for i in (lb or {}).get("ingress") or ()
                  if i.get("ip") or i.get("hostname")})
    r = ",".join(ips)
    return r if wide or len(r) <= 16 else r[:13] + "..."


def external_ip(svc: dict, wide: bool) -> str:
    spec = svc.get("spec") or {}
    stype, ext = spec.get("type", "ClusterIP"), spec.get("externalIPs") or []
    if stype in ("ClusterIP", "NodePort"):
        return ",".join(ext) if ext else "<none>"
    if stype == "LoadBalancer":
        lb = _lb_status((svc.get("status") or {}).get("loadBalancer"), wide)
        if ext:
            return ",".join(([*lb.split(",")] if lb else []) + ext)
        return lb or "<pending>"
    if stype == "ExternalName":
        return spec.get("externalName", "")
    return "<unknown>"


def port_string(ports) -> str:
    out = []
    for p in ports or ():
        proto = p.get("protocol", "TCP")
        out.append(f"{p.get('port')}:{p['nodePort']}/{proto}" if p.get("nodePort")
                   else f"{p.get('port')}/{proto}")
    return ",".join(out)


def service(svc: dict, now) -> list:
    """Simplification: the EXTERNAL-IP of load balancers is always given in its wide form (the
    API server sends one table; kubectl clips it to 16 characters only in normal output)."""
    spec = svc.get("spec") or {}
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    return [_name(svc), spec.get("type", ""), ips[0] if ips else "<none>", external_ip(svc, False),
            port_string(spec.get("ports")) or "<none>", _age(svc, now),
            format_labels(spec.get("selector"))]


def _more(items: list, count: int, limit: int = 3, empty: str = "<none>") -> str:
    text = ",".join(items[:limit])
    if count > limit:
        return f"{text} + {count - limit} more..."
    return text or empty


def _host_port(ip: str, port) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def endpoints(ep: dict, now) -> list:
    subsets = ep.get("subsets") or ()
    items, count = [], 0
    for ss in subsets:
        addrs = [a.get("ip", "") for a in ss.get("addresses") or ()]
        if not ss.get("ports"):
            count += len(addrs)
            items.extend(addrs)
            continue
        for p in ss["ports"]:
            count += len(addrs)
            items.extend(_host_port(a, p.get("port")) for a in addrs)
    return [_name(ep), _more(items, count, empty="") if subsets else "<none>", _age(ep, now)]


ENDPOINTSLICE = _simple(("AddressType", "string", "", 0), ("Ports", "string", "", 0),
                        ("Endpoints", "string", "", 0))


def endpointslice(es: dict, now) -> list:
    ports = [str(p["port"]) if p.get("port") is not None else (p.get("name") or "*")
             for p in es.get("ports") or ()]
    addrs = [a for e in es.get("endpoints") or () for a in e.get("addresses") or ()]
    return [_name(es), es.get("addressType", ""), _more(ports, len(ports), empty="<unset>"),
            _more(addrs, len(addrs), empty="<unset>"), _age(es, now)]


INGRESS = _simple(("Class", "string", "", 0), ("Hosts", "string", "", 0),
                  ("Address", "string", "", 0), ("Ports", "string", "", 0))


def ingress(ing: dict, now) -> list:
    spec = ing.get("spec") or {}
    rules = spec.get("rules") or []
    hosts: list[str] = []
    more = False
    for r in rules:  # formatHosts: the first three hosts, then "+ N more..."
        if len(hosts) == 3:
            more = True
        if not more and r.get("host"):
            hosts.append(r["host"])
    host_text = ",".join(hosts) or "*"
    if more and hosts:
        host_text = f"{host_text} + {len(rules) - 3} more..."
    return [_name(ing), spec.get("ingressClassName") or "<none>", host_text,
            _lb_status((ing.get("status") or {}).get("loadBalancer"), False),
            "80, 443" if spec.get("tls") else "80", _age(ing, now)]


def ingressclass(ic: dict, now) -> list:
    spec = ic.get("spec") or {}
    params = spec.get("parameters")
    text = "<none>"
    if params:
        text = params.get("kind", "") + (f".{params['apiGroup']}" if params.get("apiGroup") else "")
        text += "/" + params.get("name", "")
    return [_name(ic), spec.get("controller", ""), text, _age(ic, now)]


def networkpolicy(np: dict, now) -> list:
    return [_name(np), format_label_selector((np.get("spec") or {}).get("podSelector")), _age(np, now)]


# -- configuration, storage, RBAC -----------------------------------------------------------------

def configmap(cm: dict, now) -> list:
    return [_name(cm), len(cm.get("data") or {}) + len(cm.get("binaryData") or {}), _age(cm, now)]


def secret(s: dict, now) -> list:
    return [_name(s), s.get("type", ""), len(s.get("data") or {}), _age(s, now)]


def serviceaccount(sa: dict, now) -> list:
    return [_name(sa), len(sa.get("secrets") or ()), _age(sa, now)]


_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
          "ReadWriteOncePod": "RWOP"}


def access_modes(modes) -> str:
    """helper.GetAccessModesAsString: short names in a fixed order, de-duplicated."""
    present = set(modes or ())
    return ",".join(_MODES[m] for m in ("ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
                                        "ReadWriteOncePod") if m in present)


def _qty(v) -> str:
    return canonical_quantity(parse_quantity(v), quantity_format(v)) if v is not None else "0"


PV = [("Name", "string", "name", 0), ("Capacity", "string", "", 0), ("Access Modes", "string", "", 0),
      ("Reclaim Policy", "string", "", 0), ("Status", "string", "", 0), ("Claim", "string", "", 0),
      ("StorageClass", "string", "", 0), ("VolumeAttributesClass", "string", "", 0),
      ("Reason", "string", "", 0), ("Age", "string", "", 0), ("VolumeMode", "string", "", 1)]


def pv(v: dict, now) -> list:
    spec, st = v.get("spec") or {}, v.get("status") or {}
    claim = spec.get("claimRef")
    claim_text = f"{claim.get('namespace', '')}/{claim.get('name', '')}" if claim else ""
    phase = "Terminating" if v["metadata"].get("deletionTimestamp") else st.get("phase", "")
    sc = spec.get("storageClassName") or \
        (v["metadata"].get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class", "")
    return [_name(v), _qty((spec.get("capacity") or {}).get("storage")),
            access_modes(spec.get("accessModes")), spec.get("persistentVolumeReclaimPolicy", ""),
            phase, claim_text, sc, spec.get("volumeAttributesClassName") or "<unset>",
            st.get("reason", ""), _age(v, now), spec.get("volumeMode") or "<unset>"]


PVC = [("Name", "string", "name", 0), ("Status", "string", "", 0), ("Volume", "string", "", 0),
       ("Capacity", "string", "", 0), ("Access Modes", "string", "", 0),
       ("StorageClass", "string", "", 0), ("VolumeAttributesClass", "string", "", 0),
       ("Age", "string", "", 0), ("VolumeMode", "string", "", 1)]


def pvc(c: dict, now) -> list:
    spec, st = c.get("spec") or {}, c.get("status") or {}
    phase = "Terminating" if c["metadata"].get("deletionTimestamp") else st.get("phase", "")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(st.get("accessModes"))
        capacity = _qty((st.get("capacity") or {}).get("storage"))
    sc = spec.get("storageClassName") or \
        (c["metadata"].get("annotations") or {}).get("volume.beta.kubernetes.io/storage-class", "")
    return [_name(c), phase, spec.get("volumeName", ""), capacity, modes, sc,
            spec.get("volumeAttributesClassName") or "<unset>", _age(c, now),
            spec.get("volumeMode") or "<unset>"]


STORAGECLASS = _simple(("Provisioner", "string", "", 0), ("ReclaimPolicy", "string", "", 0),
                       ("VolumeBindingMode", "string", "", 0),
                       ("AllowVolumeExpansion", "string", "", 0))


def storageclass(sc: dict, now) -> list:
    ann = sc["metadata"].get("annotations") or {}
    default = "true" in (ann.get("storageclass.kubernetes.io/is-default-class"),
                         ann.get("storageclass.beta.kubernetes.io/is-default-class"))
    return [_name(sc) + (" (default)" if default else ""), sc.get("provisioner", ""),
            sc.get("reclaimPolicy") or "Delete", sc.get("volumeBindingMode") or "Immediate",
            bool(sc.get("allowVolumeExpansion")), _age(sc, now)]


RESOURCEQUOTA = _simple(("Request", "string", "", 0), ("Limit", "string", "", 0))


def resourcequota(q: dict, now) -> list:
    st = q.get("status") or {}
    hard, used = st.get("hard") or {}, st.get("used") or {}
    req, lim = [], []
    for res in sorted(hard):
        target = lim if res.split(".")[0] == "limits" and "." in res else req
        target.append(f"{res}: {_qty(used.get(res, '0'))}/{_qty(hard[res])}")
    return [_name(q), ", ".join(req), ", ".join(lim), _age(q, now)]


PRIORITYCLASS = [("Name", "string", "name", 0), ("Value", "integer", "", 0),
                 ("Global-Default", "boolean", "", 0), ("Age", "string", "", 0),
                 ("PreemptionPolicy", "string", "", 1)]


def priorityclass(pc: dict, now) -> list:
    return [_name(pc), pc.get("value", 0), bool(pc.get("globalDefault")), _age(pc, now),
            pc.get("preemptionPolicy", "")]


def lease(le: dict, now) -> list:
    return [_name(le), (le.get("spec") or {}).get("holderIdentity", ""), _age(le, now)]


ROLEBINDING = [("Name", "string", "name", 0), ("Role", "string", "", 0), ("Age", "string", "", 0),
               ("Users", "string", "", 1), ("Groups", "string", "", 1),
               ("ServiceAccounts", "string", "", 1)]


def rolebinding(rb: dict, now) -> list:
    ref = rb.get("roleRef") or {}
    users, groups, sas = [], [], []
    for s in rb.get("subjects") or ():
        if s.get("kind") == "User":
            users.append(s.get("name", ""))
        elif s.get("kind") == "Group":
            groups.append(s.get("name", ""))
        elif s.get("kind") == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{s.get('name', '')}")
    return [_name(rb), f"{ref.get('kind', '')}/{ref.get('name', '')}", _age(rb, now),
            ", ".join(users), ", ".join(groups), ", ".join(sas)]


# -- the metrics API (metrics-server pkg/api/table.go) ------------------------------------------

METRICS = [("Name", "string", "name", 0), ("cpu", "string", "quantity", 0),
           ("memory", "string", "quantity", 0), ("Window", "string", "duration", 0)]


def metrics(obj: dict, now) -> list:
    """A PodMetrics row adds up its containers' usage (``Quantity.Add``)."""
    usages = [c.get("usage") or {} for c in obj.get("containers") or ()] \
        if "containers" in obj else [obj.get("usage") or {}]
    cells = [_name(obj)]
    for res in ("cpu", "memory"):
        total, fmt = sum_quantities(u.get(res) for u in usages)
        cells.append(canonical_quantity(total, fmt))
    return cells + [obj.get("window", "")]


DEFAULT = [("Name", "string", "name", 0), ("Created At", "date", "", 0)]


def default(obj: dict, now) -> list:
    """The API server's default table for kinds without a printer."""
    t = parse_time(obj["metadata"].get("creationTimestamp"))
    return [_name(obj), rfc3339(t) if t is not None else ""]


PRINTERS = {
    "Node": (NODE, node),
    "Namespace": (NAMESPACE, namespace),
    "Event": (EVENT, event),
    "Service": (SERVICE, service),
    "Endpoints": (_simple(("Endpoints", "string", "", 0)), endpoints),
    "EndpointSlice": (ENDPOINTSLICE, endpointslice),
    "Ingress": (INGRESS, ingress),
    "IngressClass": (_simple(("Controller", "string", "", 0), ("Parameters", "string", "", 0)),
                     ingressclass),
    "NetworkPolicy": (_simple(("Pod-Selector", "string", "", 0)), networkpolicy),
    "ConfigMap": (_simple(("Data", "string", "", 0)), configmap),
    "Secret": (_simple(("Type", "string", "", 0), ("Data", "string", "", 0)), secret),
    "ServiceAccount": (_simple(("Secrets", "string", "", 0)), serviceaccount),
    "PersistentVolume": (PV, pv),
    "PersistentVolumeClaim": (PVC, pvc),
    "StorageClass": (STORAGECLASS, storageclass),
    "ResourceQuota": (RESOURCEQUOTA, resourcequota),
    "PriorityClass": (PRIORITYCLASS, priorityclass),
    "Lease": (_simple(("Holder", "string", "", 0)), lease),
    "RoleBinding": (ROLEBINDING, rolebinding),
    "ClusterRoleBinding": (ROLEBINDING, rolebinding),
    "PodMetrics": (METRICS, metrics),
    "NodeMetrics": (METRICS, metrics),
}
