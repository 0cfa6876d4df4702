"""Role-based access control: who may do what (plugin/pkg/auth/authorizer/rbac, v1.33).

- A **Role** (in a namespace) or **ClusterRole** lists rules: verbs on resources of API groups
  (``get pods``, ``create deployments.apps``, ``get pods/log``), optionally on named objects only,
  or on non-resource URLs (``/healthz``).
- A **RoleBinding** grants a Role (or a ClusterRole, within its namespace) to subjects: a
  ``User``, a ``Group`` or a ``ServiceAccount`` (which authenticates as
  ``system:serviceaccount:<namespace>:<name>``, in groups ``system:serviceaccounts`` and
  ``system:serviceaccounts:<namespace>``). A **ClusterRoleBinding** grants cluster-wide.
- Nothing is allowed unless some binding allows it. A denial is a 403 such as
  ``pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace
  "default"``.

:class:`Authorizer` is what the API server asks; :func:`can_i` is ``kubectl auth can-i``;
:func:`bootstrap_policy` creates the roles and bindings a new cluster has.

Not modelled: escalation prevention (upstream refuses to let a user create a Role granting
permissions they do not hold themselves, unless they may ``escalate``/``bind``).
"""
from __future__ import annotations

from ..resources import REGISTRY
from ..upstream import SYSTEM_CLUSTER_CRITICAL, SYSTEM_NODE_CRITICAL
from .authorizer import Authorizer, aggregated_rules
from .controllers import ALIASES, CONTROLLER_ROLES
from .policy import CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, RBAC

BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}


def can_i(api_or_authorizer, user, verb: str, resource: str, namespace: str | None = None,
          name: str | None = None, subresource: str | None = None) -> bool:
    """``kubectl auth can-i VERB RESOURCE``: ``resource`` is a kubectl name (``pods``,
    ``deploy``, ``deployments.apps``, ``pods/log``) or a non-resource URL (``/healthz``)."""
    authz = getattr(api_or_authorizer, "authorizer", api_or_authorizer)
    if authz is None:
        return True
    if resource.startswith("/"):
        return authz.authorize_path(user, verb, resource)[0]
    if "/" in resource and subresource is None:
        resource, subresource = resource.split("/", 1)
    try:
        rt = REGISTRY.for_name(resource)
        group, plural = rt.group, rt.plural
        ns = namespace if rt.namespaced else None
    except Exception:  # noqa: BLE001 - unknown kinds are still evaluated by name, as upstream
        plural, _, group = resource.partition(".")
        ns = namespace
    return authz.authorize_attributes(user, verb, group, plural, ns, name, subresource)[0]


def _meta(name: str, labels: dict | None = None) -> dict:
    return {"name": name, "labels": {**BOOTSTRAP_LABELS, **(labels or {})},
            "annotations": dict(AUTOUPDATE)}


def _subject(kind: str, name: str) -> dict:
    if kind == "ServiceAccount":
        ns, _, sa = name.partition("/")
        return {"kind": "ServiceAccount", "name": sa, "namespace": ns}
    return {"kind": kind, "apiGroup": RBAC, "name": name}


def _cluster_role(spec: dict) -> dict:
    role = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
            "metadata": _meta(spec["name"], spec.get("labels")), "rules": spec.get("rules", [])}
    if "aggregationRule" in spec:
        role["aggregationRule"] = spec["aggregationRule"]
    return role


def _binding(name: str, role: str, subjects) -> dict:
    body = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding", "metadata": _meta(name),
            "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role}}
    if subjects:
        body["subjects"] = [_subject(kind, who) for kind, who in subjects]
    return body


def bootstrap_objects() -> list[tuple[str, dict]]:
    """(resource, object) pairs of the bootstrap policy, in creation order."""
    roles = [_cluster_role(r) for r in CLUSTER_ROLES]
    by_name = {r["metadata"]["name"]: r for r in roles}
    cache: dict = {}  # resolve aggregation as the aggregation controller would
    for r in roles:
        if "aggregationRule" in r:
            r["rules"] = aggregated_rules(by_name, r["metadata"]["name"], cache)
    out = [("clusterroles", r) for r in roles]
    out += [("clusterrolebindings", _binding(name, role, subjects))
            for name, (role, subjects) in CLUSTER_ROLE_BINDINGS.items()]
    for controller, rules in CONTROLLER_ROLES.items():
        role = f"system:controller:{controller}"
        out.append(("clusterroles", _cluster_role({"name": role, "rules": rules})))
        accounts = [("ServiceAccount", f"kube-system/{controller}")]
        accounts += [("ServiceAccount", f"kube-system/{alias}")
                     for alias, target in ALIASES.items() if target == controller]
        out.append(("clusterrolebindings", _binding(role, role, accounts)))
    for name, value in (SYSTEM_NODE_CRITICAL, SYSTEM_CLUSTER_CRITICAL):
        out.append(("priorityclasses", {
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value, "globalDefault": False,
            "description": "Used for system critical pods that must not be moved from their "
                           "current node." if name == SYSTEM_NODE_CRITICAL[0] else
                           "Used for system critical pods that must run in the cluster, but "
                           "can be moved to another node if necessary."}))
    return out


def bootstrap_policy(api) -> None:
    """Create the default roles, bindings and built-in PriorityClasses (the API server's
    ``rbac/bootstrap-roles`` and ``scheduling/bootstrap-system-priority-classes`` post-start
    hooks). Existing objects are left alone."""
    from ..errors import ApiError
    for resource, obj in bootstrap_objects():
        try:
            api.create(resource, obj)
        except ApiError as e:
            if e.code != 409:
                raise


def add_cluster_role(api, role: dict) -> None:
    """Create an add-on's ClusterRole (if absent), then fold its rules into the aggregated
    roles whose selectors pick it, as the clusterrole-aggregation controller does
    (pkg/controller/clusterroleaggregation): ``view`` lists what every role labelled
    ``aggregate-to-view`` grants."""
    from ..errors import ApiError
    try:
        api.create("clusterroles", role)
    except ApiError as e:
        if e.code != 409:
            raise
    roles = {r["metadata"]["name"]: r for r in api.list("clusterroles")["items"]}
    cache: dict = {}
    for name, r in sorted(roles.items()):
        if "aggregationRule" in r:
            rules = aggregated_rules(roles, name, cache)
            if rules != r.get("rules"):
                api.update("clusterroles", dict(r, rules=rules))


__all__ = ["Authorizer", "can_i", "bootstrap_policy", "bootstrap_objects", "add_cluster_role"]
