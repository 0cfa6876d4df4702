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
    """Through MiniCluster: each pod starts only once its predecessor is Running and Ready.
    (No volumeClaimTemplates here: their claims need a provisioner to bind before the kubelet
    can mount them - the harness tests cover claim creation.)"""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=3, seed=5)
    obj = sts()
    del obj["spec"]["volumeClaimTemplates"]
    c.apply(obj)
    c.settle()
    pods = c.api.list("pods", "default")["items"]
    started = {p["metadata"]["name"]: p["metadata"]["creationTimestamp"] for p in pods}
    ready = {p["metadata"]["name"]: next(x["lastTransitionTime"] for x in p["status"]["conditions"]
                                         if x["type"] == "Ready") for p in pods}
    assert sorted(started) == ["web-0", "web-1", "web-2"]
    assert started["web-1"] >= ready["web-0"] and started["web-2"] >= ready["web-1"]
    assert c.api.get("statefulsets", "web", "default")["status"]["readyReplicas"] == 3
