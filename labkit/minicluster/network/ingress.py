"""Ingress routing: which Service an HTTP request for ``host`` + ``path`` goes to (the rules of the
networking.k8s.io/v1 Ingress API, as ingress-nginx applies them).

- **Hosts.** A rule's ``host`` matches exactly (case-insensitive), or as a wildcard
  ``*.example.com``, which covers exactly one label (``a.example.com``, not ``a.b.example.com``
  nor ``example.com``). Exact hosts win over wildcards, wildcards over rules without a host.
  Rules of several Ingresses for the same host are merged, as ingress-nginx does.
- **Paths.** ``Exact`` matches the path as is. ``Prefix`` matches whole path elements split by
  ``/``: ``/foo`` matches ``/foo``, ``/foo/`` and ``/foo/bar`` but not ``/foobar``; ``/``
  matches everything. ``ImplementationSpecific`` is ingress-nginx's plain string prefix
  (``/foo`` *does* match ``/foobar``). The longest matching path wins; with equal lengths
  ``Exact`` beats ``Prefix``.
- **Default backend.** If no path matches, the Ingress's ``spec.defaultBackend`` takes the
  request; without one the controller answers ``404 Not Found`` itself.
- **TLS.** A host listed in ``spec.tls[].hosts`` is served over HTTPS; plain HTTP requests to it
  are redirected (``308 Permanent Redirect``, ingress-nginx's default ``ssl-redirect``).

Simplification: the simulated controller serves every IngressClass unless asked for one.
"""
from __future__ import annotations

from typing import NamedTuple

from .policy import Peer



def page(code: int, text: str) -> str:
    """ingress-nginx's own error page."""
    return (f"<html>\r\n<head><title>{code} {text}</title></head>\r\n<body>\r\n<center><h1>{code} {text}"
            f"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")


NGINX_404 = page(404, "Not Found")
NGINX_308 = page(308, "Permanent Redirect")

#: the controller pod (ingress-nginx on kind's control-plane node) as NetworkPolicies see it
CONTROLLER = Peer("10.244.0.5", pod={
    "metadata": {"namespace": "ingress-nginx", "name": "ingress-nginx-controller",
                 "labels": {"app.kubernetes.io/name": "ingress-nginx",
                            "app.kubernetes.io/component": "controller"}},
    "spec": {"nodeName": "kind-control-plane", "containers": []}})


class IngressRoute(NamedTuple):
    namespace: str
    ingress: str
    service: str
    port: int | str     # the backend's port number, or its port name
    path: str | None    # the matched path (None: the default backend)
    path_type: str | None
    tls: bool


def ingress_class(ing) -> str | None:
    spec = ing.get("spec") or {}
    return spec.get("ingressClassName") or \
        (ing["metadata"].get("annotations") or {}).get("kubernetes.io/ingress.class")


def host_matches(rule_host: str | None, host: str) -> int:
    """0 = no match; 3 exact, 2 wildcard, 1 any host (the rule has none)."""
    if not rule_host:
        return 1
    rule_host, host = rule_host.lower(), host.lower()
    if rule_host == host:
        return 3
    if rule_host.startswith("*."):
        head, _, rest = host.partition(".")
        return 2 if head and rest == rule_host[2:] else 0
    return 0


def path_matches(path_type: str, rule_path: str, path: str) -> bool:
    if path_type == "Exact":
        return path == rule_path
    if path_type == "Prefix":
        want = [p for p in rule_path.split("/") if p]
        have = [p for p in path.split("/") if p]
        return have[:len(want)] == want
    return path.startswith(rule_path)  # ImplementationSpecific (ingress-nginx)


def _backend(ing, backend, path, path_type, tls) -> IngressRoute | None:
    svc = (backend or {}).get("service")
    if not svc:
        return None
    port = svc.get("port") or {}
    return IngressRoute(ing["metadata"]["namespace"], ing["metadata"]["name"], svc.get("name"),
                        port.get("number") if port.get("number") is not None else port.get("name"),
                        path, path_type, tls)


def route(ingresses, host: str, path: str = "/", klass: str | None = None) -> IngressRoute | None:
    """The backend for ``host`` + ``path`` among ``ingresses``, or None (the controller's 404)."""
    host = host.split(":")[0]
    path = path or "/"
    pool = [i for i in ingresses if klass is None or ingress_class(i) == klass]
    best_level, rules = 0, []
    for ing in pool:
        tls = any(host.lower() in [h.lower() for h in t.get("hosts") or ()]
                  for t in (ing.get("spec") or {}).get("tls") or ())
        for rule in (ing.get("spec") or {}).get("rules") or ():
            level = host_matches(rule.get("host"), host)
            if level > best_level:
                best_level, rules = level, []
            if level and level == best_level:
                rules.append((ing, rule, tls))
    best, best_key = None, None
    for ing, rule, tls in rules:
        for p in (rule.get("http") or {}).get("paths") or ():
            ptype, ppath = p.get("pathType", "ImplementationSpecific"), p.get("path", "/")
            if path_matches(ptype, ppath, path):
                key = (len(ppath.rstrip("/")) if ptype == "Prefix" else len(ppath), ptype == "Exact")
                if best_key is None or key > best_key:
                    best, best_key = _backend(ing, p.get("backend"), ppath, ptype, tls), key
    if best is not None:
        return best
    for ing, _rule, tls in rules + [(i, None, False) for i in pool]:
        default = (ing.get("spec") or {}).get("defaultBackend")
        if default:
            return _backend(ing, default, None, None, tls)
    return None
