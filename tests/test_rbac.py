"""RBAC and the authorizer chain, as kube-apiserver v1.33 (``--authorization-mode=Node,RBAC``).

Upstream: plugin/pkg/auth/authorizer/rbac/rbac.go (visit order, allow/deny reasons),
pkg/apis/rbac/v1/evaluation_helpers.go (rule matching: ``*``, ``*/subresource``,
resourceNames, nonResourceURLs), pkg/registry/rbac/validation/rule.go (subjects; a missing role
is reported in the denial), plugin/pkg/auth/authorizer/rbac/bootstrappolicy (default roles
and bindings), k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go (the 403
wording). The Role/binding scenario is the Kubernetes documentation's own (access/*.yaml).
"""
import pathlib
import random

import pytest
import yaml

from labkit.minicluster import rbac
from labkit.minicluster.apiserver import ADMIN, APIServer, UserInfo
from labkit.minicluster.clock import EventLoop
from labkit.minicluster.errors import ApiError
from labkit.minicluster.store import Store

CORPUS = pathlib.Path(__file__).resolve().parents[2] / "shared" / "k8s-examples"
JANE = UserInfo("jane", ("system:authenticated",))


@pytest.fixture
def api():
    api = APIServer(Store(), EventLoop().clock, random.Random(0))
    for ns in ("default", "kube-system", "team"):
        api.create("namespaces", {"metadata": {"name": ns}})
    rbac.bootstrap_policy(api)
    api.authorizer = rbac.Authorizer(api)
    return api


def err(fn, *a, **kw) -> ApiError:
    with pytest.raises(ApiError) as e:
        fn(*a, **kw)
    return e.value


def sa(name, ns):
    return UserInfo(f"system:serviceaccount:{ns}:{name}",
                    ("system:serviceaccounts", f"system:serviceaccounts:{ns}",
                     "system:authenticated"))


def bind(api, name, role, subjects, namespace="default", kind="ClusterRole"):
    return api.create("rolebindings", {"metadata": {"name": name}, "subjects": subjects,
                                       "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                   "kind": kind, "name": role}}, namespace)


def test_bootstrap_policy(api):
    names = {r["metadata"]["name"] for r in api.list("clusterroles")["items"]}
    for want in ("cluster-admin", "admin", "edit", "view", "system:basic-user",
                 "system:discovery", "system:public-info-viewer", "system:kube-scheduler",
                 "system:kube-controller-manager", "system:node",
                 "system:controller:deployment-controller", "system:controller:job-controller"):
        assert want in names
    view = api.get("clusterroles", "view")
    assert view["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
    assert view["aggregationRule"] == {"clusterRoleSelectors": [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]}
    assert any("pods" in r.get("resources", ()) for r in view["rules"])
    crb = api.get("clusterrolebindings", "cluster-admin")
    assert crb["subjects"] == [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                "name": "system:masters"}]
    ctrl = api.get("clusterrolebindings", "system:controller:replicaset-controller")
    assert ctrl["subjects"] == [{"kind": "ServiceAccount", "name": "replicaset-controller",
                                 "namespace": "kube-system"}]
    names = {p["metadata"]["name"] for p in api.list("priorityclasses")["items"]}
    assert names == {"system-node-critical", "system-cluster-critical"}


def test_denial_message(api):
    e = err(api.list, "pods", "default", user=JANE)
    assert (e.code, e.reason) == (403, "Forbidden")
    assert e.message == ('pods is forbidden: User "jane" cannot list resource "pods" in API '
                         'group "" in the namespace "default"')
    e = err(api.get, "deployments", "web", "default", user=JANE)
    assert e.message == ('deployments.apps "web" is forbidden: User "jane" cannot get resource '
                         '"deployments" in API group "apps" in the namespace "default"')
    e = err(api.list, "nodes", user=JANE)
    assert e.message == ('nodes is forbidden: User "jane" cannot list resource "nodes" in API '
                         'group "" at the cluster scope')
    assert e.status["details"] == {"kind": "nodes"}


def test_documentation_role_and_binding(api):
    """access/simple-role.yaml + simple-rolebinding-with-role.yaml: jane reads pods in default."""
    for f in ("simple-role.yaml", "simple-rolebinding-with-role.yaml"):
        doc = yaml.safe_load((CORPUS / "access" / f).read_text())
        api.create(api.registry.for_kind(doc["apiVersion"], doc["kind"]), doc)
    assert api.list("pods", "default", user=JANE)["items"] == []
    ok, reason = api.authorizer.authorize(JANE, "get", api.resource("pods"), "default", "x")
    assert ok and reason == ('RBAC: allowed by RoleBinding "read-pods/default" of Role '
                             '"pod-reader" to User "jane"')
    assert not rbac.can_i(api, JANE, "create", "pods", "default")
    assert not rbac.can_i(api, JANE, "list", "pods", "team")
    assert not rbac.can_i(api, JANE, "get", "pods/log", "default")


def test_documentation_cluster_role_for_a_group(api):
    """access/simple-clusterrole.yaml + simple-clusterrolebinding.yaml: group manager reads
    secrets in every namespace; group names are case sensitive."""
    for f in ("simple-clusterrole.yaml", "simple-clusterrolebinding.yaml"):
        doc = yaml.safe_load((CORPUS / "access" / f).read_text())
        api.create(api.registry.for_kind(doc["apiVersion"], doc["kind"]), doc)
    bob = UserInfo("bob", ("manager", "system:authenticated"))
    assert rbac.can_i(api, bob, "list", "secrets", "team")
    assert rbac.can_i(api, bob, "watch", "secrets")
    assert not rbac.can_i(api, UserInfo("eve", ("Manager",)), "list", "secrets", "team")
    ok, reason = api.authorizer.authorize(bob, "get", api.resource("secrets"), "team", "s")
    assert reason == ('RBAC: allowed by ClusterRoleBinding "read-secrets-global" of ClusterRole '
                      '"secret-reader" to Group "manager"')


def test_cluster_role_in_a_role_binding_is_namespaced(api):
    bind(api, "jane-edit", "edit", [{"kind": "User", "name": "jane"}], "team")
    assert rbac.can_i(api, JANE, "create", "deployments", "team")
    assert rbac.can_i(api, JANE, "delete", "pods", "team")
    assert not rbac.can_i(api, JANE, "create", "deployments", "default")
    assert not rbac.can_i(api, JANE, "create", "roles", "team")  # only admin manages RBAC
    assert not rbac.can_i(api, JANE, "list", "nodes")


def test_subresources_wildcards_and_resource_names(api):
    api.create("roles", {"metadata": {"name": "logs"}, "rules": [
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
        {"apiGroups": ["apps"], "resources": ["*/scale"], "verbs": ["update"]},
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["app-config"],
         "verbs": ["get", "update"]}]})
    bind(api, "jane-logs", "logs", [{"kind": "User", "name": "jane"}], kind="Role")
    assert rbac.can_i(api, JANE, "get", "pods/log", "default")
    assert not rbac.can_i(api, JANE, "get", "pods", "default")
    assert rbac.can_i(api, JANE, "update", "deployments", "default", subresource="scale")
    assert not rbac.can_i(api, JANE, "update", "deployments", "default")
    assert rbac.can_i(api, JANE, "get", "configmaps", "default", name="app-config")
    assert not rbac.can_i(api, JANE, "get", "configmaps", "default", name="other")
    assert not rbac.can_i(api, JANE, "list", "configmaps", "default")
    e = err(api.get, "pods", "web", "default", user=JANE)
    assert e.message.startswith('pods "web" is forbidden: User "jane" cannot get resource "pods"')


def test_subresource_denials_name_the_subresource(api):
    """forbiddenMessage appends the subresource to the resource, not to the prefix."""
    api.create("pods", {"metadata": {"name": "web"}, "spec": {"containers": [
        {"name": "c", "image": "nginx"}]}})
    e = err(api.patch, "pods", "web", {"status": {}}, "merge", "default", subresource="status",
            user=JANE)
    assert e.message == ('pods "web" is forbidden: User "jane" cannot patch resource '
                         '"pods/status" in API group "" in the namespace "default"')


def test_service_account_and_group_subjects(api):
    bind(api, "builders", "view", [{"kind": "ServiceAccount", "name": "builder"}], "team")
    assert rbac.can_i(api, sa("builder", "team"), "list", "pods", "team")
    assert not rbac.can_i(api, sa("builder", "default"), "list", "pods", "team")
    bind(api, "all-sas", "view", [{"kind": "Group", "name": "system:serviceaccounts:default",
                                   "apiGroup": "rbac.authorization.k8s.io"}])
    assert rbac.can_i(api, sa("anyone", "default"), "list", "services", "default")
    ok, reason = api.authorizer.authorize(sa("builder", "team"), "get", api.resource("pods"),
                                          "team", "p")
    assert reason == ('RBAC: allowed by RoleBinding "builders/team" of ClusterRole "view" to '
                      'ServiceAccount "builder/team"')


def test_binding_to_a_missing_role_explains_the_denial(api):
    bind(api, "broken", "pod-reader", [{"kind": "User", "name": "jane"}], kind="Role")
    e = err(api.list, "pods", "default", user=JANE)
    assert e.message == ('pods is forbidden: User "jane" cannot list resource "pods" in API '
                         'group "" in the namespace "default": RBAC: '
                         'role.rbac.authorization.k8s.io "pod-reader" not found')


def test_changes_take_effect_at_once(api):
    """The decision cache is dropped whenever a role or binding changes."""
    assert not rbac.can_i(api, JANE, "list", "pods", "default")
    bind(api, "v", "view", [{"kind": "User", "name": "jane"}])
    assert rbac.can_i(api, JANE, "list", "pods", "default")
    api.delete("rolebindings", "v", "default")
    assert not rbac.can_i(api, JANE, "list", "pods", "default")


def test_aggregated_roles_pick_up_new_rules(api):
    """A ClusterRole labelled aggregate-to-view extends view (clusterrole-aggregation)."""
    api.create("clusterroles", {"metadata": {"name": "widgets-view", "labels": {
        "rbac.authorization.k8s.io/aggregate-to-view": "true"}}, "rules": [
        {"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get", "list"]}]})
    bind(api, "v", "view", [{"kind": "User", "name": "jane"}])
    assert rbac.can_i(api, JANE, "list", "widgets.example.com", "default")
    assert api.authorizer.can_i(JANE, "list", "widgets.example.com", "default")


def test_system_identities(api):
    assert api.authorizer.authorize(ADMIN, "delete", api.resource("nodes"), None, "n1") == (True, "")
    scheduler = UserInfo("system:kube-scheduler", ("system:authenticated",))
    assert rbac.can_i(api, scheduler, "create", "pods/binding", "default")
    assert not rbac.can_i(api, scheduler, "create", "deployments", "default")
    kcm = sa("deployment-controller", "kube-system")
    assert rbac.can_i(api, kcm, "create", "replicasets", "team")
    assert rbac.can_i(api, kcm, "update", "deployments/status", "team")
    assert not rbac.can_i(api, kcm, "delete", "nodes")
    node = UserInfo("system:node:node-1", ("system:nodes", "system:authenticated"))
    assert rbac.can_i(api, node, "patch", "pods/status", "default")
    assert rbac.can_i(api, node, "update", "nodes/status")
    assert not rbac.can_i(api, node, "create", "deployments", "default")


def test_non_resource_urls(api):
    assert rbac.can_i(api, JANE, "get", "/healthz")
    assert rbac.can_i(api, JANE, "get", "/apis/apps/v1")
    assert not rbac.can_i(api, JANE, "get", "/metrics")
    anonymous = UserInfo("system:anonymous", ("system:unauthenticated",))
    assert rbac.can_i(api, anonymous, "get", "/version")
    assert not rbac.can_i(api, anonymous, "get", "/api")
    assert rbac.can_i(api, JANE, "create", "selfsubjectaccessreviews")
