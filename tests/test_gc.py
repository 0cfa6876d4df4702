"""The garbage collector (labkit/minicluster/controllers/garbagecollector.py).

Scenarios follow upstream's test/integration/garbagecollector/garbage_collector_test.go
(TestCascadingDeletion, TestCreateWithNonExistentOwner, TestBlockingOwnerRefDoesBlock,
TestNonBlockingOwnerRefDoesNotBlock, TestOrphaning, TestSolidOwnerDoesNotBlockWaitingOwner)
and pkg/controller/garbagecollector/garbagecollector_test.go (attemptToDelete cases).
ConfigMaps stand in for arbitrary owners and dependents, as the integration tests use
ReplicationControllers and Pods without a running controller.
"""
from netlife_harness import Harness, deployment

from labkit.minicluster.objects import clone, owner_reference


def cm(name, owners=(), finalizers=None, block=True):
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}}
    if owners:
        obj["metadata"]["ownerReferences"] = [owner_reference(o, controller=False, block=block) for o in owners]
    if finalizers:
        obj["metadata"]["finalizers"] = list(finalizers)
    return obj


def gc_cluster():
    return Harness(nodes=0, controllers=["garbagecollector"], scheduler=False)


def test_background_cascade_deletes_the_whole_tree():
    """TestCascadingDeletion: owner → child → grandchild all go after a background delete."""
    h = gc_cluster()
    top = h.create(cm("top"))
    mid = h.create(cm("mid", [top]))
    h.create(cm("leaf", [mid]))
    h.create(cm("bystander"))
    h.delete("configmaps", "top")
    h.settle()
    names = {c["metadata"]["name"] for c in h.list("configmaps")}
    assert "mid" not in names and "leaf" not in names and "top" not in names
    assert "bystander" in names


def test_dependent_with_a_non_existent_owner_is_deleted():
    """TestCreateWithNonExistentOwner: a reference to an owner that never existed is dangling."""
    h = gc_cluster()
    ghost = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost", "uid": "no-such-uid"}}
    h.create(cm("orphan", [ghost]))
    h.settle()
    assert not h.exists("configmaps", "orphan")


def test_owner_recreated_with_the_same_name_does_not_adopt():
    """The reference names a UID: a new owner with the same name is a different object."""
    h = gc_cluster()
    owner = h.create(cm("owner"))
    h.api.delete("configmaps", "owner", "default", propagation_policy="Orphan")
    h.settle()
    dep = h.create(cm("dep", [owner]))  # points at the old UID
    h.create(cm("owner"))
    h.settle()
    assert dep["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]
    assert not h.exists("configmaps", "dep")


def test_solid_owner_keeps_dependent_and_dangling_reference_is_removed():
    """attemptToDelete with one solid and one absent owner: keep the dependent, drop the
    reference to the absent owner."""
    h = gc_cluster()
    a, b = h.create(cm("a")), h.create(cm("b"))
    h.create(cm("shared", [a, b]))
    h.delete("configmaps", "a")
    h.settle()
    shared = h.get("configmaps", "shared")
    assert [r["name"] for r in shared["metadata"]["ownerReferences"]] == ["b"]


def test_foreground_deletion_waits_for_blocking_dependents():
    """TestBlockingOwnerRefDoesBlock: the owner keeps its foregroundDeletion finalizer while a
    dependent with blockOwnerDeletion=true exists (here held by a finalizer), then goes."""
    h = gc_cluster()
    owner = h.create(cm("owner"))
    h.create(cm("held", [owner], finalizers=["example.com/hold"]))
    h.delete("configmaps", "owner", propagation_policy="Foreground")
    h.settle()
    o = h.get("configmaps", "owner")
    assert o["metadata"]["deletionTimestamp"] and o["metadata"]["finalizers"] == ["foregroundDeletion"]
    held = h.get("configmaps", "held")
    assert held["metadata"]["deletionTimestamp"]  # the GC deleted it; its finalizer holds it
    held = clone(held)
    held["metadata"]["finalizers"] = []
    h.api.update("configmaps", held)
    h.settle()
    assert not h.exists("configmaps", "held")
    assert not h.exists("configmaps", "owner")


def test_non_blocking_dependent_does_not_block_foreground_owner():
    """TestNonBlockingOwnerRefDoesNotBlock: blockOwnerDeletion=false lets the owner go first;
    the dependent is then dangling and collected too."""
    h = gc_cluster()
    owner = h.create(cm("owner"))
    h.create(cm("loose", [owner], finalizers=["example.com/hold"], block=False))
    h.delete("configmaps", "owner", propagation_policy="Foreground")
    h.settle()
    assert not h.exists("configmaps", "owner")
    loose = h.get("configmaps", "loose")
    assert loose["metadata"]["deletionTimestamp"]


def test_foreground_deletes_in_order_through_levels():
    """A foreground cascade deletes grandchildren before the child and the child before the
    owner: each level waits with the foregroundDeletion finalizer."""
    h = gc_cluster()
    top = h.create(cm("top"))
    mid = h.create(cm("mid", [top]))
    h.create(cm("leaf", [mid], finalizers=["example.com/hold"]))
    h.delete("configmaps", "top", propagation_policy="Foreground")
    h.settle()
    assert h.get("configmaps", "mid")["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert h.get("configmaps", "top")["metadata"]["finalizers"] == ["foregroundDeletion"]
    leaf = clone(h.get("configmaps", "leaf"))
    leaf["metadata"]["finalizers"] = []
    h.api.update("configmaps", leaf)
    h.settle()
    assert not any(h.exists("configmaps", n) for n in ("top", "mid", "leaf"))


def test_orphan_deletion_keeps_dependents_without_owner_references():
    """TestOrphaning: ``--cascade=orphan`` removes the references, then the owner."""
    h = gc_cluster()
    owner = h.create(cm("owner"))
    h.create(cm("d1", [owner]))
    h.create(cm("d2", [owner]))
    h.delete("configmaps", "owner", propagation_policy="Orphan")
    h.settle()
    assert not h.exists("configmaps", "owner")
    for name in ("d1", "d2"):
        assert "ownerReferences" not in h.get("configmaps", name)["metadata"]


def test_owner_reference_across_namespaces_is_invalid():
    """A namespaced dependent can only be owned from its own namespace: the GC treats the
    reference as absent and records OwnerRefInvalidNamespace (garbagecollector.go)."""
    h = gc_cluster()
    h.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    owner = h.api.create("configmaps", cm("owner"), "other")
    h.create(cm("dep", [owner]))
    h.settle()
    assert not h.exists("configmaps", "dep")
    ev = h.events("OwnerRefInvalidNamespace")
    assert ev and ev[0]["message"] == (
        f'ownerRef [v1/ConfigMap, namespace: default, name: owner, uid: {owner["metadata"]["uid"]}] '
        'does not exist in namespace "default"')


def test_deleting_a_deployment_cascades_to_replicasets_and_pods():
    """kubectl delete deployment: ReplicaSet and pods are garbage collected (background)."""
    h = Harness(nodes=0, controllers=["garbagecollector", "deployment", "replicaset"], scheduler=False)
    h.create(deployment(replicas=2))
    h.settle()
    assert len(h.list("replicasets")) == 1 and len(h.list("pods")) == 2
    h.delete("deployments", "web")
    h.settle()
    assert h.list("replicasets") == [] and h.list("pods") == []
