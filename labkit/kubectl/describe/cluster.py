"""``kubectl describe`` for nodes, namespaces, services, endpoints, config maps, secrets,
service accounts and RBAC objects (upstream describe.go)."""
from __future__ import annotations

import base64
from decimal import Decimal

from ..columns.cluster import node_roles
from ..formatting import (canonical_quantity, format_labels, parse_quantity, quantity_format,
                          quantity_string, rfc1123z, since)
from .writer import (PrefixWriter, annotations_multiline, events_section, labels_multiline,
                     standard_header, taints_multiline)

# -- node -----------------------------------------------------------------------------------------


def describe_node(node: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta, spec, st = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or '<none>'}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    _lease(w, api, meta["name"])
    if st.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t"
                       f"{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for a in st.get("addresses") or ():
        w.write(1, f"{a.get('type')}:\t{a.get('address')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            w.write(0, f"{title}:\n")
            for res in sorted(st[key]):
                w.write(0, f"  {res}:\t{quantity_string(st[key][res])}\n")
    info = st.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion")):
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    pods = api.list("pods", None, field_selector=f"spec.nodeName={meta['name']},"
                    "status.phase!=Succeeded,status.phase!=Failed")["items"]
    _node_resources(w, pods, node, now)
    events_section(w, events, now)
    return w.text()


def _lease(w: PrefixWriter, api, name: str) -> None:
    from labkit.minicluster import errors
    try:
        lease = api.get("leases", name, "kube-node-lease")
    except errors.ApiError as e:
        w.write(0, f"Lease:\tFailed to get lease: {e.message}\n")
        return
    spec = lease.get("spec") or {}
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{spec.get('holderIdentity') or '<unset>'}\n")
    for title, key in (("AcquireTime", "acquireTime"), ("RenewTime", "renewTime")):
        w.write(1, f"{title}:\t{rfc1123z(spec[key]) if spec.get(key) else '<unset>'}\n")


def pod_totals(pod: dict, which: str) -> dict[str, tuple[Decimal, str]]:
    """resourcehelper.PodRequests/PodLimits: per resource, the larger of the containers' sum
    and the largest init container, plus the pod overhead. Values keep their quantity format."""
    spec = pod.get("spec") or {}
    if spec.get("resources") and (spec["resources"].get(which)):
        return {k: (parse_quantity(v), quantity_format(v)) for k, v in spec["resources"][which].items()}
    total: dict = {}
    for c in spec.get("containers") or ():
        for k, v in ((c.get("resources") or {}).get(which) or {}).items():
            d, fmt = total.get(k, (Decimal(0), quantity_format(v)))
            total[k] = (d + parse_quantity(v), fmt)
    for c in spec.get("initContainers") or ():
        for k, v in ((c.get("resources") or {}).get(which) or {}).items():
            if parse_quantity(v) > total.get(k, (Decimal(0), ""))[0]:
                total[k] = (parse_quantity(v), quantity_format(v))
    for k, v in (spec.get("overhead") or {}).items():
        d, fmt = total.get(k, (Decimal(0), quantity_format(v)))
        total[k] = (d + parse_quantity(v), fmt)
    return total


def _q(entry) -> str:
    return canonical_quantity(entry[0], entry[1]) if entry else "0"


def _pct(value, allocatable, milli: bool) -> int:
    if not allocatable:
        return 0
    scale = 1000 if milli else 1
    v, a = int(value * scale), int(allocatable * scale)
    return int(v / a * 100) if a else 0


def _node_resources(w: PrefixWriter, pods: list, node: dict, now) -> None:
    st = node.get("status") or {}
    alloc_src = st.get("allocatable") or st.get("capacity") or {}
    alloc = {k: parse_quantity(v) for k, v in alloc_src.items()}
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    req_sum: dict = {}
    lim_sum: dict = {}
    for pod in pods:
        req, lim = pod_totals(pod, "requests"), pod_totals(pod, "limits")
        cells = []
        for table, res, milli in ((req, "cpu", True), (lim, "cpu", True), (req, "memory", False),
                                  (lim, "memory", False)):
            entry = table.get(res)
            cells.append(f"{_q(entry)} ({_pct(entry[0] if entry else 0, alloc.get(res), milli)}%)")
        w.write(1, f"{pod['metadata'].get('namespace', '')}\t{pod['metadata']['name']}\t\t"
                   f"{cells[0]}\t{cells[1]}\t{cells[2]}\t{cells[3]}\t"
                   f"{since(pod['metadata'].get('creationTimestamp'), now)}\n")
        for src, dst in ((req, req_sum), (lim, lim_sum)):
            for k, (d, fmt) in src.items():
                total, f0 = dst.get(k, (Decimal(0), fmt))
                dst[k] = (total + d, f0)
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for res, milli in (("cpu", True), ("memory", False), ("ephemeral-storage", False)):
        r, li = req_sum.get(res), lim_sum.get(res)
        w.write(1, f"{res}\t{_q(r)} ({_pct(r[0] if r else 0, alloc.get(res), milli)}%)\t"
                   f"{_q(li)} ({_pct(li[0] if li else 0, alloc.get(res), milli)}%)\n")
    huge = sorted(k for k in alloc if k.startswith("hugepages-"))
    for res in huge:
        r, li = req_sum.get(res), lim_sum.get(res)
        w.write(1, f"{res}\t{_q(r)} ({_pct(r[0] if r else 0, alloc.get(res), False)}%)\t"
                   f"{_q(li)} ({_pct(li[0] if li else 0, alloc.get(res), False)}%)\n")
    standard = {"cpu", "memory", "ephemeral-storage", "storage", "pods"}
    for res in sorted(k for k in alloc if k not in standard and not k.startswith("hugepages-")):
        w.write(1, f"{res}\t{_q(req_sum.get(res))}\t{_q(lim_sum.get(res))}\n")


# -- namespace ------------------------------------------------------------------------------------

def describe_namespace(ns: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta, st = ns["metadata"], ns.get("status") or {}
    standard_header(w, meta, namespace=False)
    w.write(0, f"Status:\t{st.get('phase', '')}\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t------------------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')}\t{c.get('status')}\t{rfc1123z(c.get('lastTransitionTime'))}\t"
                       f"{c.get('reason', '')}\t{c.get('message', '')}\n")
    w.write(0, "\n")
    quotas = sorted(api.list("resourcequotas", meta["name"])["items"], key=lambda q: q["metadata"]["name"])
    if not quotas:
        w.write(0, "No resource quota.\n")
    else:
        w.write(0, "Resource Quotas\n")
        for q in quotas:
            _quota_table(w, q, 1)
    w.write(0, "\n")
    ranges = api.list("limitranges", meta["name"])["items"]
    if not ranges:
        w.write(0, "No LimitRange resource.\n")
    else:
        w.write(0, "Resource Limits\n Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\t"
                   "Max Limit/Request Ratio\n")
        w.write(0, " ----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
        for lr in ranges:
            _limit_range_rows(w, lr, " ")
    return w.text()


def _quota_table(w: PrefixWriter, q: dict, level: int) -> None:
    st = q.get("status") or {}
    w.write(level, f"Name:\t{q['metadata']['name']}\n")
    scopes = sorted((q.get("spec") or {}).get("scopes") or [])
    if scopes:
        w.write(level, f"Scopes:\t{', '.join(scopes)}\n")
    w.write(level, "Resource\tUsed\tHard\n")
    w.write(level, "--------\t---\t---\n")
    for res in sorted(st.get("hard") or {}):
        used = (st.get("used") or {}).get(res)
        w.write(level, f"{res}\t{quantity_string(used) if used is not None else '0'}\t"
                       f"{quantity_string(st['hard'][res])}\n")


def _limit_range_rows(w: PrefixWriter, lr: dict, prefix: str) -> None:
    for item in (lr.get("spec") or {}).get("limits") or ():
        keys = []
        for field in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            keys.extend(k for k in item.get(field) or {} if k not in keys)
        for k in keys:
            v = [quantity_string(item[f][k]) if k in (item.get(f) or {}) else "-"
                 for f in ("min", "max", "defaultRequest", "default", "maxLimitRequestRatio")]
            w.write(0, f"{prefix}{item.get('type', '')}\t{k}\t" + "\t".join(v) + "\n")


def describe_resourcequota(q: dict, api, events, now) -> str:
    w = PrefixWriter()
    w.write(0, f"Name:\t{q['metadata']['name']}\n")
    w.write(0, f"Namespace:\t{q['metadata'].get('namespace', '')}\n")
    st = q.get("status") or {}
    w.write(0, "Resource\tUsed\tHard\n")
    w.write(0, "--------\t----\t----\n")
    for res in sorted(st.get("hard") or {}):
        used = (st.get("used") or {}).get(res)
        w.write(0, f"{res}\t{quantity_string(used) if used is not None else '0'}\t"
                   f"{quantity_string(st['hard'][res])}\n")
    return w.text()


def describe_limitrange(lr: dict, api, events, now) -> str:
    w = PrefixWriter()
    w.write(0, f"Name:\t{lr['metadata']['name']}\n")
    w.write(0, f"Namespace:\t{lr['metadata'].get('namespace', '')}\n")
    w.write(0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio\n")
    w.write(0, "----\t--------\t---\t---\t---------------\t-------------\t-----------------------\n")
    _limit_range_rows(w, lr, "")
    return w.text()


# -- services -------------------------------------------------------------------------------------

def describe_service(svc: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta, spec = svc["metadata"], svc.get("spec") or {}
    standard_header(w, meta)
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', '')}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:
        parts = [(i["ip"] + (f" ({i['ipMode']})" if i.get("ipMode") else "")) if i.get("ip")
                 else i.get("hostname", "") for i in ingress]
        w.write(0, f"LoadBalancer Ingress:\t{', '.join(parts)}\n")
    slices = api.list("endpointslices", meta.get("namespace"),
                      label_selector=f"kubernetes.io/service-name={meta['name']}")["items"]
    for p in spec.get("ports") or ():
        name = p.get("name") or "<unset>"
        proto = p.get("protocol", "TCP")
        w.write(0, f"Port:\t{name}\t{p.get('port')}/{proto}\n")
        w.write(0, f"TargetPort:\t{p.get('targetPort', p.get('port'))}/{proto}\n")
        if p.get("appProtocol"):
            w.write(0, f"AppProtocol:\t{p['appProtocol']}\n")
        if p.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{p['nodePort']}/{proto}\n")
        w.write(0, f"Endpoints:\t{format_endpoint_slices(slices, p.get('name', ''))}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', '')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if spec.get("trafficDistribution"):
        w.write(0, f"Traffic Distribution:\t{spec['trafficDistribution']}\n")
    events_section(w, events, now)
    return w.text()


def format_endpoint_slices(slices: list, port_name: str) -> str:
    """formatEndpointSlices: ready endpoints as ``ip:port``, at most three then ``+ N more...``."""
    if not slices:
        return "<none>"
    items, count, limit = [], 0, 3
    more = False

    def add(text):
        nonlocal count, more
        if len(items) == limit:
            more = True
        if not more:
            items.append(text)
        count += 1

    for es in slices:
        endpoints = [e for e in es.get("endpoints") or ()
                     if (e.get("conditions") or {}).get("ready") is not False]
        if not es.get("ports"):
            for e in endpoints:
                add((e.get("addresses") or [""])[0])
            continue
        for port in es["ports"]:
            if (port.get("name") or "") != port_name:
                continue
            for e in endpoints:
                ip = (e.get("addresses") or [""])[0]
                add(f"[{ip}]:{port.get('port')}" if ":" in ip else f"{ip}:{port.get('port')}")
    text = ",".join(items)
    return f"{text} + {count - limit} more..." if more else text


def describe_endpoints(ep: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta = ep["metadata"]
    standard_header(w, meta)
    w.write(0, "Subsets:\n")
    for ss in ep.get("subsets") or ():
        ready = ",".join(a.get("ip", "") for a in ss.get("addresses") or ()) or "<none>"
        not_ready = ",".join(a.get("ip", "") for a in ss.get("notReadyAddresses") or ()) or "<none>"
        w.write(1, f"Addresses:\t{ready}\n")
        w.write(1, f"NotReadyAddresses:\t{not_ready}\n")
        if ss.get("ports"):
            w.write(1, "Ports:\n")
            w.write(2, "Name\tPort\tProtocol\n")
            w.write(2, "----\t----\t--------\n")
            for p in ss["ports"]:
                w.write(2, f"{p.get('name') or '<unset>'}\t{p.get('port')}\t{p.get('protocol', 'TCP')}\n")
        w.write(0, "\n")
    events_section(w, events, now)
    return w.text()


# -- configuration --------------------------------------------------------------------------------

def describe_configmap(cm: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta = cm["metadata"]
    standard_header(w, meta)
    w.write(0, "\nData\n====\n")
    for k in sorted(cm.get("data") or {}):
        w.write(0, f"{k}:\n----\n")
        w.write(0, f"{cm['data'][k]}\n")
        w.write(0, "\n")
    w.write(0, "\nBinaryData\n====\n")
    for k in sorted(cm.get("binaryData") or {}):
        w.write(0, f"{k}: {len(base64.b64decode(cm['binaryData'][k]))} bytes\n")
    w.write(0, "\n")
    events_section(w, events, now)
    return w.text()


def describe_secret(s: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta = s["metadata"]
    standard_header(w, meta)
    w.write(0, f"\nType:\t{s.get('type', '')}\n")
    w.write(0, "\nData\n====\n")
    for k in sorted(s.get("data") or {}):
        raw = base64.b64decode(s["data"][k] or "")
        if k == "token" and s.get("type") == "kubernetes.io/service-account-token":
            w.write(0, f"{k}:\t{raw.decode('utf-8', 'replace')}\n")
        else:
            w.write(0, f"{k}:\t{len(raw)} bytes\n")
    return w.text()


def describe_serviceaccount(sa: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta = sa["metadata"]
    standard_header(w, meta)
    names = [s.get("name", "") for s in sa.get("imagePullSecrets") or ()]
    if not names:
        w.write(0, "Image pull secrets:\t<none>\n")
    for i, name in enumerate(names):
        w.write(0, f"{'Image pull secrets:' if i == 0 else ' ' * 19}\t{name}\n")
    events_section(w, events, now)
    return w.text()


# -- RBAC -----------------------------------------------------------------------------------------

def _go_list(values) -> str:
    return "[" + " ".join(values or []) + "]"


def compact_rules(rules: list) -> list[dict]:
    """rbac.BreakdownRule + CompactRules + sort: one row per resource, verbs merged."""
    broken = []
    for r in rules or ():
        for g in r.get("apiGroups") or ():
            for res in r.get("resources") or ():
                for v in r.get("verbs") or ():
                    names = r.get("resourceNames") or [None]
                    for n in names:
                        broken.append({"apiGroups": [g], "resources": [res], "verbs": [v],
                                       "resourceNames": [n] if n is not None else []})
        for url in r.get("nonResourceURLs") or ():
            for v in r.get("verbs") or ():
                broken.append({"nonResourceURLs": [url], "verbs": [v]})
    simple: dict = {}
    out = []
    for r in broken:
        if r.get("nonResourceURLs"):
            out.append(r)
            continue
        key = (r["apiGroups"][0], r["resources"][0], tuple(r["resourceNames"]))
        if key in simple:
            if r["verbs"][0] not in simple[key]["verbs"]:
                simple[key]["verbs"].append(r["verbs"][0])
        else:
            simple[key] = {**r, "verbs": list(r["verbs"])}
    out.extend(simple.values())

    def proto_string(r):
        return (f"&PolicyRule{{Verbs:{_go_list(r.get('verbs'))},APIGroups:{_go_list(r.get('apiGroups'))},"
                f"Resources:{_go_list(r.get('resources'))},ResourceNames:{_go_list(r.get('resourceNames'))},"
                f"NonResourceURLs:{_go_list(r.get('nonResourceURLs'))},}}")
    return sorted(out, key=proto_string)


def describe_role(role: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta = role["metadata"]
    standard_header(w, meta, namespace=False)
    w.write(0, "PolicyRule:\n")
    w.write(1, "Resources\tNon-Resource URLs\tResource Names\tVerbs\n")
    w.write(1, "---------\t-----------------\t--------------\t-----\n")
    for r in compact_rules(role.get("rules")):
        res = (r.get("resources") or [""])[0] if r.get("resources") else ""
        group = (r.get("apiGroups") or [""])[0]
        if res:
            base, _, sub = res.partition("/")
            res = base + (f".{group}" if group else "") + (f"/{sub}" if sub else "")
        w.write(1, f"{res}\t{_go_list(r.get('nonResourceURLs'))}\t{_go_list(r.get('resourceNames'))}\t"
                   f"{_go_list(r.get('verbs'))}\n")
    return w.text()


def describe_rolebinding(rb: dict, api, events, now) -> str:
    w = PrefixWriter()
    meta, ref = rb["metadata"], rb.get("roleRef") or {}
    standard_header(w, meta, namespace=False)
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for s in rb.get("subjects") or ():
        w.write(1, f"{s.get('kind', '')}\t{s.get('name', '')}\t{s.get('namespace', '')}\n")
    return w.text()
