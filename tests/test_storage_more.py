"""Storage end to end: the storage describers checked against the real kubectl v1.37, node files
mounted with hostPath volumes, and StatefulSet claim retention.

The describers are kubectl's own code upstream (staging/src/k8s.io/kubectl/pkg/describe/
describe.go: describePersistentVolume, describePersistentVolumeClaim + getPodsForPVC,
describeStorageClass), so they are compared byte for byte with the real binary talking to a
served MiniCluster holding the same objects (the approach of tests/test_kubectl_oracle.py).
"""
import os
import shlex
import subprocess
import time

import pytest

from labkit._tools import kubectl_path
from labkit.kubectl import run
from labkit.kubectl.formatting import rfc3339
from labkit.minicluster.cluster import MiniCluster
from test_kubectl_oracle import OPENAPI_STUB_WARNING, catch_up


def _pv(name, source, **spec):
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], **source, **spec}}


def populate(c):
    """Classes, volumes in several states and sources, claims used by pods, events."""
    api, t = c.api, lambda dt=0: rfc3339(c.now() + dt)
    api.create("storageclasses", {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {
        "name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true", "team": "a"}},
        "provisioner": "example.com/fast", "parameters": {"type": "ssd", "iops": "300"},
        "reclaimPolicy": "Retain", "volumeBindingMode": "WaitForFirstConsumer", "allowVolumeExpansion": True,
        "mountOptions": ["debug", "noatime"], "allowedTopologies": [{"matchLabelExpressions": [
            {"key": "topology.kubernetes.io/zone", "values": ["zone-a", "zone-b"]},
            {"key": "kubernetes.io/hostname", "values": ["node-1"]}]}]})
    api.create("storageclasses", {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                                  "metadata": {"name": "plain"}, "provisioner": "kubernetes.io/no-provisioner"})
    api.create("persistentvolumes", _pv("pv-host", {"hostPath": {"path": "/mnt/data", "type": "DirectoryOrCreate"}},
                                        storageClassName="fast", persistentVolumeReclaimPolicy="Retain",
                                        claimRef={"namespace": "default", "name": "data"},
                                        nodeAffinity={"required": {"nodeSelectorTerms": [{"matchExpressions": [
                                            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1", "node-2"]},
                                            {"key": "disk", "operator": "Exists"}]}]}}))
    pv = api.get("persistentvolumes", "pv-host")
    pv["status"] = {"phase": "Bound"}
    api.update("persistentvolumes", pv, subresource="status")
    api.create("persistentvolumes", _pv("pv-local", {"local": {"path": "/mnt/disks/ssd1"}},
                                        volumeMode="Filesystem", storageClassName="plain",
                                        nodeAffinity={"required": {"nodeSelectorTerms": [{"matchExpressions": [
                                            {"key": "kubernetes.io/hostname", "operator": "In", "values": ["node-1"]}]}]}}))
    api.create("persistentvolumes", _pv("pv-csi", {"csi": {
        "driver": "ebs.csi.aws.com", "volumeHandle": "vol-1", "fsType": "ext4",
        "volumeAttributes": {"b": "2", "a": "1"}}}, mountOptions=["ro"]))
    api.create("persistentvolumes", _pv("pv-nfs", {"nfs": {"server": "10.0.0.2", "path": "/exports", "readOnly": True}},
                                        accessModes=["ReadWriteMany", "ReadOnlyMany"]))
    api.create("persistentvolumeclaims", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
        "name": "data", "labels": {"app": "db"}}, "spec": {
        "accessModes": ["ReadWriteOnce"], "storageClassName": "fast", "volumeName": "pv-host",
        "resources": {"requests": {"storage": "1Gi"}}}})
    claim = api.get("persistentvolumeclaims", "data", "default")
    claim["status"] = {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "5Gi"},
                       "conditions": [{"type": "Resizing", "status": "True", "lastTransitionTime": t()}]}
    api.update("persistentvolumeclaims", claim, subresource="status")
    api.create("persistentvolumeclaims", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
        "name": "pending"}, "spec": {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
                                     "dataSource": {"kind": "PersistentVolumeClaim", "name": "data"},
                                     "resources": {"requests": {"storage": "1Gi"}}}})
    for name in ("db-1", "db-0"):
        api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
            "containers": [{"name": "c", "image": "busybox"}],
            "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}})
    owner = api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "eph"}, "spec": {
        "containers": [{"name": "c", "image": "busybox"}]}})
    api.create("persistentvolumeclaims", {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {
        "name": "eph-scratch", "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "eph",
                                                     "uid": owner["metadata"]["uid"], "controller": True}]},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})
    api.create("events", {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "pending.1"},
                          "involvedObject": {"kind": "PersistentVolumeClaim", "namespace": "default",
                                             "name": "pending", "apiVersion": "v1",
                                             "uid": api.get("persistentvolumeclaims", "pending", "default")["metadata"]["uid"]},
                          "reason": "FailedBinding", "type": "Normal", "count": 3,
                          "message": "no persistent volumes available for this claim and no storage class is set",
                          "source": {"component": "persistentvolume-controller"},
                          "firstTimestamp": t(), "lastTimestamp": t(1)})


def new_cluster(start):
    c = MiniCluster(nodes=0, scheduler=False, controllers=[], start=start, seed=7)
    populate(c)
    return c


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    start = float(int(time.time())) - 1830
    a, b = new_cluster(start), new_cluster(start)
    handle = a.serve(time_mode="manual")
    cfg = tmp_path_factory.mktemp("kube") / "config"
    handle.write_kubeconfig(cfg)
    env = dict(os.environ, KUBECONFIG=str(cfg))

    def real(line):
        with a.lock:
            catch_up(a)
        r = subprocess.run([kubectl_path(), *shlex.split(line)], env=env, capture_output=True,
                           text=True, timeout=60)
        err = "".join(x for x in r.stderr.splitlines(True) if not x.startswith(OPENAPI_STUB_WARNING))
        return r.stdout, err, r.returncode

    yield real, b
    handle.stop()


DESCRIBE = ["describe pv pv-host", "describe pv pv-local", "describe pv pv-csi", "describe pv pv-nfs",
            "describe pv", "describe pvc data", "describe pvc pending", "describe pvc eph-scratch",
            "describe pvc", "describe storageclass fast", "describe sc plain", "describe sc",
            "describe pv nope", "describe pvc data --show-events=false"]


@pytest.mark.parametrize("line", DESCRIBE)
def test_storage_describers_match_real_kubectl(oracle, line):
    """PersistentVolumeDescriber, PersistentVolumeClaimDescriber (``Used By`` lists pods with a
    volume naming the claim, and a pod owning it), StorageClassDescriber: same bytes as the real
    kubectl v1.37."""
    real, b = oracle
    expected = real(line)
    catch_up(b)
    ours = run(b, line)
    assert ours.exception is None, ours.exception
    assert (ours.stdout, ours.stderr, ours.returncode) == expected


def test_describe_pvc_used_by_and_terminating():
    """getPodsForPVC + printPodsMultiline: sorted names; a claim being deleted shows
    ``Terminating (lasts ...)`` (describe.go printPersistentVolumeClaim)."""
    c = new_cluster(1_700_000_000.0)
    out = run(c, "describe pvc data").stdout
    assert "Used By:       db-0\n               db-1\n" in out
    assert "Capacity:      5Gi\nAccess Modes:  RWO\n" in out
    claim = c.api.get("persistentvolumeclaims", "eph-scratch", "default")
    claim["metadata"]["finalizers"] = ["example.com/hold"]
    c.api.update("persistentvolumeclaims", claim, "default")
    c.api.delete("persistentvolumeclaims", "eph-scratch", "default")
    c.run(90)
    out = run(c, "describe pvc eph-scratch").stdout
    assert "Status:        Terminating (lasts 90s)\n" in out
    assert "Used By:       eph\n" in out
    assert "Finalizers:    [example.com/hold]\n" in out


# -- hostPath volumes: the node's files -----------------------------------------------------------

def _busybox(name, volumes, mounts, node="node-1", cmd="sleep 3600"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "nodeName": node, "volumes": volumes, "containers": [{
            "name": "sh", "image": "busybox:1.37", "command": ["sh", "-c", cmd], "volumeMounts": mounts}]}}


def _host(name, path, kind=None):
    src = {"path": path, **({"type": kind} if kind is not None else {})}
    return {"name": name, "hostPath": src}


def test_basic_daemonset_example_logs_each_nodes_machine_id():
    """The docs example (k8s-examples application/basic-daemonset.yaml): an init container on
    every node copies the node's /etc/machine-id (hostPath type File) into the node's /var/log.
    The file holds the ID the kubelet reports as status.nodeInfo.machineID (the kubelet reads it
    from /etc/machine-id: pkg/kubelet/nodestatus MachineInfo)."""
    import yaml
    from labkit.minicluster.kubelet import nodefs
    c = MiniCluster(nodes=3, seed=11)
    with open("/work/shared/k8s-examples/application/basic-daemonset.yaml") as f:
        c.api.create("daemonsets", yaml.safe_load(f), "default")
    c.settle(max_seconds=300)
    st = c.api.get("daemonsets", "example-daemonset", "default")["status"]
    assert st["desiredNumberScheduled"] == st["numberReady"] == 3
    for node in c.api.list("nodes")["items"]:
        name, machine_id = node["metadata"]["name"], node["status"]["nodeInfo"]["machineID"]
        fs = nodefs.of(c.kubelets[name]).view()
        assert fs.read("/var/log/machine-id.log") == fs.read("/etc/machine-id") == machine_id + "\n"
        assert fs.read("/etc/hostname") == name + "\n"


def test_busybox_cats_node_files_and_shares_host_directories():
    """hostPath of a file, a directory and the whole /etc: the pod reads the node's files; two pods
    of one node share a hostPath directory, a pod of another node does not see it; the files
    outlive the pods (pkg/volume/hostpath)."""
    c = MiniCluster(nodes=2, seed=3)
    vols = [_host("mid", "/etc/machine-id", "File"), _host("logs", "/var/log"), _host("etc", "/etc", "Directory")]
    mounts = [{"name": "mid", "mountPath": "/host-machine-id", "readOnly": True},
              {"name": "logs", "mountPath": "/logs"}, {"name": "etc", "mountPath": "/host/etc"}]
    c.api.create("pods", _busybox("writer", vols, mounts, cmd="echo hello > /logs/app.log; sleep 3600"))
    c.api.create("pods", _busybox("reader", vols, mounts))
    c.api.create("pods", _busybox("other", vols, mounts, node="node-2"))
    c.settle(max_seconds=120)
    k1, k2 = c.kubelets["node-1"], c.kubelets["node-2"]
    machine_id = c.api.get("nodes", "node-1")["status"]["nodeInfo"]["machineID"]
    assert k1.exec("default", "reader", ["cat", "/host-machine-id"]) == (0, machine_id + "\n")
    assert k1.exec("default", "reader", ["cat", "/host/etc/hostname"]) == (0, "node-1\n")
    assert k1.exec("default", "reader", ["cat", "/logs/app.log"]) == (0, "hello\n")
    code, out = k2.exec("default", "other", ["cat", "/logs/app.log"])
    assert code == 1 and "No such file or directory" in out
    assert k2.exec("default", "other", ["cat", "/host/etc/hostname"]) == (0, "node-2\n")
    c.api.delete("pods", "writer", "default", grace_period_seconds=0)
    c.api.delete("pods", "reader", "default", grace_period_seconds=0)
    c.settle(max_seconds=60)
    c.api.create("pods", _busybox("later", vols, mounts))
    c.settle(max_seconds=60)
    assert k1.exec("default", "later", ["cat", "/logs/app.log"]) == (0, "hello\n")


def _mount_failures(c, pod):
    return [e["message"] for e in c.api.list("events", "default")["items"]
            if e["involvedObject"]["name"] == pod and e["reason"] == "FailedMount"]


@pytest.mark.parametrize("kind,path,message", [
    ("File", "/no/such", "hostPath type check failed: /no/such is not a file"),
    ("File", "/var/log", "hostPath type check failed: /var/log is not a file"),
    ("Directory", "/etc/hostname", "hostPath type check failed: /etc/hostname is not a directory"),
    ("Directory", "/data", "hostPath type check failed: /data is not a directory"),
    ("Socket", "/var/run/docker.sock", "hostPath type check failed: /var/run/docker.sock is not a socket file"),
    ("CharDevice", "/etc/machine-id", "hostPath type check failed: /etc/machine-id is not a character device"),
    ("BlockDevice", "/dev/sda", "hostPath type check failed: /dev/sda is not a block device"),
    ("FileOrCreate", "/no/dir/f.txt", "open /no/dir/f.txt: no such file or directory"),
])
def test_hostpath_type_check_failures_keep_the_pod_creating(kind, path, message):
    """checkTypeInternal (pkg/volume/hostpath/host_path.go, v1.33): a path of the wrong type is a
    FailedMount event ``MountVolume.SetUp failed for volume "x" : hostPath type check failed: ...``
    repeated with back-off, and the pod stays ContainerCreating; FileOrCreate creates a file only
    in an existing directory (os.OpenFile's error otherwise)."""
    c = MiniCluster(nodes=1, seed=1)
    c.api.create("pods", _busybox("p", [_host("x", path, kind)], [{"name": "x", "mountPath": "/x"}]))
    c.settle(max_seconds=60)
    pod = c.api.get("pods", "p", "default")
    assert pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "ContainerCreating"
    failures = _mount_failures(c, "p")
    assert failures == [f'MountVolume.SetUp failed for volume "x" : {message}']
    event = next(e for e in c.api.list("events", "default")["items"] if e["reason"] == "FailedMount")
    assert event["count"] > 1 and event["type"] == "Warning"


def test_hostpath_or_create_types_and_unset_type_create_what_is_missing():
    """DirectoryOrCreate makes the directory (MkdirAll), FileOrCreate an empty file, an unset type
    a directory (the runtime creates a missing bind-mount source); existing paths of the right
    type pass (Socket: containerd's socket, CharDevice: /dev/null)."""
    from labkit.minicluster.kubelet import nodefs
    c = MiniCluster(nodes=1, seed=1)
    vols = [_host("d", "/srv/data/app", "DirectoryOrCreate"), _host("f", "/etc/app.conf", "FileOrCreate"),
            _host("u", "/opt/cache"), _host("s", "/run/containerd/containerd.sock", "Socket"),
            _host("n", "/dev/null", "CharDevice")]
    mounts = [{"name": "d", "mountPath": "/data"}, {"name": "f", "mountPath": "/app.conf"},
              {"name": "u", "mountPath": "/cache"}, {"name": "s", "mountPath": "/containerd.sock"},
              {"name": "n", "mountPath": "/devnull"}]
    c.api.create("pods", _busybox("p", vols, mounts, cmd="echo x > /data/f; echo y > /cache/g; sleep 3600"))
    c.settle(max_seconds=60)
    assert c.api.get("pods", "p", "default")["status"]["phase"] == "Running"
    assert _mount_failures(c, "p") == []
    node = nodefs.of(c.kubelets["node-1"])
    assert node.file_type("/srv/data/app") == "Directory" and node.file_type("/etc/app.conf") == "File"
    fs = node.view()
    assert fs.read("/srv/data/app/f") == "x\n" and fs.read("/opt/cache/g") == "y\n"
    assert fs.read("/etc/app.conf") == ""


def test_describe_of_a_provisioned_statefulset_claim_matches_real_kubectl(tmp_path):
    """End to end: a StatefulSet's claims provisioned by kind's local-path class, described by
    labkit's kubectl and by the real kubectl v1.37 reading the same (served) cluster: the claim
    (owned by the set: whenDeleted Delete), its PersistentVolume (hostPath, node affinity) and the
    default StorageClass, events included."""
    start = float(int(time.time())) - 1830
    c = MiniCluster(nodes=2, seed=4, start=start)
    c.apply({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {
        "serviceName": "db", "replicas": 2, "selector": {"matchLabels": {"app": "db"}},
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"},
        "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{
            "name": "c", "image": "busybox:1.37", "command": ["sleep", "3600"],
            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]}},
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    c.settle()
    pv = c.api.get("persistentvolumeclaims", "data-db-1", "default")["spec"]["volumeName"]
    handle = c.serve(time_mode="manual")
    try:
        handle.write_kubeconfig(tmp_path / "config")
        env = dict(os.environ, KUBECONFIG=str(tmp_path / "config"))
        for line in ["describe pvc data-db-1", f"describe pv {pv}", "describe sc standard", "describe pvc"]:
            with c.lock:
                catch_up(c)
                ours = run(c, line)
            r = subprocess.run([kubectl_path(), *shlex.split(line)], env=env, capture_output=True,
                               text=True, timeout=60)
            assert ours.exception is None, ours.exception
            assert (ours.stdout, ours.returncode) == (r.stdout, r.returncode), line
        assert "Used By:       db-1\n" in run(c, "describe pvc data-db-1").stdout
    finally:
        handle.stop()
