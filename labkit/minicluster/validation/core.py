"""Validation of the other core/v1 kinds: Service, Namespace, ConfigMap, Secret,
ServiceAccount, PersistentVolumeClaim, LimitRange, ResourceQuota, Node
(pkg/apis/core/validation/validation.go, v1.33).

Simplification: cluster IPs are checked for syntax only (the dual-stack rules of
ValidateServiceClusterIPsRelatedFields are reduced to single-stack IPv4).
"""
from __future__ import annotations

import ipaddress

from ..schema.quantity import QuantityError, parse, text_of, value_or_none
from .containers import STANDARD_RESOURCES, validate_port_num_or_name
from .fields import (Raw, duplicate, forbidden, go_string, immutable, invalid, not_supported,
                     required)
from .meta import (validate_label_name, validate_labels, validate_object_meta,
                   validate_object_meta_update)
from .names import (is_config_map_key, is_dns1123_label, is_dns1123_subdomain,
                    is_qualified_name, is_valid_label_value, is_valid_port_num,
                    name_is_dns1035_label, name_is_dns_label, name_is_dns_subdomain)

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
MAX_CONFIG_SIZE = 1024 * 1024  # MaxSecretSize, the ConfigMap limit too


def _ip(value: str, path: str) -> list[dict]:
    try:
        ipaddress.ip_address(value)
        return []
    except ValueError:
        return [invalid(path, value, "must be a valid IP address, (e.g. 10.9.8.7 or "
                        "2001:db8::ffff)")]


def _service_port_repr(p: dict) -> Raw:
    tp = p.get("targetPort")
    target = (f'intstr.IntOrString{{Type:1, IntVal:0, StrVal:"{tp}"}}' if isinstance(tp, str)
              else f'intstr.IntOrString{{Type:0, IntVal:{tp or 0}, StrVal:""}}')
    return Raw(f'core.ServicePort{{Name:"", Protocol:{go_string(p.get("protocol", ""))}, '
               f'AppProtocol:(*string)(nil), Port:{p.get("port", 0)}, TargetPort:{target}, '
               f'NodePort:0}}')


def validate_service(svc: dict) -> list[dict]:
    """ValidateService."""
    spec = svc.get("spec") or {}
    out = validate_object_meta(svc.get("metadata") or {}, True, name_is_dns1035_label)
    stype = spec.get("type", "")
    ports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    if not ports and not headless and stype != "ExternalName":
        out.append(required("spec.ports"))
    if stype == "ExternalName":
        for f in ("clusterIPs", "ipFamilies"):
            if spec.get(f) and spec[f] != [""]:
                out.append(forbidden(f"spec.{f}", "may not be set for ExternalName services"))
        cname = str(spec.get("externalName", "")).rstrip(".")
        if cname:
            out += [invalid("spec.externalName", cname, m) for m in is_dns1123_subdomain(cname)]
        else:
            out.append(required("spec.externalName"))
    elif headless and stype in ("LoadBalancer", "NodePort"):
        out.append(invalid("spec.clusterIPs[0]", "None",
                           f"may not be set to 'None' for {stype} services"))
    names, seen = set(), set()
    for i, p in enumerate(ports):
        p, pp = p or {}, f"spec.ports[{i}]"
        if len(ports) > 1 and not p.get("name"):
            out.append(required(f"{pp}.name"))
        elif p.get("name"):
            out += [invalid(f"{pp}.name", p["name"], m) for m in is_dns1123_label(str(p["name"]))]
            if p["name"] in names:
                out.append(duplicate(f"{pp}.name", p["name"]))
            names.add(p["name"])
        out += [invalid(f"{pp}.port", p.get("port", 0), m)
                for m in is_valid_port_num(p.get("port", 0))]
        if not p.get("protocol"):
            out.append(required(f"{pp}.protocol"))
        elif p["protocol"] not in ("SCTP", "TCP", "UDP"):
            out.append(not_supported(f"{pp}.protocol", p["protocol"], ("SCTP", "TCP", "UDP")))
        out += validate_port_num_or_name(p.get("targetPort"), f"{pp}.targetPort")
        if stype == "ClusterIP" and p.get("nodePort"):
            out.append(forbidden(f"{pp}.nodePort", "may not be used when `type` is 'ClusterIP'"))
        key = (p.get("protocol"), p.get("port"))
        if key in seen:
            out.append(duplicate(pp, _service_port_repr(p)))
        seen.add(key)
    if spec.get("selector") is not None:
        out += validate_labels(spec["selector"], "spec.selector")
    affinity = spec.get("sessionAffinity", "")
    if not affinity:
        out.append(required("spec.sessionAffinity"))
    elif affinity not in ("ClientIP", "None"):
        out.append(not_supported("spec.sessionAffinity", affinity, ("ClientIP", "None")))
    for i, ip in enumerate(spec.get("clusterIPs") or ()):
        if ip and ip != "None":
            out += _ip(ip, f"spec.clusterIPs[{i}]")
    if not stype:
        out.append(required("spec.type"))
    elif stype not in SERVICE_TYPES:
        out.append(not_supported("spec.type", stype, SERVICE_TYPES))
    external = stype in ("NodePort", "LoadBalancer")
    etp = spec.get("externalTrafficPolicy", "")
    if not external and etp:
        out.append(invalid("spec.externalTrafficPolicy", etp,
                           "may only be set for externally-accessible services"))
    elif external and etp not in ("Cluster", "Local"):
        out.append(required("spec.externalTrafficPolicy") if not etp else
                   not_supported("spec.externalTrafficPolicy", etp, ("Cluster", "Local")))
    out += _health_check_node_port(spec, stype, etp)
    itp = spec.get("internalTrafficPolicy")
    if itp is None and stype in ("NodePort", "LoadBalancer", "ClusterIP"):
        out.append(required("spec.internalTrafficPolicy"))
    elif itp is not None and itp not in ("Cluster", "Local"):
        out.append(not_supported("spec.internalTrafficPolicy", itp, ("Cluster", "Local")))
    return out


def _health_check_node_port(spec: dict, stype: str, etp: str) -> list[dict]:
    """validateServiceExternalTrafficPolicy: healthCheckNodePort only (and always) for a
    LoadBalancer with externalTrafficPolicy Local."""
    port, path = spec.get("healthCheckNodePort") or 0, "spec.healthCheckNodePort"
    if not (stype == "LoadBalancer" and etp == "Local"):
        return [invalid(path, port, "may only be set when `type` is 'LoadBalancer' and "
                        "`externalTrafficPolicy` is 'Local'")] if port else []
    if not port:
        return [required(path)]
    return [invalid(path, port, m) for m in is_valid_port_num(port)]


def validate_service_update(new: dict, old: dict) -> list[dict]:
    out = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    old_ips, new_ips = old_spec.get("clusterIPs") or [], spec.get("clusterIPs") or []
    changing_to_external = spec.get("type") == "ExternalName" or \
        old_spec.get("type") == "ExternalName"
    if old_ips and new_ips and old_ips[0] != new_ips[0] and not changing_to_external:
        out.append(invalid("spec.clusterIPs[0]", Raw("[]string{" + ", ".join(
            go_string(ip) for ip in new_ips) + "}"), "may not change once set"))
    return out + [c for c in validate_service(new) if not c["field"].startswith("metadata.name")]


def validate_namespace(ns: dict) -> list[dict]:
    out = validate_object_meta(ns.get("metadata") or {}, False, name_is_dns_label)
    for f in (ns.get("spec") or {}).get("finalizers") or ():
        if "/" not in f and f != "kubernetes":
            out.append(invalid("spec.finalizers", f, "name is neither a standard finalizer name "
                               "nor is it fully qualified"))
        out += [invalid("spec.finalizers", f, m) for m in is_qualified_name(str(f))]
    return out


def _data_keys(obj: dict, fields: tuple, limit_path: str) -> list[dict]:
    out, seen, total = [], set(), 0
    for field in fields:
        for key, value in sorted((obj.get(field) or {}).items()):
            out += [invalid(f"{field}[{key}]", key, m) for m in is_config_map_key(str(key))]
            if key in seen:
                out.append(invalid(f"{field}[{key}]", key, "duplicate of key present in data"))
            seen.add(key)
            total += len(str(value))
    if total > MAX_CONFIG_SIZE:
        out.append({"reason": "FieldValueTooLong", "field": limit_path,
                    "message": f"Too long: must have at most {MAX_CONFIG_SIZE} bytes"})
    return out


def validate_config_map(cm: dict) -> list[dict]:
    out = validate_object_meta(cm.get("metadata") or {}, True, name_is_dns_subdomain)
    return out + _data_keys(cm, ("data", "binaryData"), "")


def _immutable_data(new: dict, old: dict, fields: tuple) -> list[dict]:
    out = []
    if old.get("immutable"):
        if not new.get("immutable"):
            out.append(forbidden("immutable", "field is immutable when `immutable` is set"))
        for f in fields:
            if (new.get(f) or {}) != (old.get(f) or {}):
                out.append(forbidden(f, "field is immutable when `immutable` is set"))
    return out


def validate_config_map_update(new: dict, old: dict) -> list[dict]:
    out = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    out += _immutable_data(new, old, ("data", "binaryData"))
    return out + _data_keys(new, ("data", "binaryData"), "")


_SECRET_REQUIRED_KEYS = {"kubernetes.io/tls": ("tls.crt", "tls.key"),
                         "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
                         "kubernetes.io/dockercfg": (".dockercfg",)}


def validate_secret(secret: dict) -> list[dict]:
    out = validate_object_meta(secret.get("metadata") or {}, True, name_is_dns_subdomain)
    out += _data_keys(secret, ("data",), "data")
    stype = secret.get("type", "")
    data = secret.get("data") or {}
    for key in _SECRET_REQUIRED_KEYS.get(stype, ()):
        if key not in data:
            out.append(required(f"data[{key}]"))
    if stype == "kubernetes.io/service-account-token":
        ann = (secret.get("metadata") or {}).get("annotations") or {}
        if not ann.get("kubernetes.io/service-account.name"):
            out.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    if stype == "kubernetes.io/basic-auth" and "username" not in data and "password" not in data:
        out.append(required("data[username]"))
        out.append(required("data[password]"))
    if stype == "kubernetes.io/ssh-auth" and "ssh-privatekey" not in data:
        out.append(required("data[ssh-privatekey]"))
    return out


def validate_secret_update(new: dict, old: dict) -> list[dict]:
    out = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    out += immutable("type", new.get("type", ""), old.get("type", ""))
    out += _immutable_data(new, old, ("data",))
    return out + [c for c in validate_secret(new) if not c["field"].startswith("metadata.")]


def validate_service_account(sa: dict) -> list[dict]:
    return validate_object_meta(sa.get("metadata") or {}, True, name_is_dns_subdomain)


def validate_pvc_spec(spec: dict, path: str) -> list[dict]:
    out = []
    modes = spec.get("accessModes") or []
    if not modes:
        out.append(required(f"{path}.accessModes", "at least 1 access mode is required"))
    for m in modes:
        if m not in ACCESS_MODES:
            out.append(not_supported(f"{path}.accessModes", m, ACCESS_MODES))
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if storage is None:
        out.append(required(f"{path}.resources[storage]"))
    elif (value_or_none(storage) or 0) <= 0:
        out.append(invalid(f"{path}.resources[storage]", text_of(storage),
                           "must be greater than zero"))
    if spec.get("storageClassName"):
        out += [invalid(f"{path}.storageClassName", spec["storageClassName"], m)
                for m in is_dns1123_subdomain(str(spec["storageClassName"]))]
    mode = spec.get("volumeMode")
    if mode is not None and mode not in ("Block", "Filesystem"):
        out.append(not_supported(f"{path}.volumeMode", mode, ("Block", "Filesystem")))
    return out


def validate_pvc(pvc: dict) -> list[dict]:
    out = validate_object_meta(pvc.get("metadata") or {}, True, name_is_dns_subdomain)
    return out + validate_pvc_spec(pvc.get("spec") or {}, "spec")


def validate_pvc_update(new: dict, old: dict) -> list[dict]:
    out = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    out += validate_pvc_spec(new.get("spec") or {}, "spec")
    spec, old_spec = dict(new.get("spec") or {}), dict(old.get("spec") or {})
    if not old_spec.get("volumeName"):
        old_spec["volumeName"] = spec.get("volumeName")
        old_spec = {k: v for k, v in old_spec.items() if v is not None}
    bound = (new.get("status") or {}).get("phase") == "Bound"
    cmp_new, cmp_old = dict(spec), dict(old_spec)
    if bound:
        cmp_new["resources"] = cmp_old.get("resources")
    cmp_new.pop("volumeAttributesClassName", None)
    cmp_old.pop("volumeAttributesClassName", None)
    if cmp_new != cmp_old:
        out.append(forbidden("spec", "spec is immutable after creation except resources.requests "
                             "and volumeAttributesClassName for bound claims\n"))
    new_size, old_size = (value_or_none(((s.get("resources") or {}).get("requests") or {})
                                        .get("storage")) for s in (spec, old_spec))
    if new_size is not None and old_size is not None and new_size < old_size:
        out.append(forbidden("spec.resources.requests.storage",
                             "field can not be less than status.capacity"))
    return out


_SUFFIX_EXP = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15,
               "E": 18}


def quantity_repr(q) -> Raw:
    """A resource.Quantity printed with %#v (its String method has a pointer receiver)."""
    text = text_of(q)
    try:
        value, fmt = parse(text)
    except QuantityError:
        return Raw(go_string(str(q)))
    digits = text[:len(text) - len(text.lstrip("-0123456789"))]
    suffix = text[len(digits):]
    if fmt == "binary":
        mantissa, scale = int(value), 0
    elif fmt == "exponent":
        mantissa, scale = int(digits), int(suffix[1:] or 0)
    else:
        mantissa, scale = int(digits), _SUFFIX_EXP.get(suffix, 0)
    name = {"decimal": "DecimalSI", "binary": "BinarySI", "exponent": "DecimalExponent"}[fmt]
    return Raw(f"resource.Quantity{{i:resource.int64Amount{{value:{mantissa}, scale:{scale}}}, "
               f"d:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:{go_string(text)}, "
               f"Format:{go_string(name)}}}")


def validate_limit_range(lr: dict) -> list[dict]:
    """ValidateLimitRange: known types, and min ≤ defaultRequest ≤ default ≤ max."""
    out = validate_object_meta(lr.get("metadata") or {}, True, name_is_dns_subdomain)
    for i, item in enumerate((lr.get("spec") or {}).get("limits") or ()):
        item, p = item or {}, f"spec.limits[{i}]"
        ltype = item.get("type", "")
        if ltype not in ("Pod", "Container", "PersistentVolumeClaim"):
            out.append(not_supported(f"{p}.type", ltype,
                                     ("Container", "PersistentVolumeClaim", "Pod")))
        if ltype == "Pod":
            for f in ("default", "defaultRequest"):
                if item.get(f):
                    out.append(forbidden(f"{p}.{f}", "may not be specified when `type` is 'Pod'"))
        lists = {f: item.get(f) or {} for f in ("max", "min", "default", "defaultRequest",
                                                "maxLimitRequestRatio")}
        keys = sorted(set().union(*lists.values()))
        for k in keys:
            q = {f: value_or_none(lst[k]) for f, lst in lists.items() if k in lst}
            s = {f: text_of(lists[f][k]) for f in q}
            for a, b, msg in (("min", "max", "min value {a} is greater than max value {b}"),
                              ("min", "defaultRequest", "min value {a} is greater than default "
                               "request value {b}"),
                              ("defaultRequest", "max", "default request value {a} is greater "
                               "than max value {b}"),
                              ("defaultRequest", "default", "default request value {a} is "
                               "greater than default limit value {b}"),
                              ("min", "default", "min value {a} is greater than default value "
                               "{b}"),
                              ("default", "max", "default value {a} is greater than max value "
                               "{b}")):
                if a in q and b in q and q[a] is not None and q[b] is not None and q[a] > q[b]:
                    at = b if b in ("defaultRequest", "default") and a == "min" else a
                    out.append(invalid(f"{p}.{at}[{k}]", quantity_repr(lists[at][k]),
                                       msg.format(a=s[a], b=s[b])))
            ratio = q.get("maxLimitRequestRatio")
            if ratio is not None and ratio < 1:
                out.append(invalid(f"{p}.maxLimitRequestRatio[{k}]",
                                   quantity_repr(lists["maxLimitRequestRatio"][k]),
                                   f"ratio {s['maxLimitRequestRatio']} is less than 1"))
    return out


_QUOTA_INTEGER = {"pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
                  "configmaps", "persistentvolumeclaims", "services.nodeports",
                  "services.loadbalancers"}
_QUOTA_SCOPES = ("BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating",
                 "PriorityClass", "Terminating", "VolumeAttributesClass")


def validate_resource_quota(rq: dict) -> list[dict]:
    out = validate_object_meta(rq.get("metadata") or {}, True, name_is_dns_subdomain)
    spec = rq.get("spec") or {}
    for k, v in sorted((spec.get("hard") or {}).items()):
        p = f"spec.hard[{k}]"
        errs = [invalid(p, k, m) for m in is_qualified_name(k)]
        if not errs and "/" not in k and k not in STANDARD_RESOURCES:
            errs.append(invalid(p, k, "must be a standard resource for quota"))
        out += errs
        value = value_or_none(v)
        if value is not None and value < 0:
            out.append(invalid(p, text_of(v), "must be greater than or equal to 0"))
        if value is not None and (k in _QUOTA_INTEGER or k.startswith("count/")) and \
                value != value.to_integral_value():
            out.append(invalid(p, quantity_repr(v), "must be an integer"))
    for scope in spec.get("scopes") or ():
        if scope not in _QUOTA_SCOPES:
            out.append(not_supported("spec.scopes", scope, _QUOTA_SCOPES))
    return out


def validate_node(node: dict) -> list[dict]:
    out = validate_object_meta(node.get("metadata") or {}, False, name_is_dns_subdomain)
    seen = set()
    for i, t in enumerate((node.get("spec") or {}).get("taints") or ()):
        t, p = t or {}, f"metadata.taints[{i}]"
        out += validate_label_name(str(t.get("key", "")), f"{p}.key")
        errs = is_valid_label_value(str(t.get("value", "")))
        if errs:
            out.append(invalid(f"{p}.value", t.get("value", ""), ";".join(errs)))
        effect = t.get("effect", "")
        if not effect:
            out.append(required(f"{p}.effect"))
        elif effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            out.append(not_supported(f"{p}.effect", effect,
                                     ("NoSchedule", "PreferNoSchedule", "NoExecute")))
        if (t.get("key"), effect) in seen:
            c = duplicate(p, Raw("core.Taint{...}"))
            c["message"] += ": taints must be unique by key and effect pair"
            out.append(c)
        seen.add((t.get("key"), effect))
    return out


def validate_meta_only(namespaced_fn):
    """Kinds validated for their metadata only (Endpoints, Events...)."""
    def check(obj: dict, namespaced: bool = True) -> list[dict]:
        return validate_object_meta(obj.get("metadata") or {}, namespaced, namespaced_fn)
    return check


CREATES = {"Service": validate_service, "Namespace": validate_namespace,
           "ConfigMap": validate_config_map, "Secret": validate_secret,
           "ServiceAccount": validate_service_account, "PersistentVolumeClaim": validate_pvc,
           "LimitRange": validate_limit_range, "ResourceQuota": validate_resource_quota,
           "Node": validate_node}
UPDATES = {"Service": validate_service_update, "ConfigMap": validate_config_map_update,
           "Secret": validate_secret_update, "PersistentVolumeClaim": validate_pvc_update}
