"""The kind registry: which resources the API serves, under which group, version and names.

This is what API discovery (``kubectl api-resources``) tells a client. It also knows the API
versions Kubernetes has *removed* (e.g. ``extensions/v1beta1`` Deployments, gone since v1.16):
asking for them fails exactly as on a real cluster, with ``no matches for kind``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import errors


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple = ()
    categories: tuple = ()
    subresources: tuple = ()
    verbs: tuple = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    singular: str = field(default="")
    #: the ``group_resource`` whose storage this API shares ("" = its own); see conversion.py
    storage: str = field(default="")

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """``deployments.apps`` or ``pods``: how messages and RBAC name the resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def name(self) -> str:
        return self.singular or self.kind.lower()

    @property
    def list_kind(self) -> str:
        return self.kind + "List"


_ALL = ("all",)
_RO = ("get", "list", "watch")


def _r(group, version, kind, plural, namespaced=True, short=(), cats=(), sub=(), verbs=None):
    return ResourceType(group, version, kind, plural, namespaced, tuple(short), tuple(cats),
                        tuple(sub), tuple(verbs) if verbs else ResourceType.verbs, kind.lower())


_BUILTIN = [
    # core/v1
    _r("", "v1", "Namespace", "namespaces", False, ["ns"], sub=["status", "finalize"],
       verbs=["create", "delete", "get", "list", "patch", "update", "watch"]),
    _r("", "v1", "Node", "nodes", False, ["no"], sub=["status", "proxy"]),
    _r("", "v1", "Pod", "pods", True, ["po"], _ALL,
       ["status", "binding", "log", "eviction", "exec", "attach", "proxy", "ephemeralcontainers",
        "resize"]),
    _r("", "v1", "Binding", "bindings", True, verbs=["create"]),
    _r("", "v1", "ReplicationController", "replicationcontrollers", True, ["rc"], _ALL, ["status", "scale"]),
    _r("", "v1", "Service", "services", True, ["svc"], _ALL, ["status", "proxy"],
       verbs=["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]),
    _r("", "v1", "Endpoints", "endpoints", True, ["ep"]),
    _r("", "v1", "ConfigMap", "configmaps", True, ["cm"]),
    _r("", "v1", "Secret", "secrets", True),
    _r("", "v1", "ServiceAccount", "serviceaccounts", True, ["sa"], sub=["token"]),
    _r("", "v1", "Event", "events", True, ["ev"]),
    _r("", "v1", "PersistentVolume", "persistentvolumes", False, ["pv"], sub=["status"]),
    _r("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ["pvc"], sub=["status"]),
    _r("", "v1", "LimitRange", "limitranges", True, ["limits"]),
    _r("", "v1", "ResourceQuota", "resourcequotas", True, ["quota"], sub=["status"]),
    # apps/v1
    _r("apps", "v1", "Deployment", "deployments", True, ["deploy"], _ALL, ["status", "scale"]),
    _r("apps", "v1", "ReplicaSet", "replicasets", True, ["rs"], _ALL, ["status", "scale"]),
    _r("apps", "v1", "StatefulSet", "statefulsets", True, ["sts"], _ALL, ["status", "scale"]),
    _r("apps", "v1", "DaemonSet", "daemonsets", True, ["ds"], _ALL, ["status"]),
    _r("apps", "v1", "ControllerRevision", "controllerrevisions", True),
    # batch/v1
    _r("batch", "v1", "Job", "jobs", True, [], _ALL, ["status"]),
    _r("batch", "v1", "CronJob", "cronjobs", True, ["cj"], _ALL, ["status"]),
    # autoscaling
    _r("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ["hpa"],
       _ALL, ["status"]),
    # autoscaling/v1 is still served (targetCPUUtilizationPercentage): the same objects,
    # stored as v2 and converted on the way in and out (conversion_autoscaling.py)
    replace(_r("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True,
               ["hpa"], _ALL, ["status"]), storage="horizontalpodautoscalers.autoscaling"),
    # networking
    _r("networking.k8s.io", "v1", "Ingress", "ingresses", True, ["ing"], sub=["status"]),
    _r("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False),
    _r("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", True, ["netpol"]),
    _r("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", True),
    # storage
    _r("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ["sc"]),
    # rbac
    _r("rbac.authorization.k8s.io", "v1", "Role", "roles", True),
    _r("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _r("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", True),
    _r("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    # others the control plane uses
    _r("coordination.k8s.io", "v1", "Lease", "leases", True),
    # the same objects as core/v1 Events, in the same storage (pkg/registry/events)
    replace(_r("events.k8s.io", "v1", "Event", "events", True, ["ev"]), storage="events"),
    _r("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ["pdb"], sub=["status"]),
    _r("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ["pc"]),
    _r("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", False,
       verbs=["create"]),
    _r("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", False,
       verbs=["create"]),
    _r("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", False,
       verbs=["create"]),
]

#: The resource metrics API, served by the metrics-server add-on through the API server's
#: aggregation layer (its APIService ``v1beta1.metrics.k8s.io``). Not built in: a cluster serves
#: it only with metrics-server installed (:mod:`.metrics_server`). metrics-server's storages
#: implement get and list only (metrics-server pkg/api/pod.go, node.go).
POD_METRICS = _r("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", True, verbs=["get", "list"])
NODE_METRICS = _r("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", False, verbs=["get", "list"])

#: Group/versions Kubernetes used to serve and removed, with the release that removed them.
#: A manifest using one gets "no matches for kind" (docs: deprecation-guide).
REMOVED_VERSIONS = {
    "extensions/v1beta1": "v1.16 (workloads), v1.22 (Ingress)",
    "apps/v1beta1": "v1.16", "apps/v1beta2": "v1.16",
    "batch/v1beta1": "v1.25", "batch/v2alpha1": "v1.21",
    "networking.k8s.io/v1beta1": "v1.22",
    "policy/v1beta1": "v1.25",
    "autoscaling/v2beta1": "v1.25", "autoscaling/v2beta2": "v1.26",
    "rbac.authorization.k8s.io/v1beta1": "v1.22",
    "storage.k8s.io/v1beta1": "v1.22", "scheduling.k8s.io/v1beta1": "v1.22",
    "coordination.k8s.io/v1beta1": "v1.22", "events.k8s.io/v1beta1": "v1.25",
    "discovery.k8s.io/v1beta1": "v1.25",
}


class Registry:
    """Lookup of :class:`ResourceType` by apiVersion+kind, by plural, or by any kubectl name."""

    def __init__(self, types=()):
        self._types: list[ResourceType] = []
        self._by_gvk: dict = {}
        self._by_gr: dict = {}
        self._by_name: dict = {}
        self._versions_by_group: dict = {}
        self._extra_versions: dict = {}
        for t in types:
            self.add(t)

    def add(self, t: ResourceType, also_versions=()) -> None:
        self._types.append(t)
        self._by_gvk[(t.group, t.version, t.kind)] = t
        for v in also_versions:
            self._by_gvk[(t.group, v, t.kind)] = t
        self._by_gr.setdefault((t.group, t.plural), t)
        self._versions_by_group.setdefault(t.group, set()).add(t.version)
        for alias in (t.plural, t.name, t.kind, *t.short_names):
            self._by_name.setdefault(alias.lower(), t)
            self._by_name[f"{alias.lower()}.{t.group}"] = t
            self._by_name[f"{alias.lower()}.{t.version}.{t.group}"] = t

    def extended(self, types) -> "Registry":
        """A copy that also serves ``types`` (an add-on's API group, such as metrics.k8s.io)."""
        return Registry([*self._types, *types])

    def all(self) -> list[ResourceType]:
        return list(self._types)

    def for_kind(self, api_version: str, kind: str) -> ResourceType:
        """The type for a manifest's ``apiVersion`` and ``kind``; removed APIs fail like upstream."""
        group, _, version = api_version.rpartition("/")
        t = self._by_gvk.get((group, version, kind))
        if t is None:
            raise errors.no_kind_match(kind, group, version)
        return t

    def for_plural(self, group: str, plural: str) -> ResourceType:
        t = self._by_gr.get((group, plural))
        if t is None:
            raise errors.no_route()
        return t

    def for_name(self, name) -> ResourceType:
        """Resolve what a kubectl user types: ``po``, ``pods``, ``Pod``, ``deploy``,
        ``deployments.apps``, ``deployment.v1.apps``. Raises a kubectl-style error otherwise."""
        if isinstance(name, ResourceType):
            return name
        t = self._by_name.get(str(name).lower())
        if t is None:
            raise errors.ApiError(errors.status(
                404, "NotFound", f'the server doesn\'t have a resource type "{name}"'))
        return t

    def groups(self) -> dict[str, list[str]]:
        """Served groups → versions (preferred first) for discovery."""
        return {g: sorted(v, reverse=True) for g, v in self._versions_by_group.items()}


REGISTRY = Registry(_BUILTIN)
