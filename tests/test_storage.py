"""Storage: StorageClasses, PersistentVolumes, PersistentVolumeClaims, and who binds them.

Upstream sources (v1.37): pkg/controller/volume/persistentvolume (pv_controller.go, index.go),
pkg/controller/volume/{pvcprotection,pvprotection},
plugin/pkg/admission/storage/{persistentvolume/..., storageobjectinuseprotection},
pkg/scheduler/framework/plugins/volumebinding, and kind's default storage
(pkg/build/nodeimage/const_storage.go: rancher.io/local-path).
"""
import pytest

from labkit.minicluster.cluster import MiniCluster


def claim(name, size="1Gi", modes=("ReadWriteOnce",), cls=None, **spec):
    s = {"accessModes": list(modes), "resources": {"requests": {"storage": size}}, **spec}
    if cls is not None:
        s["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": s}


def volume(name, size, modes=("ReadWriteOnce",), cls="", policy=None, node=None, path=None):
    spec = {"capacity": {"storage": size}, "accessModes": list(modes), "storageClassName": cls,
            "hostPath": {"path": path or f"/mnt/{name}"}}
    if policy:
        spec["persistentVolumeReclaimPolicy"] = policy
    if node:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name}, "spec": spec}


def pod(name, claim_name, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "containers": [{"name": "c", "image": "nginx",
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim_name}}], **spec}}


def events_of(c, name):
    return [(e["reason"], e["message"]) for e in c.api.list("events", "default")["items"]
            if e["involvedObject"]["name"] == name]


@pytest.fixture
def c():
    return MiniCluster(nodes=3, seed=3)


def test_default_storage_class_is_kinds_local_path(c):
    """kind installs StorageClass standard (rancher.io/local-path, WaitForFirstConsumer, Delete)
    marked default; DefaultStorageClass admission gives it to claims that name no class, but not
    to claims asking for "" (no class) or naming one with the beta annotation."""
    sc = c.api.get("storageclasses", "standard")
    assert (sc["provisioner"], sc["volumeBindingMode"], sc["reclaimPolicy"]) == \
        ("rancher.io/local-path", "WaitForFirstConsumer", "Delete")
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert c.api.create("pvc", claim("a"))["spec"]["storageClassName"] == "standard"
    assert c.api.create("pvc", claim("b", cls=""))["spec"]["storageClassName"] == ""
    beta = claim("d")
    beta["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "fast"}
    assert "storageClassName" not in c.api.create("pvc", beta)["spec"]
    assert "standard (default)   rancher.io/local-path   Delete          WaitForFirstConsumer" \
        in str(c.kubectl("get sc"))


def test_statefulset_claims_are_provisioned_on_the_pods_node(c):
    """volumeClaimTemplates → claims www-web-N; the scheduler picks a node and writes
    volume.kubernetes.io/selected-node; the PV controller hands the claim to the external
    provisioner (ExternalProvisioning); local-path creates pvc-<uid> pinned to that node; the
    claim binds; only then is the pod bound (PreBind) and it runs."""
    c.apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"}, "spec": {
        "serviceName": "web", "replicas": 2, "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [
            {"name": "nginx", "image": "nginx", "volumeMounts": [{"name": "www", "mountPath": "/www"}]}]}},
        "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    c.run(60)
    for i in range(2):
        pvc = c.api.get("pvc", f"www-web-{i}")
        p = c.api.get("pods", f"web-{i}")
        assert p["status"]["phase"] == "Running"
        node = p["spec"]["nodeName"]
        ann = pvc["metadata"]["annotations"]
        assert ann == {"pv.kubernetes.io/bind-completed": "yes",
                       "pv.kubernetes.io/bound-by-controller": "yes",
                       "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
                       "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
                       "volume.kubernetes.io/selected-node": node}
        assert pvc["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
        assert pvc["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"],
                                 "capacity": {"storage": "1Gi"}}
        uid = pvc["metadata"]["uid"]
        assert pvc["spec"]["volumeName"] == f"pvc-{uid}"
        pv = c.api.get("pv", f"pvc-{uid}")
        assert pv["metadata"]["annotations"] == {"pv.kubernetes.io/provisioned-by": "rancher.io/local-path",
                                                 "local.path.provisioner/selected-node": node}
        assert pv["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
        assert pv["spec"]["hostPath"] == {
            "path": f"/var/local-path-provisioner/pvc-{uid}_default_www-web-{i}", "type": "DirectoryOrCreate"}
        assert pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"] == [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]
        assert (pv["spec"]["persistentVolumeReclaimPolicy"], pv["status"]["phase"]) == ("Delete", "Bound")
        assert pv["spec"]["claimRef"]["uid"] == uid
        reasons = [r for r, _ in events_of(c, f"www-web-{i}")]
        assert reasons[-3:] == ["ExternalProvisioning", "Provisioning", "ProvisioningSucceeded"]
    table = str(c.kubectl("get pvc")).splitlines()
    assert table[0].split() == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES",
                                "STORAGECLASS", "VOLUMEATTRIBUTESCLASS", "AGE"]
    assert table[1].split()[:6] == ["www-web-0", "Bound", c.api.get("pvc", "www-web-0")["spec"]["volumeName"],
                                    "1Gi", "RWO", "standard"]


def test_static_volume_binds_immediately_to_the_smallest_fit(c):
    """findBestMatchForClaim: free volumes of the claim's class ("" here) with enough capacity
    and all requested modes; the smallest wins. Both objects record the binding."""
    for v in (volume("big", "10Gi"), volume("small", "2Gi"), volume("tiny", "500Mi"),
              volume("rwx", "2Gi", modes=("ReadWriteMany",))):
        c.api.create("pv", v)
    c.api.create("pvc", claim("data", "1Gi", cls=""))
    c.run(1)
    pvc, pv = c.api.get("pvc", "data"), c.api.get("pv", "small")
    assert pvc["spec"]["volumeName"] == "small" and pvc["status"]["capacity"] == {"storage": "2Gi"}
    assert pv["status"]["phase"] == "Bound"
    assert pv["spec"]["claimRef"]["name"] == "data"
    assert pv["metadata"]["annotations"] == {"pv.kubernetes.io/bound-by-controller": "yes"}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"  # defaulted for static PVs
    assert {n: c.api.get("pv", n)["status"]["phase"] for n in ("big", "tiny", "rwx")} == \
        {"big": "Available", "tiny": "Available", "rwx": "Available"}


def test_claim_before_its_volume_waits_for_the_resync(c):
    """No match and no class: FailedBinding, Pending; a volume created later is picked up by
    the periodic claim resync (15 s)."""
    c.api.create("pvc", claim("data", cls=""))
    c.run(1)
    assert ("FailedBinding", "no persistent volumes available for this claim and no storage class "
            "is set") in events_of(c, "data")
    c.api.create("pv", volume("v1", "1Gi"))
    c.run(1)
    assert c.api.get("pvc", "data")["status"]["phase"] == "Pending"
    c.run(15)
    assert c.api.get("pvc", "data")["status"]["phase"] == "Bound"


def test_scheduler_refuses_missing_and_unbound_immediate_claims(c):
    """VolumeBinding PreFilter: a missing claim, and an unbound claim of an Immediate class
    (kubernetes.io/no-provisioner: the PV controller reports ProvisioningFailed)."""
    c.api.create("pods", pod("p1", "nope"))
    c.api.create("storageclasses", {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                                    "metadata": {"name": "manual"},
                                    "provisioner": "kubernetes.io/no-provisioner"})
    c.api.create("pvc", claim("data", cls="manual"))
    c.api.create("pods", pod("p2", "data"))
    c.run(5)
    tail = ". preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    assert ("FailedScheduling", '0/3 nodes are available: persistentvolumeclaim "nope" not found'
            + tail) in events_of(c, "p1")
    assert ("FailedScheduling", "0/3 nodes are available: pod has unbound immediate "
            "PersistentVolumeClaims" + tail) in events_of(c, "p2")
    assert ("ProvisioningFailed", "no volume plugin matched name: kubernetes.io/no-provisioner") \
        in events_of(c, "data")
    c.api.create("pv", volume("v", "1Gi", cls="manual"))  # bound at the next resync
    c.run(20)
    assert c.api.get("pods", "p2")["status"]["phase"] == "Running"


def test_wait_for_first_consumer_picks_a_local_volume_on_a_reachable_node(c):
    """A WaitForFirstConsumer class without provisioner: the PV controller waits
    (WaitForFirstConsumer event); the scheduler only considers the node the local volume is
    pinned to and binds the volume itself (PreBind)."""
    c.api.create("storageclasses", {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                                    "metadata": {"name": "local"}, "volumeBindingMode": "WaitForFirstConsumer",
                                    "provisioner": "kubernetes.io/no-provisioner"})
    c.api.create("pv", volume("local-2", "5Gi", cls="local", node="node-2"))
    c.api.create("pvc", claim("data", cls="local"))
    c.run(1)
    assert ("WaitForFirstConsumer", "waiting for first consumer to be created before binding") \
        in events_of(c, "data")
    c.api.create("pods", pod("p", "data"))
    c.run(10)
    p = c.api.get("pods", "p")
    assert p["spec"]["nodeName"] == "node-2" and p["status"]["phase"] == "Running"
    assert c.api.get("pvc", "data")["spec"]["volumeName"] == "local-2"
    c.api.create("pvc", claim("more", cls="local"))
    c.api.create("pods", pod("q", "more"))
    c.run(5)
    assert ("FailedScheduling", "0/3 nodes are available: 3 node(s) didn't find available "
            "persistent volumes to bind. preemption: 0/3 nodes are available: 3 Preemption is not "
            "helpful for scheduling.") in events_of(c, "q")


def test_claim_in_use_is_protected_and_provisioned_volume_is_deleted(c):
    """pvc-protection: deleting a claim a pod uses leaves it Terminating until the pod is gone;
    then the volume is Released and, with policy Delete, removed by its provisioner."""
    c.api.create("pvc", claim("data"))
    c.api.create("pods", pod("p", "data"))
    c.run(10)
    pv_name = c.api.get("pvc", "data")["spec"]["volumeName"]
    c.api.delete("pvc", "data")
    c.run(5)
    assert c.api.get("pvc", "data")["metadata"]["deletionTimestamp"]
    assert "Terminating" in str(c.kubectl("get pvc data"))
    c.api.delete("pods", "p", grace_period_seconds=0)
    c.run(10)
    assert not c.exists("persistentvolumeclaims", "data")
    assert not c.exists("persistentvolumes", pv_name)


def test_retain_keeps_a_released_volume_out_of_reach(c):
    """Reclaim policy Retain: the volume is Released, keeps its claimRef, and a new claim does
    not get it; a static volume with Delete that no plugin can delete becomes Failed."""
    c.api.create("pv", volume("keep", "1Gi"))
    c.api.create("pv", volume("gone", "1Gi", policy="Delete", path="/srv/data", modes=("ReadWriteMany",)))
    c.api.create("pvc", claim("a", cls=""))
    c.api.create("pvc", claim("b", cls="", modes=("ReadWriteMany",)))
    c.run(2)
    c.api.delete("pvc", "a")
    c.api.delete("pvc", "b")
    c.run(2)
    keep, gone = c.api.get("pv", "keep"), c.api.get("pv", "gone")
    assert keep["status"]["phase"] == "Released" and keep["spec"]["claimRef"]["name"] == "a"
    assert gone["status"] == {"phase": "Failed", "message": "host_path deleter only supports /tmp/.+ "
                              "but received provided /srv/data",
                              "lastPhaseTransitionTime": gone["status"]["lastPhaseTransitionTime"]}
    c.api.create("pvc", claim("a2", cls=""))
    c.run(20)
    assert c.api.get("pvc", "a2")["status"]["phase"] == "Pending"


def test_volume_requested_by_name_must_fit(c):
    """spec.volumeName: bind to exactly that volume, or VolumeMismatch when it does not fit."""
    c.api.create("pv", volume("v", "1Gi"))
    c.api.create("pvc", claim("big", "5Gi", cls="", volumeName="v"))
    c.run(1)
    assert ("VolumeMismatch", 'Cannot bind to requested volume "v": requested PV is too small') \
        in events_of(c, "big")
    c.api.create("pvc", claim("ok", "1Gi", cls="", volumeName="v"))
    c.run(1)
    assert c.api.get("pvc", "ok")["status"]["phase"] == "Bound"


def test_volume_and_claim_validation(c):
    """ValidatePersistentVolume: modes, capacity (storage only), one volume source, local
    volumes need node affinity; ReadWriteOncePod stands alone (volumes and claims);
    SetDefaults_PersistentVolume: phase Pending, reclaim Retain, volumeMode Filesystem."""
    from labkit.minicluster.errors import ApiError

    def message(resource, obj):
        with pytest.raises(ApiError) as e:
            c.api.create(resource, obj)
        return e.value.message
    assert message("pv", {"metadata": {"name": "x"}, "spec": {"hostPath": {"path": "/x"},
                                                            "accessModes": ["ReadWriteOnce"]}}) == (
        'PersistentVolume "x" is invalid: [spec.capacity: Required value, spec.capacity: Unsupported '
        'value: core.ResourceList(nil): supported values: "storage"]')
    assert message("pv", {"metadata": {"name": "y"}, "spec": {
        "accessModes": ["ReadWriteOncePod", "ReadWriteOnce"], "capacity": {"storage": "1Gi"},
        "local": {"path": "/d"}}}) == (
        'PersistentVolume "y" is invalid: [spec.accessModes: Forbidden: may not use ReadWriteOncePod '
        'with other access modes, spec.nodeAffinity: Required value: Local volume requires node affinity]')
    assert message("pv", {"metadata": {"name": "z"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "1Gi"}}}) == (
        'PersistentVolume "z" is invalid: spec: Required value: must specify a volume type')
    assert message("pvc", claim("c", modes=("ReadWriteOncePod", "ReadWriteMany"))) == (
        'PersistentVolumeClaim "c" is invalid: spec.accessModes: Forbidden: may not use '
        'ReadWriteOncePod with other access modes')
    pv = c.api.create("pv", volume("ok", "1Gi"))
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pv["spec"]["volumeMode"] == "Filesystem" and pv["spec"]["hostPath"]["type"] == ""
    assert pv["status"]["phase"] == "Pending"
    pv = c.api.get("pv", "ok")
    pv["spec"]["hostPath"]["path"] = "/elsewhere"
    with pytest.raises(ApiError) as e:
        c.api.update("pv", pv)
    assert e.value.message.endswith("spec.persistentvolumesource: Forbidden: "
                                    "spec.persistentvolumesource is immutable after creation")


def test_data_lives_on_the_volumes_node(c):
    """A provisioned local-path volume is a directory of one node: a later pod using the claim
    is scheduled there (the PV's node affinity) and reads what the first one wrote."""
    c.api.create("pvc", claim("d"))
    writer = pod("w", "d", restartPolicy="Never")
    writer["spec"]["containers"][0].update(image="busybox", command=["sh", "-c", "echo hello > /data/f"])
    c.api.create("pods", writer)
    c.run(20)
    reader = pod("r", "d", restartPolicy="Never")
    reader["spec"]["containers"][0].update(image="busybox", command=["sh", "-c", "cat /data/f"])
    c.api.create("pods", reader)
    c.run(20)
    assert c.api.get("pods", "r")["spec"]["nodeName"] == c.api.get("pods", "w")["spec"]["nodeName"]
    assert c.logs("r") == "hello\n"
