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
