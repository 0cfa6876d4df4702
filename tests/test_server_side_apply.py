"""Server-side apply (labkit/minicluster/fieldmanager.py).

Upstream: staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal/conflict.go (conflict
messages), staging/src/k8s.io/apiserver/pkg/endpoints/handlers/patch.go (apply creates a missing
object; ValidatePatchOptions), sigs.k8s.io/structured-merge-diff (fieldsV1 sets, ownership),
staging/src/k8s.io/kubectl/pkg/cmd/apply/apply.go (kubectl's conflict hint).
"""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit.minicluster import errors
from labkit.minicluster.cluster import MiniCluster

from http_kubectl import deployment, srv  # noqa: F401 (fixture)

DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "web", "labels": {"team": "a"}},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                   "template": {"metadata": {"labels": {"app": "web"}},
                                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                                                         "ports": [{"containerPort": 80}]}]}}}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1", "b": "2"}}


@pytest.fixture
def api():
    return MiniCluster(nodes=2, seed=0).api


def managers(obj) -> list:
    return [(m["manager"], m["operation"], m.get("subresource")) for m in obj["metadata"]["managedFields"]]


def fields_of(obj, manager, operation="Apply") -> dict:
    return next(m["fieldsV1"] for m in obj["metadata"]["managedFields"]
                if (m["manager"], m["operation"]) == (manager, operation))


def test_apply_creates_the_object_and_records_the_manifests_fields(api):
    """A missing object is created by the apply (patch.go: applyPatcher with
    forceAllowCreate). The set holds the manifest's leaves and list items: ports are keyed by
    containerPort and the defaulted protocol, LabelSelector is atomic (no f:matchLabels)."""
    out = api.patch("deployments", "web", DEPLOY, "apply", field_manager="kubectl")
    assert out["metadata"]["uid"] and out["spec"]["replicas"] == 2
    assert managers(out) == [("kubectl", "Apply", None)]
    entry = out["metadata"]["managedFields"][0]
    assert entry["apiVersion"] == "apps/v1" and entry["fieldsType"] == "FieldsV1"
    assert entry["time"] == "2025-01-01T00:00:00Z"
    assert entry["fieldsV1"] == {
        "f:metadata": {"f:labels": {"f:team": {}}},
        "f:spec": {"f:replicas": {}, "f:selector": {}, "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {'k:{"name":"nginx"}': {
                ".": {}, "f:image": {}, "f:name": {},
                "f:ports": {'k:{"containerPort":80,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}}}}}}}}


def test_reapplying_without_a_field_removes_it_unless_someone_else_owns_it(api):
    api.patch("configmaps", "cfg", CM, "apply", field_manager="a")
    api.patch("configmaps", "cfg", {**CM, "data": {"b": "2"}}, "apply", field_manager="b")
    out = api.patch("configmaps", "cfg", {**CM, "data": {"c": "3"}}, "apply", field_manager="a")
    assert out["data"] == {"b": "2", "c": "3"}  # a's "a" is gone; "b" stays: manager b has it
    assert fields_of(out, "a") == {"f:data": {"f:c": {}}}
    assert fields_of(out, "b") == {"f:data": {"f:b": {}}}
    out = api.patch("configmaps", "cfg", {"apiVersion": "v1", "kind": "ConfigMap",
                                          "metadata": {"name": "cfg"}}, "apply", field_manager="b")
    assert out["data"] == {"c": "3"}
    gone = api.patch("configmaps", "cfg", {"apiVersion": "v1", "kind": "ConfigMap",
                                           "metadata": {"name": "cfg"}}, "apply", field_manager="a")
    assert "data" not in gone and "managedFields" not in gone["metadata"]  # omitempty


def test_a_changed_field_owned_by_another_manager_is_a_conflict_until_forced(api):
    api.patch("deployments", "web", DEPLOY, "apply", field_manager="ci")
    api.patch("deployments", "web", {"spec": {"replicas": 5}}, "merge", field_manager="hotfix")
    again = copy.deepcopy(DEPLOY)
    again["spec"]["replicas"] = 3
    with pytest.raises(errors.ApiError) as e:
        api.patch("deployments", "web", again, "apply", field_manager="ci")
    assert e.value.code == 409 and e.value.reason == "Conflict"
    assert e.value.message == ('Apply failed with 1 conflict: conflict with "hotfix" using apps/v1: '
                               ".spec.replicas")
    assert e.value.status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "hotfix" using apps/v1',
         "field": ".spec.replicas"}]
    assert api.get("deployments", "web")["spec"]["replicas"] == 5  # nothing written
    out = api.patch("deployments", "web", again, "apply", field_manager="ci", force=True)
    assert out["spec"]["replicas"] == 3
    assert "hotfix" not in [m for m, _, _ in managers(out)]  # its only field was taken


def test_applying_the_live_value_shares_the_field_instead_of_conflicting(api):
    api.patch("configmaps", "cfg", CM, "apply", field_manager="a")
    out = api.patch("configmaps", "cfg", {**CM, "data": {"a": "1"}}, "apply", field_manager="b")
    assert fields_of(out, "a")["f:data"] == {"f:a": {}, "f:b": {}}
    assert fields_of(out, "b")["f:data"] == {"f:a": {}}


def test_several_conflicts_are_listed_by_manager():
    api = MiniCluster(nodes=1, seed=0).api
    api.patch("configmaps", "cfg", CM, "apply", field_manager="a")
    api.patch("configmaps", "cfg", {"data": {"a": "x"}}, "merge", field_manager="zed")
    api.patch("configmaps", "cfg", {"data": {"b": "y"}}, "merge", field_manager="bob")
    with pytest.raises(errors.ApiError) as e:
        api.patch("configmaps", "cfg", CM, "apply", field_manager="a")
    assert e.value.message == ('Apply failed with 2 conflicts: conflicts with "bob" using v1:\n'
                               "- .data.b\n"
                               'conflicts with "zed" using v1:\n'
                               "- .data.a")


def test_controllers_writes_to_an_applied_object_are_recorded_as_updates():
    c = MiniCluster(nodes=2, seed=0)
    c.api.patch("deployments", "web", DEPLOY, "apply", field_manager="kubectl")
    c.settle()
    out = c.api.get("deployments", "web")
    assert managers(out) == [("kubectl", "Apply", None),
                             ("kube-controller-manager", "Update", "status")]
    status = fields_of(out, "kube-controller-manager", "Update")
    assert status["f:metadata"] == {"f:annotations": {".": {}, "f:deployment.kubernetes.io/revision": {}}}
    assert {"f:availableReplicas", "f:readyReplicas", "f:replicas", "f:conditions"} <= set(status["f:status"])
    assert status["f:status"]["f:conditions"]['k:{"type":"Available"}']["."] == {}


def test_first_apply_to_an_object_without_managed_fields(api):
    """An object that never had managedFields is taken as owned by before-first-apply
    (upstream's rule; a real cluster would have recorded its creator as well)."""
    api.create("deployments", copy.deepcopy(DEPLOY))
    again = copy.deepcopy(DEPLOY)
    again["spec"]["replicas"] = 4
    with pytest.raises(errors.ApiError) as e:
        api.patch("deployments", "web", again, "apply", field_manager="kubectl")
    assert e.value.message == ('Apply failed with 1 conflict: conflict with "before-first-apply" '
                               "using apps/v1: .spec.replicas")
    same = api.patch("deployments", "web", DEPLOY, "apply", field_manager="kubectl")
    assert [m for m, _, _ in managers(same)] == ["kubectl", "before-first-apply"]


def test_patch_options_are_validated(api):
    with pytest.raises(errors.ApiError) as e:
        api.patch("configmaps", "cfg", CM, "apply")
    assert (e.value.code, e.value.message) == (422, 'PatchOptions.meta.k8s.io "" is invalid: '
                                               "fieldManager: Required value: is required for apply patch")
    api.create("configmaps", copy.deepcopy(CM))
    with pytest.raises(errors.ApiError) as e:
        api.patch("configmaps", "cfg", {"data": {"a": "2"}}, "merge", force=True)
    assert e.value.message == ('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be '
                               "specified for non-apply patch")
    with pytest.raises(errors.ApiError) as e:
        api.patch("configmaps", "cfg", {**CM, "metadata": {"name": "other"}}, "apply", field_manager="m")
    assert e.value.code == 400


def test_labkit_kubectl_apply_server_side(tmp_path):
    c = MiniCluster(nodes=2, seed=0)
    manifest = deployment("web")
    first, second = tmp_path / "web.yaml", tmp_path / "web3.yaml"
    first.write_text(manifest)
    second.write_text(manifest.replace("replicas: 2", "replicas: 3"))
    assert c.kubectl(f"apply --server-side -f {first}").stdout == \
        "deployment.apps/web serverside-applied\n"
    assert c.kubectl(f"apply --server-side -f {second}").stdout == \
        "deployment.apps/web serverside-applied\n"
    c.api.patch("deployments", "web", {"spec": {"replicas": 7}}, "merge", field_manager="hpa")
    r = c.kubectl(f"apply --server-side -f {first}")
    assert r.stderr.startswith('error: Apply failed with 1 conflict: conflict with "hpa" using '
                               "apps/v1: .spec.replicas\nPlease review the fields above--they "
                               "currently have other managers. Here\n")
    assert r.stderr.endswith("See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts\n")
    r = c.kubectl(f"apply --server-side --force-conflicts --field-manager=ci -f {first}")
    assert r.stdout == "deployment.apps/web serverside-applied\n"
    assert c.api.get("deployments", "web")["spec"]["replicas"] == 2
    assert c.kubectl(f"apply --force-conflicts -f {first}").stderr == \
        "error: --force-conflicts only works with --server-side\n"
    assert "managedFields" not in c.kubectl("get deploy web -o yaml").stdout
    assert "manager: ci" in c.kubectl("get deploy web -o yaml --show-managed-fields").stdout



def test_real_kubectl_scale_then_apply_conflicts_with_the_scale_subresource(srv):
    """The conflict every SSA tutorial shows: ``kubectl scale`` (an Update through /scale,
    manager from kubectl's user agent) owns .spec.replicas afterwards."""
    manifest = deployment("ssa")
    r = srv.kubectl("apply", "--server-side", "-f", "-", input=manifest)
    assert r.stdout == "deployment.apps/ssa serverside-applied\n"
    srv.kubectl("scale", "deployment", "ssa", "--replicas=3")
    r = srv.kubectl("apply", "--server-side", "-f", "-", input=manifest, check=False)
    assert r.returncode == 1
    assert r.stderr.startswith('error: Apply failed with 1 conflict: conflict with "kubectl" with '
                               'subresource "scale" using apps/v1: .spec.replicas\n')
    srv.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", input=manifest)
    got = json.loads(srv.kubectl("get", "deploy", "ssa", "-o", "json", "--show-managed-fields").stdout)
    assert got["spec"]["replicas"] == 2
    assert [(m["manager"], m["operation"], m.get("subresource")) for m in got["metadata"]["managedFields"]] == \
        [("kubectl", "Apply", None), ("kube-controller-manager", "Update", "status")]


def test_real_kubectl_server_side_apply_creates_and_prunes(srv):
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssacm}\ndata: {a: '1', b: '2'}\n"
    assert srv.kubectl("apply", "--server-side", "-f", "-", input=cm).stdout == \
        "configmap/ssacm serverside-applied\n"
    srv.kubectl("apply", "--server-side", "-f", "-", input=cm.replace(", b: '2'", ""))
    data = json.loads(srv.kubectl("get", "cm", "ssacm", "-o", "jsonpath={.data}").stdout)
    assert data == {"a": "1"}


_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=4))
_KEYS = st.sampled_from(["name", "containers", "ports", "data", "metadata", "spec", "labels",
                         "selector", "finalizers", "containerPort", "env", "conditions", "managedFields",
                         "fieldsV1", "f:data", ".", "manager", "operation"])
_BODY = st.recursive(_LEAF, lambda ch: st.one_of(st.lists(ch, max_size=3),
                                                 st.dictionaries(_KEYS, ch, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=_BODY, resource=st.sampled_from(["configmaps", "deployments", "pods"]), force=st.booleans(),
       merge_first=st.booleans())
def test_malformed_apply_bodies_get_kubernetes_errors_and_leave_the_object_readable(
        body, resource, force, merge_first):
    """Arbitrary apply bodies (and managedFields a client wrote by hand) end in an ApiError or
    a stored object, never in another exception."""
    api = MiniCluster(nodes=1, seed=0, scheduler=False, controllers=[]).api
    api.patch("configmaps", "z", {**CM, "metadata": {"name": "z"}}, "apply", field_manager="m")
    if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
        body["metadata"].pop("name", None)
    try:
        if merge_first:
            api.patch("configmaps", "z", {"metadata": {"managedFields": body}}, "merge")
        api.patch(resource, "z", body, "apply", field_manager="x", force=force)
    except errors.ApiError as e:
        assert 400 <= e.code < 500
    api.get("configmaps", "z")
