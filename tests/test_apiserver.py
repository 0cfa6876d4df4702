"""API server semantics, each matching kube-apiserver (v1.33) behaviour.

Upstream references: k8s.io/apimachinery/pkg/api/errors/errors.go (messages, codes),
k8s.io/apiserver/pkg/registry/generic/registry/store.go (create/update/delete, finalizers,
graceful deletion), pkg/registry/core/pod/strategy.go (pod grace periods),
pkg/registry/apps/deployment/strategy.go (generation bumps on spec change only).
"""
import random

import pytest

from labkit.minicluster.apiserver import APIServer
from labkit.minicluster.clock import EventLoop
from labkit.minicluster.errors import ApiError
from labkit.minicluster.store import Store


@pytest.fixture
def api():
    loop = EventLoop()
    api = APIServer(Store(), loop.clock, random.Random(0))
    for ns in ("default", "kube-system"):
        api.create("namespaces", {"metadata": {"name": ns}})
    api.loop = loop
    return api


def pod(name, **labels):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}


def deployment(name="web", replicas=3, image="nginx:1.14.2"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": name, "image": image}]}}}}


def err(fn, *a, **kw):
    with pytest.raises(ApiError) as e:
        fn(*a, **kw)
    return e.value


def test_create_sets_system_fields_and_defaults(api):
    p = api.create("pods", pod("web"))
    m = p["metadata"]
    assert m["namespace"] == "default" and m["creationTimestamp"] == "2025-01-01T00:00:00Z"
    assert len(m["uid"]) == 36 and int(m["resourceVersion"]) > 0
    assert p["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    c = p["spec"]["containers"][0]
    assert c["imagePullPolicy"] == "IfNotPresent" and p["spec"]["restartPolicy"] == "Always"


def test_error_messages_and_codes(api):
    api.create("deployments", deployment())
    e = err(api.create, "deployments", deployment())
    assert (e.code, e.reason, e.message) == (409, "AlreadyExists", 'deployments.apps "web" already exists')
    e = err(api.get, "pods", "nope")
    assert (e.code, e.message) == (404, 'pods "nope" not found')
    e = err(api.create, "pods", pod("x"), namespace="missing")
    assert (e.code, e.message) == (404, 'namespaces "missing" not found')


def test_stale_resource_version_conflicts(api):
    d = api.create("deployments", deployment())
    d2 = dict(d, spec=dict(d["spec"], replicas=5))
    api.update("deployments", d2)
    stale = dict(d, spec=dict(d["spec"], replicas=1))
    e = err(api.update, "deployments", stale)
    assert e.code == 409 and e.reason == "Conflict"
    assert e.message == ('Operation cannot be fulfilled on deployments.apps "web": the object has been '
                         'modified; please apply your changes to the latest version and try again')
    assert api.get("deployments", "web")["spec"]["replicas"] == 5


def test_invalid_object_has_field_paths(api):
    bad = pod("x")
    bad["spec"]["containers"][0].pop("image")
    e = err(api.create, "pods", bad)
    assert e.code == 422 and e.reason == "Invalid"
    assert e.message == 'Pod "x" is invalid: spec.containers[0].image: Required value'
    assert e.status["details"]["causes"][0]["field"] == "spec.containers[0].image"


def test_removed_api_versions_have_no_kind_match(api):
    from labkit.minicluster.resources import REGISTRY
    for av in ("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2"):
        e = err(REGISTRY.for_kind, av, "Deployment")
        assert e.message == f'no matches for kind "Deployment" in version "{av}"'
    assert REGISTRY.for_kind("apps/v1", "Deployment").group_resource == "deployments.apps"


def test_generation_bumps_on_spec_change_only(api):
    d = api.create("deployments", deployment())
    assert d["metadata"]["generation"] == 1
    d = api.patch("deployments", "web", {"metadata": {"labels": {"x": "y"}}}, "merge")
    assert d["metadata"]["generation"] == 1
    d = api.patch("deployments", "web", {"spec": {"replicas": 4}}, "merge")
    assert d["metadata"]["generation"] == 2
    d = api.patch("deployments", "web", {"status": {"observedGeneration": 2}}, "merge",
                  subresource="status")
    assert d["metadata"]["generation"] == 2 and d["status"]["observedGeneration"] == 2
    # a status write through the main resource is ignored (status subresource strategy)
    d = api.patch("deployments", "web", {"status": {"observedGeneration": 9}}, "merge")
    assert d["status"]["observedGeneration"] == 2


def test_noop_update_keeps_resource_version(api):
    d = api.create("deployments", deployment())
    again = api.update("deployments", d)
    assert again["metadata"]["resourceVersion"] == d["metadata"]["resourceVersion"]


def test_three_patch_types(api):
    api.create("deployments", deployment())
    # strategic merge: containers merge by name (image change keeps the container list)
    d = api.patch("deployments", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.16.1"}]}}}}, "strategic")
    assert [c["image"] for c in d["spec"]["template"]["spec"]["containers"]] == ["nginx:1.16.1"]
    assert d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    d = api.patch("deployments", "web", [{"op": "replace", "path": "/spec/replicas", "value": 7}], "json")
    assert d["spec"]["replicas"] == 7
    d = api.patch("deployments", "web", {"metadata": {"annotations": {"a": "1"}}}, "merge")
    assert d["metadata"]["annotations"] == {"a": "1"}
    d = api.patch("deployments", "web", {"metadata": {"annotations": {"a": None}}}, "merge")
    assert "a" not in d["metadata"].get("annotations", {})


def test_list_selectors_limit_and_continue(api):
    for i in range(5):
        api.create("pods", pod(f"p{i}", app="a" if i % 2 else "b", tier="web"))
    names = lambda lst: [p["metadata"]["name"] for p in lst["items"]]
    assert names(api.list("pods", "default", label_selector="app=a")) == ["p1", "p3"]
    assert names(api.list("pods", "default", label_selector="app in (a,b),tier!=db")) == [
        "p0", "p1", "p2", "p3", "p4"]
    assert names(api.list("pods", "default", label_selector="!app")) == []
    assert names(api.list("pods", "default", field_selector="metadata.name=p2")) == ["p2"]
    page = api.list("pods", "default", limit=2)
    assert names(page) == ["p0", "p1"] and page["metadata"]["continue"]
    page2 = api.list("pods", "default", limit=2, continue_=page["metadata"]["continue"])
    assert names(page2) == ["p2", "p3"]
    e = err(api.list, "pods", "default", field_selector="spec.foo=bar")
    assert e.code == 400 and e.message == "field label not supported: spec.foo"


def test_watch_with_selector_turns_relabel_into_added_deleted(api):
    seen = []
    api.watch("pods", lambda t, o: seen.append((t, o["metadata"]["name"])), "default",
              label_selector="app=a")
    api.create("pods", pod("x", app="a"))
    api.patch("pods", "x", {"metadata": {"labels": {"app": "b"}}}, "merge")
    api.patch("pods", "x", {"metadata": {"labels": {"app": "a"}}}, "merge")
    api.delete("pods", "x")
    assert seen == [("ADDED", "x"), ("DELETED", "x"), ("ADDED", "x"), ("DELETED", "x")]


def test_finalizers_block_deletion_until_removed(api):
    p = pod("f")
    p["metadata"]["finalizers"] = ["example.com/keep"]
    api.create("pods", p)
    d = api.delete("pods", "f")
    assert d["metadata"]["deletionTimestamp"] == "2025-01-01T00:00:00Z"
    assert api.get("pods", "f")["metadata"]["finalizers"] == ["example.com/keep"]
    api.patch("pods", "f", {"metadata": {"finalizers": None}}, "merge")
    assert err(api.get, "pods", "f").code == 404


def test_scheduled_pods_are_deleted_gracefully(api):
    api.create("pods", pod("g"))
    api.bind("g", "default", "node-1")
    d = api.delete("pods", "g")
    assert d["metadata"]["deletionGracePeriodSeconds"] == 30
    assert d["metadata"]["deletionTimestamp"] == "2025-01-01T00:00:30Z"
    api.delete("pods", "g", grace_period_seconds=0)  # the kubelet's final delete
    assert err(api.get, "pods", "g").code == 404


def test_bind_twice_conflicts(api):
    api.create("pods", pod("b"))
    p = api.bind("b", "default", "node-1")
    assert p["spec"]["nodeName"] == "node-1"
    assert p["status"]["conditions"][0]["type"] == "PodScheduled"
    e = err(api.bind, "b", "default", "node-2")
    assert e.code == 409 and 'already assigned to node "node-1"' in e.message


def test_namespace_deletion_marks_terminating_and_blocks_creates(api):
    api.create("namespaces", {"metadata": {"name": "team"}})
    ns = api.delete("namespaces", "team")
    assert ns["status"]["phase"] == "Terminating"
    e = err(api.create, "pods", pod("late"), namespace="team")
    assert e.code == 403 and "because it is being terminated" in e.message


def test_tracing_shows_the_request_chain(api):
    with api.tracing() as steps:
        api.create("pods", pod("t"))
    assert [s["stage"] for s in steps] == ["authentication", "authorization", "mutating admission",
                                          "validation", "validating admission", "etcd"]
