"""API discovery: how kubectl learns which resources exist (``kubectl api-resources``).

Three documents, all derived from the resource registry:
- ``/api`` and ``/apis``: the groups and their versions;
- ``/api/v1``, ``/apis/{group}/{version}``: an ``APIResourceList`` per group-version (kind, verbs,
  short names, whether namespaced, subresources as ``pods/log``...);
- aggregated discovery (``Accept: ...;as=APIGroupDiscoveryList``, Kubernetes ≥ 1.30 default),
  everything in one response, which modern kubectl asks for first.
"""
from __future__ import annotations

from ..resources import REGISTRY
from ..upstream import KUBERNETES_VERSION

_SUB_VERBS = {"status": ["get", "patch", "update"], "scale": ["get", "patch", "update"],
              "log": ["get"], "binding": ["create"], "eviction": ["create"], "token": ["create"],
              "exec": ["create", "get"], "attach": ["create", "get"], "proxy": ["create", "delete", "get", "patch", "update"],
              "finalize": ["update"], "ephemeralcontainers": ["get", "patch", "update"],
              "resize": ["get", "patch", "update"]}


#: (resource, subresource) → (group, version, kind) of the subresource's body, where it is not
#: the parent kind (the endpoint installer reports the storage's kind; ``kubectl drain`` looks
#: for ``pods/eviction`` of kind policy/v1 Eviction before it evicts instead of deleting)
_SUB_KINDS = {("pods", "eviction"): ("policy", "v1", "Eviction"),
              ("pods", "binding"): ("", "v1", "Binding"),
              ("pods", "exec"): ("", "v1", "PodExecOptions"),
              ("pods", "attach"): ("", "v1", "PodAttachOptions"),
              ("pods", "portforward"): ("", "v1", "PodPortForwardOptions"),
              ("pods", "proxy"): ("", "v1", "PodProxyOptions"),
              ("nodes", "proxy"): ("", "v1", "NodeProxyOptions"),
              ("services", "proxy"): ("", "v1", "ServiceProxyOptions"),
              ("serviceaccounts", "token"): ("authentication.k8s.io", "v1", "TokenRequest")}


def sub_kind(rt, sub: str) -> dict:
    """``{"group", "version", "kind"}`` of a subresource (Scale for every ``scale``)."""
    if sub == "scale":
        g, v, k = "autoscaling", "v1", "Scale"
    else:
        g, v, k = _SUB_KINDS.get((rt.plural, sub), (rt.group, rt.version, rt.kind))
    return {"group": g, "version": v, "kind": k}


def version_info() -> dict:
    major, minor = KUBERNETES_VERSION.lstrip("v").split(".")[:2]
    return {"major": major, "minor": minor, "emulationMajor": major, "emulationMinor": minor,
            "minCompatibilityMajor": major, "minCompatibilityMinor": str(int(minor) - 1),
            "gitVersion": KUBERNETES_VERSION, "gitCommit": "labkit-minicluster",
            "gitTreeState": "clean", "buildDate": "2025-01-01T00:00:00Z",
            "goVersion": "go1.24.0", "compiler": "gc", "platform": "linux/amd64"}


#: Group order in discovery: kube-aggregator's default APIService priorities
#: (``groupPriorityMinimum``; higher first, ties by name), the order ``/apis`` has on a real
#: cluster. Within a group the preferred (highest ``versionPriority``) version comes first.
GROUP_PRIORITY = {"": 18000, "apps": 17800, "events.k8s.io": 17750, "authentication.k8s.io": 17700,
                  "authorization.k8s.io": 17600, "autoscaling": 17500, "batch": 17400,
                  "certificates.k8s.io": 17300, "networking.k8s.io": 17200, "policy": 17100,
                  "rbac.authorization.k8s.io": 17000, "storage.k8s.io": 16800,
                  "admissionregistration.k8s.io": 16700, "apiextensions.k8s.io": 16700,
                  "scheduling.k8s.io": 16600, "coordination.k8s.io": 16500, "node.k8s.io": 16300,
                  "discovery.k8s.io": 16200, "flowcontrol.apiserver.k8s.io": 16100,
                  "resource.k8s.io": 15900,
                  "metrics.k8s.io": 100}  # metrics-server's manifests/base/apiservice.yaml
#: versionPriority of the versions that share a group with another one
VERSION_PRIORITY = {("autoscaling", "v2"): 30, ("autoscaling", "v1"): 15}


def _types(registry, group, version):
    """The kinds of one group-version, sorted by plural: the API server installs its REST
    paths in sorted order (``sort.Strings`` in the endpoint installer), so discovery lists
    them alphabetically."""
    return sorted((rt for rt in registry.all() if rt.group == group and rt.version == version),
                  key=lambda rt: rt.plural)


def group_versions(registry=REGISTRY) -> dict[str, list[str]]:
    """``{group: [versions, preferred first]}`` in discovery order (see GROUP_PRIORITY)."""
    found: dict[str, set[str]] = {}
    for rt in registry.all():
        found.setdefault(rt.group, set()).add(rt.version)
    groups = sorted(found, key=lambda g: (-GROUP_PRIORITY.get(g, 1000), g))
    return {g: sorted(found[g], key=lambda v: (-VERSION_PRIORITY.get((g, v), 15), v))
            for g in groups}


def api_versions() -> dict:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def api_group_list(registry=REGISTRY) -> dict:
    groups = []
    for group, versions in group_versions(registry).items():
        if not group:
            continue
        vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": vs, "preferredVersion": vs[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str, registry=REGISTRY) -> dict | None:
    versions = group_versions(registry).get(group)
    if not versions or not group:
        return None
    vs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": vs,
            "preferredVersion": vs[0]}


def resource_list(group: str, version: str, registry=REGISTRY) -> dict | None:
    types = _types(registry, group, version)
    if not types:
        return None
    resources = []
    for rt in types:
        entry = {"name": rt.plural, "singularName": rt.name, "namespaced": rt.namespaced,
                 "kind": rt.kind, "verbs": list(rt.verbs)}
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in rt.subresources:
            resources.append({"name": f"{rt.plural}/{sub}", "singularName": "",
                              "namespaced": rt.namespaced,
                              "kind": sub_kind(rt, sub)["kind"],
                              "verbs": _SUB_VERBS.get(sub, ["get"]),
                              **_foreign_gv(rt, sub)})
    resources.sort(key=lambda r: r["name"])
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


def _foreign_gv(rt, sub) -> dict:
    """APIResourceList names a subresource's group/version only when they differ."""
    k = sub_kind(rt, sub)
    if (k["group"], k["version"]) == (rt.group, rt.version):
        return {}
    return {"group": k["group"], "version": k["version"]}


def aggregated(legacy: bool, registry=REGISTRY) -> dict:
    """``APIGroupDiscoveryList`` (apidiscovery.k8s.io/v2) for ``/api`` (legacy) or ``/apis``."""
    items = []
    for group, versions in group_versions(registry).items():
        if (group == "") != legacy:
            continue
        vlist = []
        for v in versions:
            resources = []
            for rt in _types(registry, group, v):
                entry = {"resource": rt.plural, "responseKind": {"group": rt.group, "version": rt.version,
                                                                 "kind": rt.kind},
                         "scope": "Namespaced" if rt.namespaced else "Cluster",
                         "singularResource": rt.name, "verbs": list(rt.verbs)}
                if rt.short_names:
                    entry["shortNames"] = list(rt.short_names)
                if rt.categories:
                    entry["categories"] = list(rt.categories)
                subs = [{"subresource": s,
                         "responseKind": sub_kind(rt, s),
                         "verbs": _SUB_VERBS.get(s, ["get"])} for s in sorted(rt.subresources)]
                if subs:
                    entry["subresources"] = subs
                resources.append(entry)
            vlist.append({"version": v, "resources": resources, "freshness": "Current"})
        items.append({"metadata": {"name": group, "creationTimestamp": None}, "versions": vlist})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {}, "items": items}
