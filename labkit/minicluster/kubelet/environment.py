"""A container's environment variables, built the way the kubelet builds them.

Order of construction (pkg/kubelet/kubelet_pods.go ``makeEnvironmentVariables``):

1. ``envFrom`` (all keys of a ConfigMap or Secret, with an optional prefix),
2. ``env`` (literal values, ``$(OTHER)`` references to earlier variables, ``valueFrom``:
   ``configMapKeyRef``, ``secretKeyRef``, ``fieldRef`` (downward API), ``resourceFieldRef``),
3. Service links: for every Service of the namespace (and ``kubernetes`` of ``default``),
   ``NAME_SERVICE_HOST``, ``NAME_SERVICE_PORT``, ``NAME_PORT_80_TCP``... unless the pod sets
   ``enableServiceLinks: false`` (the ``kubernetes`` ones are always there).

A missing ConfigMap/Secret or key is not an API error but a container that cannot be created:
``CreateContainerConfigError`` with the kubelet's message (``configmap "cfg" not found``,
``couldn't find key LEVEL in ConfigMap default/cfg``). ``$(VAR)`` in ``command``/``args`` is
expanded with the same variables; an unknown ``$(VAR)`` stays as written, ``$$`` is ``$``.
"""
from __future__ import annotations

import base64
import math
import re

from ..admission.common import cached_get
from ..quantity import parse_cpu, parse_memory


#: one copy of each service-link name and value, shared by every container that has it (all the
#: pods of a namespace get the same ``KUBERNETES_PORT_443_TCP=tcp://10.96.0.1:443``...): memory
#: for large clusters; cleared when full
_SHARED: dict = {}
_SHARED_LIMIT = 20_000


def _share(text: str) -> str:
    if len(_SHARED) > _SHARED_LIMIT:
        _SHARED.clear()
    return _SHARED.setdefault(text, text)


class ConfigError(Exception):
    """The container's configuration cannot be built (``CreateContainerConfigError``)."""


def expand(text: str, mapping: dict) -> str:
    """Kubernetes' ``$(VAR)`` expansion (third_party/forked/golang/expansion)."""
    if "$" not in text:
        return text
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "$" and i + 1 < n:
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                j = text.find(")", i + 2)
                if j > 0:
                    name = text[i + 2:j]
                    out.append(mapping[name] if name in mapping else text[i:j + 1])
                    i = j + 1
                    continue
        out.append(c)
        i += 1
    return "".join(out)


def _get(api, resource, name, namespace):
    """The kubelet's ConfigMap/Secret manager (``configMapAndSecretChangeDetectionStrategy:
    Watch``): a watch-fed cache shared by every pod, so a thousand pods mounting
    ``kube-root-ca.crt`` hold one copy of it (read-only), not a thousand."""
    return cached_get(api, resource, namespace, name)


def _data(obj: dict, kind: str) -> dict:
    if kind == "Secret":
        out = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (obj.get("data") or {}).items()}
        out.update(obj.get("stringData") or {})
        return out
    if not obj.get("binaryData"):  # the (read-only) data itself: no copy per pod
        return obj.get("data") or {}
    out = dict(obj.get("data") or {})
    out.update({k: base64.b64decode(v).decode("utf-8", "replace")
                for k, v in obj["binaryData"].items()})
    return out


def source_data(api, kind: str, name: str, namespace: str, optional: bool):
    """Keys of a ConfigMap/Secret, None if it is missing but optional; ConfigError otherwise."""
    obj = _get(api, "configmaps" if kind == "ConfigMap" else "secrets", name, namespace)
    if obj is None:
        if optional:
            return None
        raise ConfigError(f'{"configmap" if kind == "ConfigMap" else "secret"} "{name}" not found')
    return _data(obj, kind)


def field_value(pod: dict, path: str, pod_ip: str, host_ip: str) -> str:
    """The downward API's ``fieldRef.fieldPath``."""
    meta, spec = pod["metadata"], pod.get("spec", {})
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if m:
        return (meta.get(m.group(1)) or {}).get(m.group(2), "")
    if path in ("metadata.labels", "metadata.annotations"):
        items = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    return {
        "metadata.name": meta.get("name", ""), "metadata.namespace": meta.get("namespace", ""),
        "metadata.uid": meta.get("uid", ""), "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": pod_ip, "status.podIPs": pod_ip, "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }.get(path, "")


def resource_value(container: dict, ref: dict, node_allocatable: dict) -> str:
    """``resourceFieldRef``: limits/requests in units of ``divisor`` (rounded up); a missing
    limit means the node's allocatable amount."""
    res = ref.get("resource", "")
    kind, _, name = res.partition(".")
    values = ((container.get("resources") or {}).get(kind)) or {}
    q = values.get(name)
    if q is None and kind == "limits":
        q = node_allocatable.get(name)
    if q is None:
        return "0"
    divisor = ref.get("divisor") or "1"
    if name == "cpu":
        return str(math.ceil(parse_cpu(str(q)) / max(parse_cpu(str(divisor)), 1)))
    return str(math.ceil(parse_memory(str(q)) / max(parse_memory(str(divisor)), 1)))


def service_env(services: list[dict]) -> dict:
    """Docker-links style variables for Services (pkg/kubelet/envvars ``FromServices``)."""
    env: dict = {}
    for svc in sorted(services, key=lambda s: s["metadata"]["name"]):
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        ports = spec.get("ports") or []
        if not ip or ip == "None" or not ports:
            continue
        name = svc["metadata"]["name"].upper().replace("-", "_")
        env[f"{name}_SERVICE_HOST"] = ip
        env[f"{name}_SERVICE_PORT"] = str(ports[0]["port"])
        for p in ports:
            if p.get("name"):
                env[f"{name}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
        first = ports[0]
        env[f"{name}_PORT"] = f"{first.get('protocol', 'TCP').lower()}://{ip}:{first['port']}"
        for p in ports:
            proto = p.get("protocol", "TCP")
            base = f"{name}_PORT_{p['port']}_{proto}"
            env[base] = f"{proto.lower()}://{ip}:{p['port']}"
            env[f"{base}_PROTO"] = proto.lower()
            env[f"{base}_PORT"] = str(p["port"])
            env[f"{base}_ADDR"] = ip
    return env


def build_env(api, pod: dict, container: dict, pod_ip: str, host_ip: str, services: list[dict],
              node_allocatable: dict) -> dict:
    """The container's environment (an ordered dict); raises :class:`ConfigError`."""
    ns = pod["metadata"]["namespace"]
    env: dict = {}
    for src in container.get("envFrom") or []:
        prefix = src.get("prefix", "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = src.get(key)
            if ref:
                data = source_data(api, kind, ref.get("name", ""), ns, bool(ref.get("optional")))
                for k, v in (data or {}).items():
                    env[prefix + k] = v
    for var in container.get("env") or []:
        name = var.get("name", "")
        if "value" in var or "valueFrom" not in var:
            env[name] = expand(str(var.get("value", "")), env)
            continue
        vf = var["valueFrom"]
        for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
            ref = vf.get(key)
            if ref is None:
                continue
            optional = bool(ref.get("optional"))
            data = source_data(api, kind, ref.get("name", ""), ns, optional)
            if data is None:
                break
            if ref.get("key") not in data:
                if optional:
                    break
                raise ConfigError(f"couldn't find key {ref.get('key')} in {kind} {ns}/{ref.get('name')}")
            env[name] = data[ref["key"]]
        if "fieldRef" in vf:
            env[name] = field_value(pod, vf["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif "resourceFieldRef" in vf:
            env[name] = resource_value(container, vf["resourceFieldRef"], node_allocatable)
    links = service_env(services)
    for k, v in links.items():
        if k not in env:
            env[_share(k)] = _share(v)
    return env


def expand_command(container: dict, env: dict) -> dict:
    """A copy of the container spec with ``$(VAR)`` expanded in ``command`` and ``args``."""
    out = dict(container)
    for key in ("command", "args"):
        if container.get(key):
            out[key] = [expand(str(a), env) for a in container[key]]
    return out
