"""The authorizer chain of kube-apiserver (``--authorization-mode=Node,RBAC``), v1.33.

1. Members of ``system:masters`` are always allowed (the privileged-group authorizer).
2. The Node authorizer lets kubelets (``system:node:<name>`` in group ``system:nodes``) do what
   ClusterRole ``system:node`` lists. Simplification: upstream also restricts each kubelet to
   the pods, secrets and volumes of its own node (a graph of relations); not modelled.
3. RBAC (plugin/pkg/auth/authorizer/rbac): every ClusterRoleBinding, then every RoleBinding of
   the request's namespace, whose subjects include the user; the first rule that matches
   allows, with the reason ``RBAC: allowed by ClusterRoleBinding "x" of ClusterRole "y" to
   User "jane"``. A denial has no reason unless a binding points at a missing role
   (``RBAC: role.rbac.authorization.k8s.io "pod-reader" not found``).

Decisions are cached per (user, groups, verb, group, resource, subresource, namespace) and, for
resources some rule restricts by name, per name too. Any write to a Role, ClusterRole or
binding clears the cache (a store watch), so a new RoleBinding takes effect at once.
"""
from __future__ import annotations

from ..objects import loads
from ..selectors import from_label_selector
from .rules import describe_subject, rule_allows, subject_applies

RBAC_RESOURCES = ("roles", "clusterroles", "rolebindings", "clusterrolebindings")
_CACHE_LIMIT = 200_000


class _Index:
    """RBAC objects read from the store, with aggregated ClusterRoles resolved."""

    def __init__(self, store):
        def load(plural):
            kvs, _ = store.range(f"/registry/{plural}.rbac.authorization.k8s.io/")
            return [loads(kv.value) for kv in kvs]

        self.cluster_roles = {r["metadata"]["name"]: r for r in load("clusterroles")}
        self.roles = {(r["metadata"].get("namespace"), r["metadata"]["name"]): r.get("rules") or []
                      for r in load("roles")}
        self.crbs = load("clusterrolebindings")
        self.rbs: dict[str, list] = {}
        for b in load("rolebindings"):
            self.rbs.setdefault(b["metadata"].get("namespace"), []).append(b)
        self._rules: dict[str, list] = {}
        self.named = set()  # (group, resource) pairs some rule restricts by resourceNames
        for rules in [r.get("rules") or [] for r in self.cluster_roles.values()] + \
                list(self.roles.values()):
            for rule in rules:
                if rule.get("resourceNames"):
                    for g in rule.get("apiGroups") or ():
                        for res in rule.get("resources") or ():
                            self.named.add((g, res.split("/")[0]))

    def cluster_role_rules(self, name: str) -> list | None:
        return aggregated_rules(self.cluster_roles, name, self._rules)


def aggregated_rules(cluster_roles: dict, name: str, cache: dict, seen=()) -> list | None:
    """Rules of a ClusterRole. An aggregated role (``aggregationRule``) also has the rules of
    every ClusterRole its selectors pick, as the clusterrole-aggregation controller writes them."""
    if name in cache:
        return cache[name]
    role = cluster_roles.get(name)
    if role is None:
        return None
    rules = list(role.get("rules") or [])
    selectors = [from_label_selector(s) for s in
                 ((role.get("aggregationRule") or {}).get("clusterRoleSelectors") or ())]
    if selectors:
        for other in sorted(cluster_roles):
            labels = cluster_roles[other]["metadata"].get("labels") or {}
            if other != name and other not in seen and any(s.matches(labels) for s in selectors):
                for r in aggregated_rules(cluster_roles, other, cache, seen + (name,)) or ():
                    if r not in rules:
                        rules.append(r)
    cache[name] = rules
    return rules


class Authorizer:
    """``authorize(user, verb, rt, namespace, name, subresource) -> (allowed, reason)``."""

    def __init__(self, api):
        self.api = api
        self._cache: dict = {}
        self._index: _Index | None = None
        self.checks = 0  # uncached decisions, for the curious
        for plural in RBAC_RESOURCES:
            api.store.watch(f"/registry/{plural}.rbac.authorization.k8s.io/", self._invalidate)

    def _invalidate(self, _event=None) -> None:
        self._cache.clear()
        self._index = None

    @property
    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self.api.store)
        return self._index

    # -- entry points -----------------------------------------------------------------------
    def authorize(self, user, verb: str, rt, namespace=None, name=None, subresource=None):
        """A resource request, the API server's call."""
        return self.authorize_attributes(user, verb, rt.group, rt.plural, namespace, name,
                                         subresource)

    def authorize_attributes(self, user, verb, group, resource, namespace=None, name=None,
                             subresource=None):
        """Same, for a resource given as (group, plural) strings (resources the cluster may
        not even serve, as ``kubectl auth can-i create widgets.example.com`` asks)."""
        if "system:masters" in user.groups:
            return True, ""
        use_name = (group, resource) in self.index.named or ("*", resource) in self.index.named \
            or (group, "*") in self.index.named or ("*", "*") in self.index.named
        key = (user.name, tuple(user.groups), verb, group, resource, subresource or "",
               namespace or "", name if use_name else None)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._decide(user, (verb, group, resource, subresource or "", name),
                               namespace or "")
            if len(self._cache) > _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = hit
        return hit

    def can_i(self, user, verb: str, resource: str, namespace=None, name=None,
              subresource=None) -> bool:
        """``kubectl auth can-i`` (see :func:`labkit.minicluster.rbac.can_i`)."""
        from . import can_i
        return can_i(self, user, verb, resource, namespace, name, subresource)

    def authorize_path(self, user, verb: str, path: str):
        """A non-resource request (``GET /healthz``, ``/version``, ``/apis``)."""
        if "system:masters" in user.groups:
            return True, ""
        return self._decide(user, (verb, None, path, None, None), "")

    # -- the decision -------------------------------------------------------------------------
    def _decide(self, user, attrs: tuple, namespace: str):
        self.checks += 1
        if "system:nodes" in user.groups and user.name.startswith("system:node:"):
            if any(rule_allows(r, attrs) for r in self.index.cluster_role_rules("system:node")
                   or ()):
                return True, ""
        errors, index = [], self.index
        for b in index.crbs:
            hit = self._visit(b, user, attrs, "", errors)
            if hit:
                return True, hit
        if namespace:
            for b in index.rbs.get(namespace, ()):
                hit = self._visit(b, user, attrs, namespace, errors)
                if hit:
                    return True, hit
        if errors:
            unique = list(dict.fromkeys(errors))
            text = unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"
            return False, f"RBAC: {text}"
        return False, ""

    def _visit(self, binding: dict, user, attrs, namespace: str, errors: list) -> str:
        subject = next((s for s in binding.get("subjects") or ()
                        if subject_applies(s, user, namespace)), None)
        if subject is None:
            return ""
        ref = binding.get("roleRef") or {}
        if ref.get("kind") == "Role":
            rules = self.index.roles.get((namespace, ref.get("name")))
            missing = f'role.rbac.authorization.k8s.io "{ref.get("name")}" not found'
        else:
            rules = self.index.cluster_role_rules(ref.get("name", ""))
            missing = f'clusterrole.rbac.authorization.k8s.io "{ref.get("name")}" not found'
        if rules is None:
            errors.append(missing)
            return ""
        for rule in rules:
            if rule_allows(rule, attrs):
                if namespace:
                    where = f'RoleBinding "{binding["metadata"]["name"]}/{namespace}"'
                else:
                    where = f'ClusterRoleBinding "{binding["metadata"]["name"]}"'
                return (f"RBAC: allowed by {where} of {ref.get('kind')} \"{ref.get('name')}\" "
                        f"to {describe_subject(subject, namespace)}")
        return ""
