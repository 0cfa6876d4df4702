"""The StatefulSet controller on the test harness.

Upstream: pkg/controller/statefulset/stateful_set_control.go (updateStatefulSet: ordered
creation, reverse-order scale-down and rolling update, partition, OnDelete),
stateful_set_utils.go (identity, claims), stateful_pod_control.go (event messages) and
test/e2e/apps/statefulset.go.
"""
from workload_harness import Harness



def sts(replicas=3, policy=None, update=None, **spec):
    obj = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
           "spec": {"serviceName": "nginx", "replicas": replicas,
                    "selector": {"matchLabels": {"app": "nginx"}},
                    "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {
                        "containers": [{"name": "nginx", "image": "nginx:1.14"}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}}}}]}}
    if policy:
        obj["spec"]["podManagementPolicy"] = policy
    if update:
        obj["spec"]["updateStrategy"] = update
    obj["spec"].update(spec)
    return obj


def creations(h):
    """(pod name, creation time) in creation order."""
    return [(e["involvedObject"]["name"], e["firstTimestamp"], e["message"])
            for e in h.events(reason="SuccessfulCreate")]


def watch_pod_events(h):
    log = []
    h.api.watch("pods", lambda t, p: log.append((h.clock.timestamp(), t, p["metadata"]["name"],
                                                 bool(p["metadata"].get("deletionTimestamp")))),
                resource_version=str(h.api.store.revision))
    return log


def test_ordered_ready_creation_with_claims_and_identity():
    h = Harness()
    log = watch_pod_events(h)
    h.create(sts())
    h.settle()
    added = [(t, name) for t, kind, name, _ in log if kind == "ADDED"]
    assert added == [("2025-01-01T00:00:00Z", "web-0"), ("2025-01-01T00:00:01Z", "web-1"),
                     ("2025-01-01T00:00:02Z", "web-2")]  # each after its predecessor is Ready
    assert [m for _, _, m in creations(h)] == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
        "create Claim www-web-1 Pod web-1 in StatefulSet web success",
        "create Pod web-1 in StatefulSet web successful",
        "create Claim www-web-2 Pod web-2 in StatefulSet web success",
        "create Pod web-2 in StatefulSet web successful"]
    pvc = h.get("persistentvolumeclaims", "www-web-1")
    assert pvc["metadata"]["labels"] == {"app": "nginx"}
    assert pvc["spec"]["resources"]["requests"]["storage"] == "1Gi"
    p = h.get("pods", "web-1")
    (rev,) = h.list("controllerrevisions")
    assert p["metadata"]["labels"] == {"app": "nginx",
                                       "statefulset.kubernetes.io/pod-name": "web-1",
                                       "apps.kubernetes.io/pod-index": "1",
                                       "controller-revision-hash": rev["metadata"]["name"]}
    assert (p["spec"]["hostname"], p["spec"]["subdomain"]) == ("web-1", "nginx")
    assert p["spec"]["volumes"][0] == {"name": "www",  # (+ the service account token volume)
                                       "persistentVolumeClaim": {"claimName": "www-web-1"}}
    assert rev["revision"] == 1 and rev["metadata"]["name"].startswith("web-")
    assert rev["metadata"]["labels"]["controller.kubernetes.io/hash"] == \
        rev["metadata"]["name"][len("web-"):]
    st = h.get("statefulsets", "web")["status"]
    assert st == {"observedGeneration": 1, "currentRevision": rev["metadata"]["name"],
                  "updateRevision": rev["metadata"]["name"], "collisionCount": 0, "replicas": 3,
                  "readyReplicas": 3, "availableReplicas": 3, "currentReplicas": 3,
                  "updatedReplicas": 3}


def test_scale_down_in_reverse_order_one_at_a_time():
    h = Harness()
    h.create(sts())
    h.settle()
    log = watch_pod_events(h)
    h.patch("statefulsets", "web", {"spec": {"replicas": 1}})
    h.settle()
    deletions = [(t, name) for t, kind, name, terminating in log
                 if kind == "MODIFIED" and terminating]
    first = {}
    for t, name in deletions:
        first.setdefault(name, t)
    assert sorted(first, key=first.get) == ["web-2", "web-1"]
    assert first["web-2"] < first["web-1"]  # web-1 waits until web-2 is gone
    assert [p["metadata"]["name"] for p in h.active_pods()] == ["web-0"]
    assert len(h.list("persistentvolumeclaims")) == 3  # claims are kept


def test_parallel_policy_creates_all_at_once():
    h = Harness()
    log = watch_pod_events(h)
    h.create(sts(policy="Parallel"))
    h.run(0)
    assert sorted(name for _, kind, name, _ in log if kind == "ADDED") == \
        ["web-0", "web-1", "web-2"]


def test_rolling_update_in_reverse_ordinal_order():
    h = Harness()
    h.create(sts())
    h.settle()
    old = h.get("statefulsets", "web")["status"]["currentRevision"]
    log = watch_pod_events(h)
    h.patch("statefulsets", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.16"}]}}}}, patch_type="strategic")
    h.run(0)
    mid = h.get("statefulsets", "web")["status"]
    assert mid["currentRevision"] == old and mid["updateRevision"] != old
    h.settle()
    order = []
    for _, kind, name, terminating in log:
        if terminating and name not in order:
            order.append(name)
    assert order == ["web-2", "web-1", "web-0"]
    st = h.get("statefulsets", "web")["status"]
    assert st["currentRevision"] == st["updateRevision"] == mid["updateRevision"]
    assert st["updatedReplicas"] == 3 and st["currentReplicas"] == 3
    assert {p["spec"]["containers"][0]["image"] for p in h.active_pods()} == {"nginx:1.16"}
    assert [r["revision"] for r in sorted(h.list("controllerrevisions"),
                                          key=lambda r: r["revision"])] == [1, 2]


def test_partition_updates_only_high_ordinals():
    h = Harness()
    h.create(sts(update={"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}))
    h.settle()
    h.patch("statefulsets", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.16"}]}}}}, patch_type="strategic")
    h.settle()
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in h.active_pods()}
    assert images == {"web-0": "nginx:1.14", "web-1": "nginx:1.14", "web-2": "nginx:1.16"}
    st = h.get("statefulsets", "web")["status"]
    assert st["updatedReplicas"] == 1 and st["currentReplicas"] == 2
    assert st["currentRevision"] != st["updateRevision"]
    assert h.kubectl("rollout status statefulset/web").stdout == \
        "partitioned roll out complete: 1 new pods have been updated...\n"


def test_on_delete_waits_for_manual_deletion():
    h = Harness()
    h.create(sts(replicas=2, update={"type": "OnDelete"}))
    h.settle()
    h.patch("statefulsets", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.16"}]}}}}, patch_type="strategic")
    h.settle()
    assert {p["spec"]["containers"][0]["image"] for p in h.active_pods()} == {"nginx:1.14"}
    h.api.delete("pods", "web-1", "default")
    h.settle()
    images = {p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in h.active_pods()}
    assert images == {"web-0": "nginx:1.14", "web-1": "nginx:1.16"}


def test_deleted_pod_comes_back_with_the_same_name_and_claim():
    h = Harness()
    h.create(sts(replicas=2))
    h.settle()
    uid = h.get("pods", "web-1")["metadata"]["uid"]
    h.api.delete("pods", "web-1", "default")
    h.settle()
    p = h.get("pods", "web-1")
    assert p["metadata"]["uid"] != uid
    assert p["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"] == "www-web-1"
    assert len(h.list("persistentvolumeclaims")) == 2


def test_failed_pod_is_recreated_with_event():
    h = Harness()
    h.create(sts(replicas=1))
    h.settle()
    p = h.get("pods", "web-0")
    p["status"]["phase"] = "Failed"
    h.api.update("pods", p, "default", subresource="status")
    h.settle()
    assert [e["message"] for e in h.events(reason="RecreatingFailedPod")] == \
        ["StatefulSet default/web is recreating failed Pod web-0"]
    assert h.get("pods", "web-0")["status"]["phase"] == "Running"


def test_undo_via_controller_revisions():
    """kubectl rollout undo for a StatefulSet applies the old revision's data (a patch)."""
    h = Harness()
    h.create(sts(replicas=2))
    h.settle()
    h.patch("statefulsets", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "nginx", "image": "nginx:1.16"}]}}}}, patch_type="strategic")
    h.settle()
    assert h.kubectl("rollout history sts/web").stdout.splitlines()[2:] == [
        "1         <none>", "2         <none>", ""]
    assert h.kubectl("rollout undo sts/web").stdout == "statefulset.apps/web rolled back\n"
    h.settle()
    assert {p["spec"]["containers"][0]["image"] for p in h.active_pods()} == {"nginx:1.14"}
    revs = {r["revision"] for r in h.list("controllerrevisions")}
    assert revs == {2, 3}  # the old revision was renumbered, not copied
    assert h.kubectl("rollout undo statefulset/web --to-revision=7").stderr == \
        "error: unable to find specified revision 7 in history\n"


def test_ordered_start_on_minicluster():
    """Through MiniCluster: each pod starts only once its predecessor is Running and Ready, with
    its claim provisioned by kind's default class (local-path, WaitForFirstConsumer) on the node
    the pod was scheduled to, and mounted: data written by web-1 survives its deletion."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=3, seed=5)
    obj = sts()
    obj["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "www", "mountPath": "/usr/share/nginx/html"}]
    c.apply(obj)
    c.settle()
    pods = c.api.list("pods", "default")["items"]
    started = {p["metadata"]["name"]: p["metadata"]["creationTimestamp"] for p in pods}
    ready = {p["metadata"]["name"]: next(x["lastTransitionTime"] for x in p["status"]["conditions"]
                                         if x["type"] == "Ready") for p in pods}
    assert sorted(started) == ["web-0", "web-1", "web-2"]
    assert started["web-1"] >= ready["web-0"] and started["web-2"] >= ready["web-1"]
    assert c.api.get("statefulsets", "web", "default")["status"]["readyReplicas"] == 3
    for p in pods:
        claim = c.api.get("persistentvolumeclaims", f"www-{p['metadata']['name']}", "default")
        assert claim["status"]["phase"] == "Bound"
        assert claim["metadata"]["annotations"]["volume.kubernetes.io/selected-node"] == p["spec"]["nodeName"]
        assert "ownerReferences" not in claim["metadata"]  # the default policy: Retain, Retain
    node = c.api.get("pods", "web-1", "default")["spec"]["nodeName"]
    c.kubelets[node].exec("default", "web-1", ["sh", "-c", "echo kept > /usr/share/nginx/html/x"])
    c.api.delete("pods", "web-1", "default")
    c.settle()
    node = c.api.get("pods", "web-1", "default")["spec"]["nodeName"]
    assert c.kubelets[node].exec("default", "web-1", ["cat", "/usr/share/nginx/html/x"]) == (0, "kept\n")


# -- persistentVolumeClaimRetentionPolicy (GA in v1.32) --------------------------------------------

def retained(when_scaled, when_deleted, replicas=3):
    obj = sts(replicas=replicas, persistentVolumeClaimRetentionPolicy={
        "whenScaled": when_scaled, "whenDeleted": when_deleted})
    obj["spec"]["template"]["spec"]["containers"][0]["volumeMounts"] = [
        {"name": "www", "mountPath": "/usr/share/nginx/html"}]
    return obj


def cluster_with(obj):
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=2, seed=9)
    c.apply(obj)
    c.settle()
    return c


def claim_owners(c):
    """claim name -> [(kind, name, controller, blockOwnerDeletion)]"""
    return {p["metadata"]["name"]: [(r["kind"], r["name"], r.get("controller"), r.get("blockOwnerDeletion"))
                                    for r in p["metadata"].get("ownerReferences") or []]
            for p in c.api.list("persistentvolumeclaims", "default")["items"]}


def test_when_deleted_delete_gives_the_claims_to_the_set():
    """Retain on scale, Delete with the set: each claim's only owner is the StatefulSet (set right
    after the pod is created: CreateStatefulPod -> UpdatePodClaimForRetentionPolicy), so deleting
    the set lets the garbage collector delete pods and claims, and local-path deletes the volumes
    (stateful_set_utils.go updateClaimOwnerRefForSetAndPod, isClaimOwnerUpToDate)."""
    c = cluster_with(retained("Retain", "Delete"))
    s = c.api.get("statefulsets", "web", "default")
    owners = claim_owners(c)
    assert owners == {f"www-web-{i}": [("StatefulSet", "web", True, True)] for i in range(3)}
    ref = c.api.get("persistentvolumeclaims", "www-web-0", "default")["metadata"]["ownerReferences"][0]
    assert (ref["apiVersion"], ref["uid"]) == ("apps/v1", s["metadata"]["uid"])
    c.api.patch("statefulsets", "web", {"spec": {"replicas": 1}}, namespace="default")
    c.settle()
    assert sorted(claim_owners(c)) == ["www-web-0", "www-web-1", "www-web-2"]  # scale-down retains
    from labkit.minicluster.kubelet import nodefs
    dirs = [(pv["metadata"]["annotations"]["local.path.provisioner/selected-node"], pv["spec"]["hostPath"]["path"])
            for pv in c.api.list("persistentvolumes")["items"]]
    assert {nodefs.of(c.kubelets[n]).file_type(d) for n, d in dirs} == {"Directory"}
    c.api.delete("statefulsets", "web", "default")
    c.settle()
    assert c.api.list("persistentvolumeclaims", "default")["items"] == []
    assert c.api.list("pods", "default")["items"] == []
    assert c.api.list("persistentvolumes")["items"] == []  # reclaimPolicy Delete of the class
    assert {nodefs.of(c.kubelets[n]).file_type(d) for n, d in dirs} == {None}  # rm -rf on the node


def test_when_scaled_delete_hands_scaled_away_claims_to_their_pods():
    """Delete on scale, Retain with the set: claims of pods in range have no owner; when replicas
    drop, the condemned pods' claims get the pod as controller before the pod is deleted, and go
    with it; the remaining claim survives deleting the set."""
    c = cluster_with(retained("Delete", "Retain"))
    assert claim_owners(c) == {f"www-web-{i}": [] for i in range(3)}
    seen = {}
    c.api.watch("persistentvolumeclaims", lambda t, o: seen.setdefault(
        (o["metadata"]["name"], t), [r["kind"] + "/" + r["name"] for r in o["metadata"].get("ownerReferences") or []]),
        namespace="default", resource_version=str(c.api.store.revision))
    c.api.patch("statefulsets", "web", {"spec": {"replicas": 1}}, namespace="default")
    c.settle()
    assert seen[("www-web-2", "MODIFIED")] == ["Pod/web-2"]
    assert seen[("www-web-1", "MODIFIED")] == ["Pod/web-1"]
    assert ("www-web-2", "DELETED") in seen and ("www-web-1", "DELETED") in seen
    assert claim_owners(c) == {"www-web-0": []}
    c.api.delete("statefulsets", "web", "default")
    c.settle()
    assert claim_owners(c) == {"www-web-0": []}


def test_delete_delete_moves_ownership_from_set_to_pod_on_scale_down():
    """Delete/Delete: the set owns the claims of pods in range; a scaled-away pod's claim loses
    the set's reference and gets the pod's; scaling up again makes fresh claims (empty data)."""
    c = cluster_with(retained("Delete", "Delete", replicas=2))
    assert claim_owners(c) == {f"www-web-{i}": [("StatefulSet", "web", True, True)] for i in range(2)}
    node = c.api.get("pods", "web-1", "default")["spec"]["nodeName"]
    c.kubelets[node].exec("default", "web-1", ["sh", "-c", "echo old > /usr/share/nginx/html/x"])
    old_uid = c.api.get("persistentvolumeclaims", "www-web-1", "default")["metadata"]["uid"]
    c.api.patch("statefulsets", "web", {"spec": {"replicas": 1}}, namespace="default")
    c.settle()
    assert claim_owners(c) == {"www-web-0": [("StatefulSet", "web", True, True)]}
    c.api.patch("statefulsets", "web", {"spec": {"replicas": 2}}, namespace="default")
    c.settle()
    claim = c.api.get("persistentvolumeclaims", "www-web-1", "default")
    assert claim["metadata"]["uid"] != old_uid and claim["status"]["phase"] == "Bound"
    node = c.api.get("pods", "web-1", "default")["spec"]["nodeName"]
    code, out = c.kubelets[node].exec("default", "web-1", ["cat", "/usr/share/nginx/html/x"])
    assert code == 1 and "No such file or directory" in out


def test_changing_the_policy_updates_existing_claims():
    """A policy changed on a running set: processReplica sees ClaimsMatchRetentionPolicy false
    and UpdateStatefulPod rewrites the claims, recording ``update Pod web-0 in StatefulSet web
    successful``; back to Retain removes the references again."""
    c = cluster_with(retained("Retain", "Retain", replicas=2))
    assert claim_owners(c) == {"www-web-0": [], "www-web-1": []}
    policy = {"whenScaled": "Retain", "whenDeleted": "Delete"}
    c.api.patch("statefulsets", "web", {"spec": {"persistentVolumeClaimRetentionPolicy": policy}},
                namespace="default")
    c.settle()
    assert claim_owners(c) == {f"www-web-{i}": [("StatefulSet", "web", True, True)] for i in range(2)}
    updates = [e["message"] for e in c.api.list("events", "default")["items"] if e["reason"] == "SuccessfulUpdate"]
    assert updates == ["update Pod web-0 in StatefulSet web successful",
                       "update Pod web-1 in StatefulSet web successful"]
    policy["whenDeleted"] = "Retain"
    c.api.patch("statefulsets", "web", {"spec": {"persistentVolumeClaimRetentionPolicy": policy}},
                namespace="default")
    c.settle()
    assert claim_owners(c) == {"www-web-0": [], "www-web-1": []}


def test_a_claim_owned_by_another_controller_is_left_alone():
    """hasUnexpectedController: a claim whose controller is someone else keeps it; the set records
    ConflictingController and adds no reference of its own (stateful_pod_control.go)."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=1, seed=2)
    cm = c.api.create("configmaps", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "boss"}}, "default")
    c.api.create("persistentvolumeclaims", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
        "name": "www-web-0", "ownerReferences": [{"apiVersion": "v1", "kind": "ConfigMap", "name": "boss",
                                                  "uid": cm["metadata"]["uid"], "controller": True}]},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}, "default")
    c.apply(retained("Retain", "Delete", replicas=1))
    c.settle()
    assert claim_owners(c) == {"www-web-0": [("ConfigMap", "boss", True, None)]}
    msgs = {e["message"] for e in c.api.list("events", "default")["items"] if e["reason"] == "ConflictingController"}
    assert msgs == {"PersistentVolumeClaim www-web-0 has a conflicting OwnerReference that acts as a "
                    "manging controller, the retention policy is ignored for this claim"}


def test_a_stale_claim_blocks_the_pod_until_it_is_gone():
    """PodClaimIsStale (stateful_pod_control.go): with whenScaled Delete, a claim still owned by an
    older pod of the same name (another UID) keeps the controller from creating that pod; once the
    garbage collector has removed it, the next sync creates a fresh claim and the pod."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=1, seed=2)
    c.api.create("persistentvolumeclaims", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
        "name": "www-web-0", "finalizers": ["example.com/hold"],
        "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "web-0", "uid": "old-pod-uid",
                             "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}, "default")
    c.apply(retained("Delete", "Retain", replicas=1))
    c.settle()
    stale = c.api.get("persistentvolumeclaims", "www-web-0", "default")
    assert stale["metadata"].get("deletionTimestamp")  # the garbage collector's work: owner gone
    assert c.api.list("pods", "default")["items"] == []
    assert not [e for e in c.api.list("events", "default")["items"] if e["reason"] == "SuccessfulCreate"]
    c.api.patch("persistentvolumeclaims", "www-web-0", {"metadata": {"finalizers": None}}, namespace="default")
    c.api.patch("statefulsets", "web", {"metadata": {"annotations": {"poke": "1"}}}, namespace="default")
    c.settle()
    fresh = c.api.get("persistentvolumeclaims", "www-web-0", "default")
    assert fresh["metadata"]["uid"] != stale["metadata"]["uid"]
    assert "ownerReferences" not in fresh["metadata"]
    assert c.api.get("pods", "web-0", "default")["status"]["phase"] == "Running"
