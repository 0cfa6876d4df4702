"""Validation of networking, autoscaling, RBAC, policy, scheduling and storage kinds
(pkg/apis/{networking,autoscaling,rbac,policy,scheduling,storage}/validation, v1.33)."""
from __future__ import annotations

import ipaddress

from .fields import (Raw, forbidden, go_string, invalid, not_supported, required)
from .meta import validate_label_selector, validate_object_meta
from .names import (is_dns1123_subdomain, is_valid_percent, is_valid_port_num,
                    name_is_dns1035_label, name_is_dns_subdomain, name_is_path_segment)

RBAC_GROUP = "rbac.authorization.k8s.io"
PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")


# -- networking.k8s.io ----------------------------------------------------------------------
def _ingress_backend(b: dict, path: str) -> list[dict]:
    out = []
    svc, res = b.get("service"), b.get("resource")
    if svc is not None and res is not None:
        return [invalid(path, Raw("networking.IngressBackend{...}"),
                        "cannot set both resource and service backends")]
    if svc is None and res is None:
        return [invalid(path, Raw("networking.IngressBackend{...}"),
                        "resource or service backend is required")]
    if svc is not None:
        svc = svc or {}
        if not svc.get("name"):
            out.append(required(f"{path}.service.name"))
        else:
            out += [invalid(f"{path}.service.name", svc["name"], m)
                    for m in name_is_dns1035_label(str(svc["name"]))]
        port = svc.get("port") or {}
        if port.get("name") and port.get("number"):
            out.append(invalid(f"{path}.service.port", Raw("networking.ServiceBackendPort{...}"),
                               "cannot set both port name & port number"))
        elif port.get("number"):
            out += [invalid(f"{path}.service.port.number", port["number"], m)
                    for m in is_valid_port_num(port["number"])]
        elif not port.get("name"):
            out.append(required(f"{path}.service.port", "port name or number is required"))
    return out


def validate_ingress(ing: dict) -> list[dict]:
    out = validate_object_meta(ing.get("metadata") or {}, True, name_is_dns_subdomain)
    spec = ing.get("spec") or {}
    if spec.get("defaultBackend") is None and not spec.get("rules"):
        out.append(invalid("spec", Raw("networking.IngressSpec{...}"),
                           "either `defaultBackend` or `rules` must be specified"))
    if spec.get("defaultBackend") is not None:
        out += _ingress_backend(spec["defaultBackend"] or {}, "spec.defaultBackend")
    for i, rule in enumerate(spec.get("rules") or ()):
        rule, rp = rule or {}, f"spec.rules[{i}]"
        host = rule.get("host")
        if host:
            try:
                ipaddress.ip_address(host)
                out.append(invalid(f"{rp}.host", host, "must be a DNS name, not an IP address"))
            except ValueError:
                name = host[2:] if host.startswith("*.") else host
                out += [invalid(f"{rp}.host", host, m) for m in is_dns1123_subdomain(name)]
        http = rule.get("http")
        if http is None:
            continue
        paths = (http or {}).get("paths") or []
        if not paths:
            out.append(required(f"{rp}.http.paths"))
        for j, p in enumerate(paths):
            p, pp = p or {}, f"{rp}.http.paths[{j}]"
            ptype = p.get("pathType")
            if not ptype:
                out.append(required(f"{pp}.pathType", "pathType must be specified"))
            elif ptype not in PATH_TYPES:
                out.append(not_supported(f"{pp}.pathType", ptype, PATH_TYPES))
            elif ptype in ("Exact", "Prefix") and not str(p.get("path", "")).startswith("/"):
                out.append(invalid(f"{pp}.path", p.get("path", ""), "must be an absolute path"))
            out += _ingress_backend(p.get("backend") or {}, f"{pp}.backend")
    for i, tls in enumerate(spec.get("tls") or ()):
        for j, host in enumerate((tls or {}).get("hosts") or ()):
            name = host[2:] if str(host).startswith("*.") else str(host)
            out += [invalid(f"spec.tls[{i}].hosts[{j}]", host, m)
                    for m in is_dns1123_subdomain(name)]
    if spec.get("ingressClassName"):
        out += [invalid("spec.ingressClassName", spec["ingressClassName"], m)
                for m in is_dns1123_subdomain(str(spec["ingressClassName"]))]
    return out


def validate_ingress_class(ic: dict) -> list[dict]:
    out = validate_object_meta(ic.get("metadata") or {}, False, name_is_dns_subdomain)
    controller = (ic.get("spec") or {}).get("controller")
    if not controller:
        out.append(required("spec.controller"))
    elif "/" not in controller:
        out.append(invalid("spec.controller", controller,
                           'must be a domain-prefixed path (such as "acme.io/foo")'))
    return out


def validate_network_policy(np: dict) -> list[dict]:
    out = validate_object_meta(np.get("metadata") or {}, True, name_is_dns_subdomain)
    spec = np.get("spec") or {}
    out += validate_label_selector(spec.get("podSelector"), "spec.podSelector")
    for direction, peers in (("ingress", "from"), ("egress", "to")):
        for i, rule in enumerate(spec.get(direction) or ()):
            rule, rp = rule or {}, f"spec.{direction}[{i}]"
            for j, port in enumerate(rule.get("ports") or ()):
                port, pp = port or {}, f"{rp}.ports[{j}]"
                proto = port.get("protocol")
                if proto is not None and proto not in ("SCTP", "TCP", "UDP"):
                    out.append(not_supported(f"{pp}.protocol", proto, ("SCTP", "TCP", "UDP")))
                if isinstance(port.get("port"), int):
                    out += [invalid(f"{pp}.port", port["port"], m)
                            for m in is_valid_port_num(port["port"])]
            for j, peer in enumerate(rule.get(peers) or ()):
                peer, pp = peer or {}, f"{rp}.{peers}[{j}]"
                out += validate_label_selector(peer.get("podSelector"), f"{pp}.podSelector")
                out += validate_label_selector(peer.get("namespaceSelector"),
                                               f"{pp}.namespaceSelector")
                block = peer.get("ipBlock")
                if block is not None:
                    try:
                        ipaddress.ip_network((block or {}).get("cidr", ""), strict=False)
                    except ValueError:
                        out.append(invalid(f"{pp}.ipBlock.cidr", (block or {}).get("cidr", ""),
                                           "must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
                                           "2001:db8::/64)"))
    types = spec.get("policyTypes") or []
    for i, t in enumerate(types):
        if t not in ("Ingress", "Egress"):
            out.append(not_supported(f"spec.policyTypes[{i}]", t, ("Ingress", "Egress")))
    if len(types) > 2:
        out.append(invalid("spec.policyTypes", Raw("[]networking.PolicyType{...}"),
                           "may not specify more than two policyTypes"))
    return out


# -- autoscaling/v2 -------------------------------------------------------------------------
def validate_hpa(hpa: dict) -> list[dict]:
    out = validate_object_meta(hpa.get("metadata") or {}, True, name_is_dns_subdomain)
    spec = hpa.get("spec") or {}
    lo, hi = spec.get("minReplicas"), spec.get("maxReplicas", 0)
    if lo is not None and lo < 1:
        out.append(invalid("spec.minReplicas", lo, "must be greater than or equal to 1"))
    if hi < 1:
        out.append(invalid("spec.maxReplicas", hi, "must be greater than 0"))
    if lo is not None and hi < lo:
        out.append(invalid("spec.maxReplicas", hi, "must be greater than or equal to "
                           "`minReplicas`"))
    ref, rp = spec.get("scaleTargetRef") or {}, "spec.scaleTargetRef"
    ref_errs = []
    for f in ("kind", "name"):
        if not ref.get(f):
            ref_errs.append(required(f"{rp}.{f}"))
        else:
            ref_errs += [invalid(f"{rp}.{f}", ref[f], m) for m in name_is_path_segment(ref[f])]
    if ref_errs:
        return out + ref_errs
    for i, m in enumerate(spec.get("metrics") or ()):
        m, mp = m or {}, f"spec.metrics[{i}]"
        mtype = m.get("type", "")
        if mtype not in ("ContainerResource", "External", "Object", "Pods", "Resource"):
            out.append(not_supported(f"{mp}.type", mtype, ("ContainerResource", "External",
                                                           "Object", "Pods", "Resource")))
            continue
        if mtype == "Resource":
            res = m.get("resource")
            if res is None:
                out.append(required(f"{mp}.resource", "must populate information for the given "
                                    "metric source"))
                continue
            if not res.get("name"):
                out.append(required(f"{mp}.resource.name", "must specify a resource name"))
            target = res.get("target") or {}
            ttype = target.get("type", "")
            if ttype not in ("AverageValue", "Utilization", "Value"):
                out.append(not_supported(f"{mp}.resource.target.type", ttype,
                                         ("AverageValue", "Utilization", "Value")))
            if ttype == "Utilization" and target.get("averageUtilization") is None:
                out.append(required(f"{mp}.resource.target.averageUtilization",
                                    "must set either a target raw value or a target utilization"))
            if target.get("averageUtilization") is not None and target["averageUtilization"] < 1:
                out.append(invalid(f"{mp}.resource.target.averageUtilization",
                                   target["averageUtilization"], "must be greater than 0"))
    return out


# -- rbac.authorization.k8s.io --------------------------------------------------------------
def _rules(rules, namespaced: bool, path: str) -> list[dict]:
    out = []
    for i, r in enumerate(rules or ()):
        r, rp = r or {}, f"{path}[{i}]"
        if not r.get("verbs"):
            out.append(required(f"{rp}.verbs", "verbs must contain at least one value"))
        urls = r.get("nonResourceURLs") or []
        if urls:
            shown = Raw("[]string{" + ", ".join(go_string(u) for u in urls) + "}")
            if namespaced:
                out.append(invalid(f"{rp}.nonResourceURLs", shown,
                                   "namespaced rules cannot apply to non-resource URLs"))
            if r.get("apiGroups") or r.get("resources") or r.get("resourceNames"):
                out.append(invalid(f"{rp}.nonResourceURLs", shown, "rules cannot apply to both "
                                   "regular resources and non-resource URLs"))
            continue
        if not r.get("apiGroups"):
            out.append(required(f"{rp}.apiGroups",
                                "resource rules must supply at least one api group"))
        if not r.get("resources"):
            out.append(required(f"{rp}.resources",
                                "resource rules must supply at least one resource"))
    return out


def validate_role(role: dict) -> list[dict]:
    out = validate_object_meta(role.get("metadata") or {}, True, name_is_path_segment)
    return out + _rules(role.get("rules"), True, "rules")


def validate_cluster_role(role: dict) -> list[dict]:
    out = validate_object_meta(role.get("metadata") or {}, False, name_is_path_segment)
    return out + _rules(role.get("rules"), False, "rules")


def role_ref_repr(ref: dict) -> Raw:
    return Raw(f"rbac.RoleRef{{APIGroup:{go_string(ref.get('apiGroup', ''))}, "
               f"Kind:{go_string(ref.get('kind', ''))}, Name:{go_string(ref.get('name', ''))}}}")


def _binding(b: dict, namespaced: bool) -> list[dict]:
    out = validate_object_meta(b.get("metadata") or {}, namespaced, name_is_path_segment)
    ref = b.get("roleRef") or {}
    if ref.get("apiGroup") != RBAC_GROUP:
        out.append(not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), (RBAC_GROUP,)))
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    if ref.get("kind") not in kinds:
        out.append(not_supported("roleRef.kind", ref.get("kind", ""), kinds))
    if not ref.get("name"):
        out.append(required("roleRef.name"))
    else:
        out += [invalid("roleRef.name", ref["name"], m) for m in name_is_path_segment(ref["name"])]
    for i, s in enumerate(b.get("subjects") or ()):
        s, sp = s or {}, f"subjects[{i}]"
        if not s.get("name"):
            out.append(required(f"{sp}.name"))
        kind = s.get("kind", "")
        if kind == "ServiceAccount":
            if s.get("name"):
                out += [invalid(f"{sp}.name", s["name"], m)
                        for m in name_is_dns_subdomain(str(s["name"]))]
            if s.get("apiGroup"):
                out.append(not_supported(f"{sp}.apiGroup", s["apiGroup"], ("",)))
            if not namespaced and not s.get("namespace"):
                out.append(required(f"{sp}.namespace"))
        elif kind in ("User", "Group"):
            if s.get("apiGroup") != RBAC_GROUP:
                out.append(not_supported(f"{sp}.apiGroup", s.get("apiGroup", ""), (RBAC_GROUP,)))
        else:
            out.append(not_supported(f"{sp}.kind", kind, ("ServiceAccount", "User", "Group")))
    return out


def validate_role_binding_update(new: dict, old: dict) -> list[dict]:
    out = _binding(new, bool((new.get("metadata") or {}).get("namespace")))
    if new.get("roleRef") != old.get("roleRef"):
        out.append(invalid("roleRef", role_ref_repr(new.get("roleRef") or {}),
                           "cannot change roleRef"))
    return out


# -- policy, scheduling, storage ------------------------------------------------------------
def validate_priority_class(pc: dict) -> list[dict]:
    out = validate_object_meta(pc.get("metadata") or {}, False, name_is_dns_subdomain)
    name = str((pc.get("metadata") or {}).get("name", ""))
    if name.startswith("system-") and name not in ("system-node-critical",
                                                   "system-cluster-critical"):
        out.append(forbidden("metadata.name", "priority class names with 'system-' prefix are "
                             "reserved for system use only. error: "
                             f"{name} is not a known system priority class"))
    elif not name.startswith("system-") and (pc.get("value") or 0) > 1000000000:
        out.append(forbidden("value", "maximum allowed value of a user defined priority is "
                             "1000000000"))
    policy = pc.get("preemptionPolicy")
    if policy is not None and policy not in ("PreemptLowerPriority", "Never"):
        out.append(not_supported("preemptionPolicy", policy, ("PreemptLowerPriority", "Never")))
    return out


def validate_priority_class_update(new: dict, old: dict) -> list[dict]:
    out = []
    if new.get("value") != old.get("value"):
        out.append(forbidden("value", "may not be changed in an update."))
    if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
        out.append(invalid("preemptionPolicy", new.get("preemptionPolicy"), "field is immutable"))
    return out


def _int_or_percent(v, path: str) -> list[dict]:
    if isinstance(v, str):
        errs = [invalid(path, Raw(f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{v}"}}'), m)
                for m in is_valid_percent(v)]
        if not errs and int(v[:-1]) > 100:
            errs.append(invalid(path, Raw(f'intstr.IntOrString{{Type:1, IntVal:0, '
                                          f'StrVal:"{v}"}}'), "must not be greater than 100%"))
        return errs
    if isinstance(v, int) and v < 0:
        return [invalid(path, v, "must be greater than or equal to 0")]
    return []


def validate_pdb(pdb: dict) -> list[dict]:
    out = validate_object_meta(pdb.get("metadata") or {}, True, name_is_dns_subdomain)
    spec = pdb.get("spec") or {}
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        out.append(invalid("spec", Raw("policy.PodDisruptionBudgetSpec{...}"),
                           "minAvailable and maxUnavailable cannot be both set"))
    for f in ("minAvailable", "maxUnavailable"):
        if spec.get(f) is not None:
            out += _int_or_percent(spec[f], f"spec.{f}")
    return out + validate_label_selector(spec.get("selector"), "spec.selector")


def validate_storage_class(sc: dict) -> list[dict]:
    out = validate_object_meta(sc.get("metadata") or {}, False, name_is_dns_subdomain)
    if not sc.get("provisioner"):
        out.append(required("provisioner"))
    if sc.get("reclaimPolicy") not in (None, "Delete", "Retain"):
        out.append(not_supported("reclaimPolicy", sc["reclaimPolicy"], ("Delete", "Retain")))
    if sc.get("volumeBindingMode") not in (None, "Immediate", "WaitForFirstConsumer"):
        out.append(not_supported("volumeBindingMode", sc["volumeBindingMode"],
                                 ("Immediate", "WaitForFirstConsumer")))
    return out


def validate_storage_class_update(new: dict, old: dict) -> list[dict]:
    out = validate_storage_class(new)
    if (new.get("parameters") or {}) != (old.get("parameters") or {}):
        out.append(forbidden("parameters", "updates to parameters are forbidden."))
    if new.get("provisioner") != old.get("provisioner"):
        out.append(forbidden("provisioner", "updates to provisioner are forbidden."))
    if new.get("reclaimPolicy") != old.get("reclaimPolicy"):
        out.append(forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."))
    return out


CREATES = {"Ingress": validate_ingress, "IngressClass": validate_ingress_class,
           "NetworkPolicy": validate_network_policy, "HorizontalPodAutoscaler": validate_hpa,
           "Role": validate_role, "ClusterRole": validate_cluster_role,
           "RoleBinding": lambda b: _binding(b, True),
           "ClusterRoleBinding": lambda b: _binding(b, False),
           "PriorityClass": validate_priority_class, "PodDisruptionBudget": validate_pdb,
           "StorageClass": validate_storage_class}
UPDATES = {"RoleBinding": validate_role_binding_update,
           "ClusterRoleBinding": validate_role_binding_update,
           "PriorityClass": lambda n, o: validate_priority_class(n) +
           validate_priority_class_update(n, o),
           "StorageClass": validate_storage_class_update}
