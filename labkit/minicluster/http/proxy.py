"""``services/NAME/proxy`` and ``pods/NAME/proxy``: the API server as an HTTP proxy into the cluster.

``kubectl proxy`` (or ``kubectl get --raw``) reaches a Service or a pod through the API server:

    /api/v1/namespaces/default/services/web:80/proxy/index.html
    /api/v1/namespaces/default/pods/web-7d4b9c-x2k8q:80/proxy/

The name part is ``[scheme:]name[:port]``; a Service port is named or numbered, and may be left
out when the Service has a single port. The API server does not go through the Service's
ClusterIP (kube-proxy's rules live on the nodes): it picks one ready endpoint itself and sends
the request to ``podIP:targetPort`` (pkg/registry/core/service/storage ``ResourceLocation``,
pkg/registry/core/pod/strategy.go ``ResourceLocation``). The caller needs the ``proxy``
subresource in RBAC (``get services/proxy`` for a GET).

Simplifications: the request leaves from the first node (the API server runs on a control-plane
node, which this cluster does not have); the endpoint is chosen in turn (round robin) rather than at random, so runs
repeat; only the simulated images' HTTP answers come back (no WebSocket upgrades, no
``https:`` backends); the response's Content-Type is guessed from the body.
"""
from __future__ import annotations

import itertools

from .. import errors
from ..images.process import NetError

#: HTTP method → the verb RBAC checks on the proxy subresource
VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
         "DELETE": "delete"}
_turns = itertools.count()


def split_name(name: str) -> tuple[str, str]:
    """``web``, ``web:80``, ``https:web:443`` → (name, port)."""
    parts = name.split(":")
    if len(parts) == 3:
        parts = parts[1:]
    return parts[0], (parts[1] if len(parts) > 1 else "")


def _unavailable(message: str) -> errors.ApiError:
    return errors.ApiError(errors.status(503, "ServiceUnavailable", message))


def service_target(cluster, namespace: str, name: str) -> str:
    """``ip:port`` of a ready endpoint behind the Service port ``name`` points at."""
    svc_name, port = split_name(name)
    svc = cluster.api.get("services", svc_name, namespace)
    ports = svc["spec"].get("ports") or []
    chosen = [p for p in ports if port in (p.get("name") or "", str(p.get("port")))] if port \
        else ports if len(ports) == 1 else [p for p in ports if not p.get("name")]
    if not chosen:
        raise _unavailable(f'no endpoints available for service "{name}"')
    port_name = chosen[0].get("name") or ""
    ready = [e for e in cluster.network.endpoints_of(svc)
             if e["ready"] and port_name in (e.get("ports") or {})]
    if not ready:
        raise _unavailable(f'no endpoints available for service "{svc_name}"')
    endpoint = ready[next(_turns) % len(ready)]
    return f"{endpoint['ip']}:{endpoint['ports'][port_name]}"


def pod_target(cluster, namespace: str, name: str) -> str:
    pod_name, port = split_name(name)
    pod = cluster.api.get("pods", pod_name, namespace)
    ip = (pod.get("status") or {}).get("podIP")
    if not ip:
        raise errors.bad_request(f"address not allowed")
    return f"{ip}:{port or 80}"


def handle(h, verb: str, t, user, rest: str) -> None:
    """Answer ``{services,pods}/NAME/proxy/REST`` with what the backend answered."""
    h.api._authorize(user, VERBS.get(verb, "get"), t.rt, t.namespace, split_name(t.name)[0], "proxy")
    with h.cluster.lock:
        target = (service_target if t.rt.kind == "Service" else pod_target)(h.cluster, t.namespace, t.name)
        query = h.request.query
        try:
            status, body, _ = h.cluster.network.fetch(f"node/{min(h.cluster.kubelets)}",  # as from a node
                                                      f"http://{target}/{rest}" + (f"?{query}" if query else ""))
        except NetError as e:
            raise _unavailable(f"error trying to reach service: {e}") from None
    h.set_status(status)
    h.set_header("Content-Type", "text/html" if body.lstrip().startswith("<") else "text/plain; charset=utf-8")
    h.finish(body.encode())
