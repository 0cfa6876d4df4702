"""Parsing Kubernetes REST paths into (resource, namespace, name, subresource).

The API's URL layout (https://kubernetes.io/docs/reference/using-api/api-concepts/):

    /api/v1/namespaces/{ns}/pods/{name}/log          core group ("legacy" /api prefix)
    /apis/apps/v1/namespaces/{ns}/deployments/{name}  named groups under /apis/{group}/{version}
    /api/v1/nodes/{name}                              cluster-scoped resources
    /api/v1/pods                                      a namespaced resource across all namespaces
    /api/v1/namespaces/{name}/finalize                the Namespace object's own subresources
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from .. import errors
from ..resources import REGISTRY, ResourceType


@dataclass
class Target:
    rt: ResourceType
    namespace: str | None
    name: str | None
    subresource: str | None
    watch_prefix: bool = False  # the deprecated /watch/ path form


def parse(path: str, registry=REGISTRY) -> Target:
    """Parse a resource path; raises 404 for unknown groups, versions or resources. Segments
    are percent-decoded (the official client sends ``web:80`` as ``web%3A80``)."""
    parts = [unquote(p) for p in path.split("/") if p]
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise errors.no_route()
    watch = False
    if rest[:1] == ["watch"]:
        watch, rest = True, rest[1:]
    if not rest:
        raise errors.no_route()
    gvr = lambda plural: _lookup(registry, group, version, plural)
    if rest[0] == "namespaces" and len(rest) >= 3:
        rt = gvr(rest[2])
        if rt is not None and rt.namespaced:
            name = rest[3] if len(rest) > 3 else None
            sub = "/".join(rest[4:]) or None
            return Target(rt, rest[1], name, sub, watch)
    rt = gvr(rest[0])
    if rt is None:
        raise errors.no_route()
    name = rest[1] if len(rest) > 1 else None
    sub = "/".join(rest[2:]) or None
    return Target(rt, None, name, sub, watch)


def _lookup(registry, group, version, plural) -> ResourceType | None:
    for rt in registry.all():
        if rt.group == group and rt.version == version and rt.plural == plural:
            return rt
    return None
