"""The bootstrap RBAC policy: the ClusterRoles and ClusterRoleBindings every cluster starts with
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go and controller_policy.go, v1.33).

``kubectl get clusterroles`` on a fresh cluster lists these: the user-facing ``cluster-admin``,
``admin``, ``edit`` and ``view`` (the last three aggregated from ``system:aggregate-to-*``),
the ``system:*`` roles of the control plane, and one ``system:controller:<name>`` role per
controller, bound to the controller's service account in ``kube-system``.

Simplifications: only the controllers the mini cluster runs (plus their closest relatives) get
roles; rules for APIs the mini cluster does not serve (certificates, DRA, storage CSI...) are
left out of the system roles.
"""
from __future__ import annotations

READ = ("get", "list", "watch")
READ_WRITE = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
WRITE = ("create", "delete", "deletecollection", "patch", "update")
RBAC = "rbac.authorization.k8s.io"


def rule(verbs, groups=("",), resources=(), names=(), urls=()) -> dict:
    r = {"verbs": list(verbs)}
    if urls:
        r["nonResourceURLs"] = list(urls)
        return r
    r["apiGroups"] = list(groups)
    r["resources"] = list(resources)
    if names:
        r["resourceNames"] = list(names)
    return r


def events() -> dict:
    """eventsRule(): every component may record events (core and events.k8s.io)."""
    return rule(("create", "patch", "update"), ("", "events.k8s.io"), ("events",))


# -- aggregated user-facing roles (policy.go ClusterRoles) ---------------------------------
AGGREGATE_TO_VIEW = [
    rule(READ, ("",), ("configmaps", "endpoints", "persistentvolumeclaims",
                       "persistentvolumeclaims/status", "pods", "replicationcontrollers",
                       "replicationcontrollers/scale", "serviceaccounts", "services",
                       "services/status")),
    rule(READ, ("",), ("bindings", "events", "limitranges", "namespaces/status", "pods/log",
                       "pods/status", "replicationcontrollers/status", "resourcequotas",
                       "resourcequotas/status")),
    rule(READ, ("",), ("namespaces",)),
    rule(READ, ("discovery.k8s.io",), ("endpointslices",)),
    rule(READ, ("apps",), ("controllerrevisions", "daemonsets", "daemonsets/status",
                           "deployments", "deployments/scale", "deployments/status",
                           "replicasets", "replicasets/scale", "replicasets/status",
                           "statefulsets", "statefulsets/scale", "statefulsets/status")),
    rule(READ, ("autoscaling",), ("horizontalpodautoscalers", "horizontalpodautoscalers/status")),
    rule(READ, ("batch",), ("cronjobs", "cronjobs/status", "jobs", "jobs/status")),
    rule(READ, ("extensions",), ("daemonsets", "daemonsets/status", "deployments",
                                 "deployments/scale", "deployments/status", "ingresses",
                                 "ingresses/status", "networkpolicies", "replicasets",
                                 "replicasets/scale", "replicasets/status",
                                 "replicationcontrollers/scale")),
    rule(READ, ("policy",), ("poddisruptionbudgets", "poddisruptionbudgets/status")),
    rule(READ, ("networking.k8s.io",), ("ingresses", "ingresses/status", "networkpolicies")),
]
AGGREGATE_TO_EDIT = [
    rule(READ, ("",), ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                       "services/proxy")),
    rule(("impersonate",), ("",), ("serviceaccounts",)),
    rule(WRITE, ("",), ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy")),
    rule(("create",), ("",), ("pods/eviction",)),
    rule(WRITE, ("",), ("configmaps", "events", "persistentvolumeclaims",
                        "replicationcontrollers", "replicationcontrollers/scale", "secrets",
                        "serviceaccounts", "services", "services/proxy")),
    rule(("create",), ("",), ("serviceaccounts/token",)),
    rule(WRITE, ("apps",), ("daemonsets", "deployments", "deployments/rollback",
                            "deployments/scale", "replicasets", "replicasets/scale",
                            "statefulsets", "statefulsets/scale")),
    rule(WRITE, ("autoscaling",), ("horizontalpodautoscalers",)),
    rule(WRITE, ("batch",), ("cronjobs", "jobs")),
    rule(WRITE, ("extensions",), ("daemonsets", "deployments", "deployments/rollback",
                                  "deployments/scale", "ingresses", "networkpolicies",
                                  "replicasets", "replicasets/scale",
                                  "replicationcontrollers/scale")),
    rule(WRITE, ("policy",), ("poddisruptionbudgets",)),
    rule(WRITE, ("networking.k8s.io",), ("ingresses", "networkpolicies")),
    rule(READ + ("create", "update", "patch", "delete"), ("coordination.k8s.io",),
         ("leases",)),
]
AGGREGATE_TO_ADMIN = [
    rule(("create",), ("authorization.k8s.io",), ("localsubjectaccessreviews",)),
    rule(READ_WRITE, (RBAC,), ("rolebindings", "roles")),
]


def _aggregated(name: str, label: str) -> dict:
    return {"name": name, "aggregationRule": {"clusterRoleSelectors": [
        {"matchLabels": {f"rbac.authorization.k8s.io/{label}": "true"}}]}}


# -- system roles ---------------------------------------------------------------------------
CLUSTER_ROLES: list[dict] = [
    {"name": "cluster-admin", "rules": [rule(("*",), ("*",), ("*",)),
                                        rule(("*",), urls=("*",))]},
    {**_aggregated("admin", "aggregate-to-admin")},
    {**_aggregated("edit", "aggregate-to-edit"),
     "labels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}},
    {**_aggregated("view", "aggregate-to-view"),
     "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}},
    {"name": "system:aggregate-to-admin", "rules": AGGREGATE_TO_ADMIN,
     "labels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}},
    {"name": "system:aggregate-to-edit", "rules": AGGREGATE_TO_EDIT,
     "labels": {"rbac.authorization.k8s.io/aggregate-to-edit": "true"}},
    {"name": "system:aggregate-to-view", "rules": AGGREGATE_TO_VIEW,
     "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
    {"name": "system:basic-user", "rules": [
        rule(("create",), ("authorization.k8s.io",), ("selfsubjectaccessreviews",
                                                      "selfsubjectrulesreviews")),
        rule(("create",), ("authentication.k8s.io",), ("selfsubjectreviews",))]},
    {"name": "system:discovery", "rules": [rule(("get",), urls=(
        "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
        "/readyz", "/version", "/version/"))]},
    {"name": "system:public-info-viewer", "rules": [rule(("get",), urls=(
        "/healthz", "/livez", "/readyz", "/version", "/version/"))]},
    {"name": "system:monitoring", "rules": [rule(("get",), urls=(
        "/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis",
        "/readyz", "/readyz/*"))]},
    {"name": "system:auth-delegator", "rules": [
        rule(("create",), ("authentication.k8s.io",), ("tokenreviews",)),
        rule(("create",), ("authorization.k8s.io",), ("subjectaccessreviews",))]},
    {"name": "system:kube-scheduler", "rules": [
        events(),
        rule(("create",), ("coordination.k8s.io",), ("leases",)),
        rule(("get", "update"), ("coordination.k8s.io",), ("leases",), ("kube-scheduler",)),
        rule(("create",), ("",), ("endpoints",)),
        rule(("get", "update"), ("",), ("endpoints",), ("kube-scheduler",)),
        rule(READ, ("",), ("nodes",)),
        rule(("delete",) + READ, ("",), ("pods",)),
        rule(("create",), ("",), ("bindings", "pods/binding")),
        rule(("patch", "update"), ("",), ("pods/status",)),
        rule(READ, ("",), ("replicationcontrollers", "services")),
        rule(READ, ("apps", "extensions"), ("replicasets",)),
        rule(READ, ("apps",), ("statefulsets",)),
        rule(READ, ("policy",), ("poddisruptionbudgets",)),
        rule(READ, ("",), ("persistentvolumeclaims", "persistentvolumes")),
        rule(("create",), ("authentication.k8s.io",), ("tokenreviews",)),
        rule(("create",), ("authorization.k8s.io",), ("subjectaccessreviews",)),
        rule(READ, ("storage.k8s.io",), ("csinodes", "csidrivers", "csistoragecapacities")),
        rule(READ, ("",), ("namespaces",))]},
    {"name": "system:volume-scheduler", "rules": [
        rule(("get", "list", "patch", "update", "watch"), ("",), ("persistentvolumes",)),
        rule(READ, ("storage.k8s.io",), ("storageclasses",)),
        rule(("get", "list", "patch", "update", "watch"), ("",), ("persistentvolumeclaims",))]},
    {"name": "system:kube-controller-manager", "rules": [
        events(),
        rule(("create",), ("coordination.k8s.io",), ("leases",)),
        rule(("get", "update"), ("coordination.k8s.io",), ("leases",),
             ("kube-controller-manager",)),
        rule(("create",), ("",), ("secrets", "serviceaccounts")),
        rule(("delete",), ("",), ("secrets",)),
        rule(("get",), ("",), ("configmaps", "namespaces", "secrets", "serviceaccounts")),
        rule(("update",), ("",), ("secrets", "serviceaccounts")),
        rule(("create",), ("authentication.k8s.io",), ("tokenreviews",)),
        rule(("create",), ("authorization.k8s.io",), ("subjectaccessreviews",)),
        rule(("list", "watch"), ("*",), ("*",)),
        rule(("create",), ("",), ("serviceaccounts/token",))]},
    {"name": "system:node", "rules": [
        rule(("create",), ("authentication.k8s.io",), ("tokenreviews",)),
        rule(("create",), ("authorization.k8s.io",), ("localsubjectaccessreviews",
                                                      "subjectaccessreviews")),
        rule(READ, ("",), ("services",)),
        rule(("create", "get", "list", "watch"), ("",), ("nodes",)),
        rule(("patch", "update"), ("",), ("nodes/status",)),
        rule(("patch", "update"), ("",), ("nodes",)),
        events(),
        rule(READ, ("",), ("pods",)),
        rule(("create", "delete"), ("",), ("pods",)),
        rule(("patch", "update"), ("",), ("pods/status",)),
        rule(("create",), ("",), ("pods/eviction",)),
        rule(READ, ("",), ("configmaps", "secrets")),
        rule(("get",), ("",), ("persistentvolumeclaims", "persistentvolumes")),
        rule(("get",), ("",), ("endpoints",)),
        rule(("get", "patch", "update"), ("",), ("persistentvolumeclaims/status",)),
        rule(("create",), ("",), ("serviceaccounts/token",)),
        rule(("create", "delete", "get", "patch", "update"), ("coordination.k8s.io",),
             ("leases",)),
        rule(READ, ("node.k8s.io",), ("runtimeclasses",))]},
    {"name": "system:node-proxier", "rules": [
        rule(("list", "watch"), ("",), ("endpoints", "services")),
        rule(("get", "list", "watch"), ("",), ("nodes",)),
        events(),
        rule(("list", "watch"), ("discovery.k8s.io",), ("endpointslices",))]},
    {"name": "system:kube-dns", "rules": [rule(("list", "watch"), ("",),
                                               ("endpoints", "services"))]},
    {"name": "system:service-account-issuer-discovery", "rules": [rule(("get",), urls=(
        "/.well-known/openid-configuration", "/.well-known/openid-configuration/",
        "/openid/v1/jwks", "/openid/v1/jwks/"))]},
]

#: ClusterRoleBinding name → (role, subjects). Subjects: ("User"|"Group", name) or
#: ("ServiceAccount", "namespace/name").
CLUSTER_ROLE_BINDINGS: dict[str, tuple] = {
    "cluster-admin": ("cluster-admin", [("Group", "system:masters")]),
    "system:basic-user": ("system:basic-user", [("Group", "system:authenticated")]),
    "system:discovery": ("system:discovery", [("Group", "system:authenticated")]),
    "system:public-info-viewer": ("system:public-info-viewer",
                                  [("Group", "system:authenticated"),
                                   ("Group", "system:unauthenticated")]),
    "system:monitoring": ("system:monitoring", [("Group", "system:monitoring")]),
    "system:kube-scheduler": ("system:kube-scheduler", [("User", "system:kube-scheduler")]),
    "system:volume-scheduler": ("system:volume-scheduler", [("User", "system:kube-scheduler")]),
    "system:kube-controller-manager": ("system:kube-controller-manager",
                                       [("User", "system:kube-controller-manager")]),
    "system:kube-dns": ("system:kube-dns", [("ServiceAccount", "kube-system/kube-dns")]),
    "system:node": ("system:node", []),  # the Node authorizer grants nodes their access
    "system:node-proxier": ("system:node-proxier", [("User", "system:kube-proxy")]),
    "system:service-account-issuer-discovery": ("system:service-account-issuer-discovery",
                                                [("Group", "system:serviceaccounts")]),
}
