"""Container validation: names, images, ports, env, resources, probes, mounts
(pkg/apis/core/validation/validation.go, v1.33: validateContainerCommon and friends)."""
from __future__ import annotations

from ..schema.quantity import text_of, value_or_none
from .fields import (Raw, duplicate, forbidden, invalid, nonnegative, not_found, not_supported,
                     one_of, required)
from .names import (is_config_map_key, is_dns1123_label, is_dns1123_subdomain,
                    is_http_header_name, is_qualified_name, is_valid_port_name,
                    is_valid_port_num)

PORT_PROTOCOLS = ("SCTP", "TCP", "UDP")  # sets.List(supportedPortProtocols): sorted
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
#: helper.IsStandardResourceName: names ResourceQuota and LimitRange accept unqualified
STANDARD_RESOURCES = STANDARD_CONTAINER_RESOURCES | {
    "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
    "persistentvolumeclaims", "storage", "requests.cpu", "requests.memory",
    "requests.storage", "requests.ephemeral-storage", "limits.cpu", "limits.memory",
    "limits.ephemeral-storage", "services.nodeports", "services.loadbalancers"}
ENV_FIELD_PATHS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                   "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                   "status.podIPs")  # validEnvDownwardAPIFieldPathExpressions (sorted)
RESOURCE_FIELD_PATHS = ("limits.cpu", "limits.ephemeral-storage", "limits.memory",
                        "requests.cpu", "requests.ephemeral-storage", "requests.memory")


def validate_resource_name(name: str, path: str) -> list[dict]:
    """ValidateResourceName: qualified, and standard unless it has a domain prefix."""
    errs = [invalid(path, name, m) for m in is_qualified_name(name)]
    if not errs and "/" not in name and name not in STANDARD_RESOURCES \
            and not name.startswith("hugepages-"):
        errs.append(invalid(path, name, "must be a standard resource type or fully qualified"))
    return errs


def _container_resource_name(name: str, path: str) -> list[dict]:
    errs = validate_resource_name(name, path)
    if "/" not in name and name not in STANDARD_CONTAINER_RESOURCES \
            and not name.startswith("hugepages-"):
        errs.append(invalid(path, name, "must be a standard resource for containers"))
    return errs


def validate_resource_requirements(res, path: str) -> list[dict]:
    """ValidateResourceRequirements: known names, non-negative quantities, request ≤ limit."""
    out = []
    res = res if isinstance(res, dict) else {}
    limits, requests = res.get("limits") or {}, res.get("requests") or {}
    for name, q in sorted(limits.items()):
        p = f"{path}.limits[{name}]"
        out += _container_resource_name(name, p)
        if (value_or_none(q) or 0) < 0:
            out.append(invalid(p, text_of(q), "must be greater than or equal to 0"))
    for name, q in sorted(requests.items()):
        p = f"{path}.requests[{name}]"
        out += _container_resource_name(name, p)
        value = value_or_none(q)
        if (value or 0) < 0:
            out.append(invalid(p, text_of(q), "must be greater than or equal to 0"))
        if name in limits and value is not None and value_or_none(limits[name]) is not None:
            limit = value_or_none(limits[name])
            if name.startswith("hugepages-") or ("/" in name and "kubernetes.io/" not in name):
                if value != limit:  # non-overcommitable resources
                    out.append(invalid(f"{path}.requests", text_of(q),
                                       f"must be equal to {name} limit of "
                                       f"{text_of(limits[name])}"))
            elif value > limit:
                out.append(invalid(f"{path}.requests", text_of(q),
                                   f"must be less than or equal to {name} limit of "
                                   f"{text_of(limits[name])}"))
    return out


def validate_port_num_or_name(port, path: str) -> list[dict]:
    """ValidatePortNumOrName for httpGet/tcpSocket ports and Service targetPorts."""
    if isinstance(port, str):
        return [invalid(path, port, m) for m in is_valid_port_name(port)]
    return [invalid(path, port, m) for m in is_valid_port_num(port if port is not None else 0)]


def _ports(ports, path: str) -> list[dict]:
    out, names = [], set()
    for i, p in enumerate(ports or ()):
        p, pp = p or {}, f"{path}[{i}]"
        name = p.get("name")
        if name:
            msgs = is_valid_port_name(str(name))
            if msgs:
                out += [invalid(f"{pp}.name", name, m) for m in msgs]
            elif name in names:
                out.append(duplicate(f"{pp}.name", name))
            else:
                names.add(name)
        if not p.get("containerPort"):
            out.append(required(f"{pp}.containerPort"))
        else:
            out += [invalid(f"{pp}.containerPort", p["containerPort"], m)
                    for m in is_valid_port_num(p["containerPort"])]
        if p.get("hostPort"):
            out += [invalid(f"{pp}.hostPort", p["hostPort"], m)
                    for m in is_valid_port_num(p["hostPort"])]
        if not p.get("protocol"):
            out.append(required(f"{pp}.protocol"))
        elif p["protocol"] not in PORT_PROTOCOLS:
            out.append(not_supported(f"{pp}.protocol", p["protocol"], PORT_PROTOCOLS))
    return out


def _key_selector(sel: dict, path: str) -> list[dict]:
    out = [invalid(f"{path}.name", sel.get("name", ""), m)
           for m in is_dns1123_subdomain(str(sel.get("name", "")))]
    if not sel.get("key"):
        out.append(required(f"{path}.key"))
    else:
        out += [invalid(f"{path}.key", sel["key"], m) for m in is_config_map_key(str(sel["key"]))]
    return out


def _env(env, path: str) -> list[dict]:
    """ValidateEnv with RelaxedEnvironmentVariableValidation (beta, on in v1.33)."""
    out = []
    for i, e in enumerate(env or ()):
        e, p = e or {}, f"{path}[{i}]"
        name = e.get("name")
        if not name:
            out.append(required(f"{p}.name"))
        elif any(ord(ch) > 126 or ord(ch) < 32 or ch == "=" for ch in str(name)):
            out.append(invalid(f"{p}.name", name, "a valid environment variable name must "
                               "consist only of printable ASCII characters other than '='"))
        src = e.get("valueFrom")
        if src is None:
            continue
        sp, n = f"{p}.valueFrom", 0
        if src.get("fieldRef") is not None:
            n += 1
            ref = src["fieldRef"] or {}
            if not ref.get("apiVersion"):
                out.append(required(f"{sp}.fieldRef.apiVersion"))
            elif not ref.get("fieldPath"):
                out.append(required(f"{sp}.fieldRef.fieldPath"))
            elif ref["fieldPath"] not in ENV_FIELD_PATHS and \
                    not str(ref["fieldPath"]).startswith(("metadata.labels[",
                                                          "metadata.annotations[")):
                out.append(not_supported(f"{sp}.fieldRef.fieldPath", ref["fieldPath"],
                                         ENV_FIELD_PATHS))
        if src.get("resourceFieldRef") is not None:
            n += 1
            ref = src["resourceFieldRef"] or {}
            if not ref.get("resource"):
                out.append(required(f"{sp}.resourceFieldRef.resource"))
            elif ref["resource"] not in RESOURCE_FIELD_PATHS:
                out.append(not_supported(f"{sp}.resourceFieldRef.resource", ref["resource"],
                                         RESOURCE_FIELD_PATHS))
        for kind in ("configMapKeyRef", "secretKeyRef"):
            if src.get(kind) is not None:
                n += 1
                out += _key_selector(src[kind] or {}, f"{sp}.{kind}")
        if n == 0:
            out.append(invalid(sp, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                               "`configMapKeyRef` or `secretKeyRef`"))
        elif e.get("value"):
            out.append(invalid(sp, "", "may not be specified when `value` is not empty"))
        elif n > 1:
            out.append(invalid(sp, "", "may not have more than one field specified at a time"))
    return out


def _env_from(env_from, path: str) -> list[dict]:
    out = []
    for i, e in enumerate(env_from or ()):
        e, p, n = e or {}, f"{path}[{i}]", 0
        for kind in ("configMapRef", "secretRef"):
            if e.get(kind) is not None:
                n += 1
                name = (e[kind] or {}).get("name")
                if not name:
                    out.append(required(f"{p}.{kind}.name"))
                else:
                    out += [invalid(f"{p}.{kind}.name", name, m)
                            for m in is_dns1123_subdomain(str(name))]
        if n == 0:
            out.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif n > 1:
            out.append(invalid(path, "", "may not have more than one field specified at a time"))
    return out


def _volume_mounts(mounts, volumes: set, path: str) -> list[dict]:
    out, seen = [], set()
    for i, m in enumerate(mounts or ()):
        m, p = m or {}, f"{path}[{i}]"
        if not m.get("name"):
            out.append(required(f"{p}.name"))
        if m.get("name", "") not in volumes:
            out.append(not_found(f"{p}.name", m.get("name", "")))
        if not m.get("mountPath"):
            out.append(required(f"{p}.mountPath"))
        if m.get("mountPath") in seen:
            out.append(invalid(f"{p}.mountPath", m["mountPath"], "must be unique"))
        seen.add(m.get("mountPath"))
        sub = m.get("subPath")
        if sub and (str(sub).startswith("/") or ".." in str(sub).split("/")):
            out.append(invalid(f"{path}.subPath", sub, "must be a relative path" if
                               str(sub).startswith("/") else "must not contain '..'"))
    return out


def validate_handler(h, path: str, grace) -> list[dict]:
    """validateHandler: exactly one of exec/httpGet/tcpSocket/grpc (probes) or sleep (hooks)."""
    out = []
    chosen, extra = one_of(h if isinstance(h, dict) else {},
                           ("exec", "httpGet", "tcpSocket", "grpc", "sleep"), path, "handler")
    if chosen:
        kind, action = chosen
        action, ap = action or {}, f"{path}.{kind}"
        if kind == "exec" and not action.get("command"):
            out.append(required(f"{ap}.command"))
        elif kind == "httpGet":
            if not action.get("path"):
                out.append(required(f"{ap}.path"))
            out += validate_port_num_or_name(action.get("port"), f"{ap}.port")
            if action.get("scheme") not in ("HTTP", "HTTPS"):
                out.append(not_supported(f"{ap}.scheme", action.get("scheme", ""),
                                         ("HTTP", "HTTPS")))
            for header in action.get("httpHeaders") or ():
                out += [invalid(f"{ap}.httpHeaders", (header or {}).get("name", ""), m)
                        for m in is_http_header_name(str((header or {}).get("name", "")))]
        elif kind == "tcpSocket":
            out += validate_port_num_or_name(action.get("port"), f"{ap}.port")
        elif kind == "grpc":
            out += validate_port_num_or_name(action.get("port", 0), f"{ap}.port")
        elif kind == "sleep":
            sec = action.get("seconds", 0)
            if grace is not None and (sec <= 0 or sec > grace):
                out.append(invalid(ap, sec, "must be greater than 0 and less than "
                                   f"terminationGracePeriodSeconds ({grace})"))
    return out + extra


def validate_probe(probe, path: str, grace, kind: str) -> list[dict]:
    if probe is None:
        return []
    probe = probe if isinstance(probe, dict) else {}
    out = validate_handler({k: v for k, v in probe.items() if k != "sleep"}, path, grace)
    for f in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold",
              "failureThreshold"):
        out += nonnegative(f"{path}.{f}", probe.get(f))
    tgps = probe.get("terminationGracePeriodSeconds")
    if tgps is not None and tgps <= 0:
        out.append(invalid(f"{path}.terminationGracePeriodSeconds", tgps,
                           "must be greater than 0"))
    if kind in ("livenessProbe", "startupProbe") and probe.get("successThreshold", 1) != 1:
        out.append(invalid(f"{path}.successThreshold", probe["successThreshold"], "must be 1"))
    if kind == "readinessProbe" and tgps is not None:
        out.append(invalid(f"{path}.terminationGracePeriodSeconds", tgps,
                           "must not be set for readinessProbes"))
    return out


def _security_context(sc, path: str) -> list[dict]:
    out = []
    if not isinstance(sc, dict):
        return out
    for f in ("runAsUser", "runAsGroup"):
        v = sc.get(f)
        if v is not None and not 0 <= v <= 2147483647:
            out.append(invalid(f"{path}.{f}", v, "must be between 0 and 2147483647, inclusive"))
    if sc.get("privileged") and sc.get("allowPrivilegeEscalation") is False:
        out.append(invalid(path, Raw("core.SecurityContext{...}"),
                           "cannot set `allowPrivilegeEscalation` to false and `privileged` "
                           "to true"))
    return out


def validate_container_common(c: dict, volumes: set, path: str) -> list[dict]:
    """validateContainerCommon: what every kind of container must satisfy."""
    out = []
    if not c.get("name"):
        out.append(required(f"{path}.name"))
    else:
        out += [invalid(f"{path}.name", c["name"], m) for m in is_dns1123_label(str(c["name"]))]
    if not c.get("image"):
        out.append(required(f"{path}.image"))
    tmp = c.get("terminationMessagePolicy")
    if not tmp:
        out.append(required(f"{path}.terminationMessagePolicy"))
    elif tmp not in ("File", "FallbackToLogsOnError"):
        out.append(not_supported(f"{path}.terminationMessagePolicy", tmp,
                                 ("File", "FallbackToLogsOnError")))
    out += _ports(c.get("ports"), f"{path}.ports")
    out += _env(c.get("env"), f"{path}.env")
    out += _env_from(c.get("envFrom"), f"{path}.envFrom")
    out += _volume_mounts(c.get("volumeMounts"), volumes, f"{path}.volumeMounts")
    policy = c.get("imagePullPolicy")
    if not policy:
        out.append(required(f"{path}.imagePullPolicy"))
    elif policy not in PULL_POLICIES:
        out.append(not_supported(f"{path}.imagePullPolicy", policy, PULL_POLICIES))
    out += validate_resource_requirements(c.get("resources"), f"{path}.resources")
    out += _security_context(c.get("securityContext"), f"{path}.securityContext")
    return out


def _lifecycle_and_probes(c: dict, path: str, grace) -> list[dict]:
    out = []
    lc = c.get("lifecycle")
    if isinstance(lc, dict):
        for hook in ("postStart", "preStop"):
            if lc.get(hook) is not None:
                out += validate_handler(lc[hook], f"{path}.lifecycle.{hook}", grace)
    for kind in ("livenessProbe", "readinessProbe", "startupProbe"):
        out += validate_probe(c.get(kind), f"{path}.{kind}", grace, kind)
    return out


def _host_ports(containers, path: str) -> list[dict]:
    out, seen = [], set()
    for ci, c in enumerate(containers):
        for pi, p in enumerate((c or {}).get("ports") or ()):
            p = p or {}
            if not p.get("hostPort"):
                continue
            key = f"{p.get('protocol')}/{p.get('hostIP', '')}/{p['hostPort']}"
            if key in seen:
                out.append(duplicate(f"{path}[{ci}].ports[{pi}].hostPort", key))
            seen.add(key)
    return out


def validate_containers(containers, volumes: set, path: str, grace) -> list[dict]:
    """validateContainers: at least one, unique names, probes and hooks allowed."""
    if not containers:
        return [required(path)]
    out, names = [], set()
    for i, c in enumerate(containers):
        c, p = c or {}, f"{path}[{i}]"
        out += validate_container_common(c, volumes, p)
        if c.get("name") in names:
            out.append(duplicate(f"{p}.name", c.get("name")))
        names.add(c.get("name"))
        out += _lifecycle_and_probes(c, p, grace)
        if c.get("restartPolicy") is not None:
            out.append(forbidden(f"{p}.restartPolicy", "may not be set for non-init containers"))
    return out + _host_ports(containers, path)


#: what an ephemeral container may not have (validateEphemeralContainers)
EPHEMERAL_FORBIDDEN = ("ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle",
                       "resources", "resizePolicy", "restartPolicy")


def validate_ephemeral_containers(ephemeral, spec: dict, volumes: set, path: str) -> list[dict]:
    """validateEphemeralContainers: common container rules, names unique across the whole
    pod, no ports/probes/lifecycle/resources, ``targetContainerName`` naming a container."""
    out = []
    others = {(c or {}).get("name") for k in ("containers", "initContainers") for c in spec.get(k) or ()}
    seen = set()
    for i, c in enumerate(ephemeral or ()):
        c, p = c or {}, f"{path}[{i}]"
        out += validate_container_common(c, volumes, p)
        if c.get("name") in others or c.get("name") in seen:
            out.append(duplicate(f"{p}.name", c.get("name")))
        seen.add(c.get("name"))
        for f in EPHEMERAL_FORBIDDEN:
            if c.get(f):
                out.append(forbidden(f"{p}.{f}", "cannot be set for an Ephemeral Container"))
        target = c.get("targetContainerName")
        if target and target not in others:
            out.append(not_found(f"{p}.targetContainerName", target))
    return out


def validate_init_containers(inits, containers, volumes: set, path: str, grace) -> list[dict]:
    """validateInitContainers: sidecars (restartPolicy: Always) may have probes; others not."""
    out = []
    names = {(c or {}).get("name") for c in containers or ()}
    for i, c in enumerate(inits or ()):
        c, p = c or {}, f"{path}[{i}]"
        out += validate_container_common(c, volumes, p)
        policy = c.get("restartPolicy")
        if policy is not None and policy != "Always":
            out.append(not_supported(f"{p}.restartPolicy", policy, ("Always",)))
        if c.get("name") in names:
            out.append(duplicate(f"{p}.name", c.get("name")))
        elif c.get("name"):
            names.add(c["name"])
        out += _host_ports([c], path)
        if policy == "Always":
            out += _lifecycle_and_probes(c, p, grace)
        else:
            for f in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if c.get(f) is not None:
                    out.append(forbidden(f"{p}.{f}", "may not be set for init containers "
                                         "without restartPolicy=Always"))
    return out

