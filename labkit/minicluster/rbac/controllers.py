"""The controllers' roles (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/controller_policy.go).

kube-controller-manager runs each controller with its own service account in ``kube-system``
(``--use-service-account-credentials``): the Deployment controller acts as
``system:serviceaccount:kube-system:deployment-controller`` and may do exactly what
ClusterRole ``system:controller:deployment-controller`` allows. A few rules are widened where
the mini cluster's controllers read state through the API rather than informer caches.

Compatibility: ``daemonset-controller`` and ``node-ipam-controller`` are also bound, because the
mini cluster's DaemonSet and node-IPAM controllers authenticate under those names (upstream:
``daemon-set-controller``, and node IPAM runs as ``node-controller``).
"""
from __future__ import annotations

from .policy import READ, events, rule

ANY = ("*",)
POD_WRITE = ("create", "delete", "list", "patch", "watch")

CONTROLLER_ROLES: dict[str, list[dict]] = {
    "deployment-controller": [
        rule(("get", "list", "watch", "update"), ("apps", "extensions"), ("deployments",)),
        rule(("update",), ("apps", "extensions"), ("deployments/status",)),
        rule(("create", "delete", "get", "list", "patch", "update", "watch"),
             ("apps", "extensions"), ("replicasets",)),
        rule(("get", "list", "watch", "update"), ("",), ("pods",)), events()],
    "replicaset-controller": [
        rule(("get", "list", "watch", "update"), ("apps", "extensions"), ("replicasets",)),
        rule(("update",), ("apps", "extensions"), ("replicasets/status",)),
        rule(("update",), ("apps", "extensions"), ("replicasets/finalizers",)),
        rule(POD_WRITE + ("get",), ("",), ("pods",)), events()],
    "replication-controller": [
        rule(("get", "list", "watch", "update"), ("",), ("replicationcontrollers",)),
        rule(("update",), ("",), ("replicationcontrollers/status",)),
        rule(("update",), ("",), ("replicationcontrollers/finalizers",)),
        rule(POD_WRITE + ("get",), ("",), ("pods",)), events()],
    "statefulset-controller": [
        rule(("list", "watch"), ("",), ("pods",)),
        rule(READ, ("apps",), ("statefulsets",)),
        rule(("update",), ("apps",), ("statefulsets/status",)),
        rule(("update",), ("apps",), ("statefulsets/finalizers",)),
        rule(("get", "create", "delete", "update", "patch"), ("",), ("pods",)),
        rule(("get", "create", "delete", "update", "patch", "list", "watch"), ("apps",),
             ("controllerrevisions",)),
        rule(("get", "create", "update", "delete", "list"), ("",), ("persistentvolumeclaims",)),
        events()],
    "daemon-set-controller": [
        rule(READ, ("apps", "extensions"), ("daemonsets",)),
        rule(("update",), ("apps", "extensions"), ("daemonsets/status",)),
        rule(("update",), ("apps", "extensions"), ("daemonsets/finalizers",)),
        rule(READ, ("",), ("nodes",)),
        rule(POD_WRITE + ("get",), ("",), ("pods",)),
        rule(("create",), ("",), ("pods/binding",)),
        rule(("create", "delete", "get", "list", "patch", "update", "watch"), ("apps",),
             ("controllerrevisions",)), events()],
    "job-controller": [
        rule(("get", "list", "update", "patch", "watch"), ("batch",), ("jobs",)),
        rule(("update", "patch"), ("batch",), ("jobs/status",)),
        rule(("update",), ("batch",), ("jobs/finalizers",)),
        rule(POD_WRITE + ("get", "update"), ("",), ("pods",)), events()],
    "cronjob-controller": [
        rule(("get", "list", "update", "watch"), ("batch",), ("cronjobs",)),
        rule(("create", "delete", "get", "list", "patch", "update", "watch"), ("batch",),
             ("jobs",)),
        rule(("update",), ("batch",), ("cronjobs/status",)),
        rule(("update",), ("batch",), ("cronjobs/finalizers",)),
        rule(("delete", "list"), ("",), ("pods",)), events()],
    "ttl-after-finished-controller": [
        rule(("delete", "get", "list", "watch"), ("batch",), ("jobs",)), events()],
    "endpoint-controller": [
        rule(READ, ("",), ("services", "pods")),
        rule(("create", "delete", "get", "list", "update"), ("",), ("endpoints",)),
        rule(("create",), ("",), ("endpoints/restricted",)), events()],
    "endpointslice-controller": [
        rule(READ, ("",), ("services", "pods", "nodes")),
        rule(("update",), ("",), ("services/finalizers",)),
        rule(("create", "delete", "get", "list", "update", "watch"), ("discovery.k8s.io",),
             ("endpointslices",)), events()],
    "endpointslicemirroring-controller": [
        rule(READ, ("",), ("services", "endpoints")),
        rule(("update",), ("",), ("services/finalizers",)),
        rule(("update",), ("",), ("endpoints/finalizers",)),
        rule(("create", "delete", "get", "list", "update"), ("discovery.k8s.io",),
             ("endpointslices",)), events()],
    "namespace-controller": [
        rule(("delete", "get", "list", "watch"), ("",), ("namespaces",)),
        rule(("update",), ("",), ("namespaces/finalize", "namespaces/status")),
        rule(("delete", "deletecollection", "get", "list"), ANY, ANY)],
    "node-controller": [
        rule(("delete", "get", "list", "patch", "update", "watch"), ("",), ("nodes",)),
        rule(("patch", "update"), ("",), ("nodes/status",)),
        rule(("patch", "update"), ("",), ("pods/status",)),
        rule(("delete", "list", "get", "watch"), ("",), ("pods",)), events()],
    "taint-eviction-controller": [
        rule(READ, ("",), ("nodes",)),
        rule(("delete", "list", "get", "watch"), ("",), ("pods",)),
        rule(("patch",), ("",), ("pods/status",)), events()],
    "generic-garbage-collector": [
        rule(("delete", "get", "list", "patch", "update", "watch"), ANY, ANY)],
    "pod-garbage-collector": [
        rule(("list", "watch", "delete", "get"), ("",), ("pods",)),
        rule(READ, ("",), ("nodes",)),
        rule(("patch",), ("",), ("pods/status",))],
    "service-account-controller": [
        rule(("create",), ("",), ("serviceaccounts",)), events()],
    "root-ca-cert-publisher": [
        rule(("create", "update"), ("",), ("configmaps",)), events()],
    "legacy-service-account-token-cleaner": [
        rule(("get",), ("",), ("configmaps",),
             ("kube-apiserver-legacy-service-account-token-tracking",)),
        rule(("patch", "delete"), ("",), ("secrets",))],
    "resourcequota-controller": [
        rule(("list", "watch"), ANY, ANY),
        rule(("update",), ("",), ("resourcequotas/status",)), events()],
    "horizontal-pod-autoscaler": [
        rule(READ, ("autoscaling",), ("horizontalpodautoscalers",)),
        rule(("update",), ("autoscaling",), ("horizontalpodautoscalers/status",)),
        rule(("get", "update"), ANY, ("*/scale",)),
        rule(("list",), ("",), ("pods",)),
        rule(("list",), ("metrics.k8s.io",), ("pods",)), events()],
    "disruption-controller": [
        rule(READ, ("apps", "extensions"), ("deployments", "replicasets", "statefulsets")),
        rule(READ, ("",), ("replicationcontrollers",)),
        rule(READ, ("policy",), ("poddisruptionbudgets",)),
        rule(("update",), ("policy",), ("poddisruptionbudgets/status",)),
        rule(("get",), ANY, ("*/scale",)),
        rule(("patch",), ("",), ("pods/status",)), events()],
    "persistent-volume-binder": [
        rule(("create", "delete", "get", "list", "update", "watch"), ("",),
             ("persistentvolumes",)),
        rule(("update",), ("",), ("persistentvolumes/status",)),
        rule(("get", "list", "update", "watch"), ("",), ("persistentvolumeclaims",)),
        rule(("update",), ("",), ("persistentvolumeclaims/status",)),
        rule(("create", "delete", "get", "list", "watch"), ("",), ("pods",)),
        rule(READ, ("storage.k8s.io",), ("storageclasses",)),
        rule(READ, ("",), ("nodes",)), events()],
    "pvc-protection-controller": [
        rule(("get", "list", "watch", "update"), ("",), ("persistentvolumeclaims",)),
        rule(("list", "watch", "get"), ("",), ("pods",)), events()],
    "pv-protection-controller": [
        rule(("get", "list", "watch", "update"), ("",), ("persistentvolumes",)), events()],
    "clusterrole-aggregation-controller": [
        rule(("escalate", "get", "list", "patch", "update", "watch"), ("rbac.authorization.k8s.io",),
             ("clusterroles",))],
    "service-controller": [
        rule(READ, ("",), ("services",)),
        rule(("patch", "update"), ("",), ("services/status",)),
        rule(("list", "watch"), ("",), ("nodes",)), events()],
    "node-ipam-controller": [
        rule(("get", "list", "patch", "update", "watch"), ("",), ("nodes",)),
        rule(("patch", "update"), ("",), ("nodes/status",)), events()],
}
#: mini-cluster service-account names that share an upstream controller's role
ALIASES = {"daemonset-controller": "daemon-set-controller"}
