"""Scheduler plugins VolumeRestrictions and NodeVolumeLimits (Kubernetes v1.33 semantics).

Upstream: pkg/scheduler/framework/plugins/volumerestrictions/volume_restrictions.go,
pkg/scheduler/framework/plugins/nodevolumelimits/csi.go, the default plugin order of
pkg/scheduler/apis/config/v1/default_plugins.go (... NodeResourcesFit, VolumeRestrictions,
NodeVolumeLimits, VolumeBinding, VolumeZone, PodTopologySpread ...).
"""
import pytest

from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.scheduler import explain
from labkit.minicluster.scheduler.builders import make_node, make_pod
from labkit.minicluster.scheduler.plugins import default_plugins
from labkit.minicluster.scheduler.plugins.node_volume_limits import csi_attach_limit_key

RWOP_REASON = ("node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod "
               "access mode")


class FakeInformer:
    """``get(name, namespace)`` / ``list()`` over plain objects, like a shared informer cache."""

    def __init__(self, objs=()):
        self.objs = {(o["metadata"].get("namespace"), o["metadata"]["name"]): o for o in objs}

    def get(self, name, namespace=None):
        return self.objs.get((namespace, name))

    def list(self, namespace=None):
        return list(self.objs.values())


class FakeLister:
    """The scheduler's lister (scheduler.py InformerLister) over fake informers."""

    def __init__(self, claims=(), volumes=(), classes=()):
        self.informers = {"persistentvolumeclaims": FakeInformer(claims),
                          "persistentvolumes": FakeInformer(volumes),
                          "storageclasses": FakeInformer(classes)}

    def services(self, namespace):
        return []

    def controller(self, namespace, kind, name):
        return None

    def pdbs(self):
        return []


lister = FakeLister


def claim(name, modes=("ReadWriteOnce",), volume=None, cls=None):
    """A claim; with ``volume``, bound to it (as the PV controller leaves it)."""
    spec = {"accessModes": list(modes), "resources": {"requests": {"storage": "1Gi"}}}
    meta = {"name": name, "namespace": "default"}
    if volume:
        spec["volumeName"] = volume
        meta["annotations"] = {"pv.kubernetes.io/bind-completed": "yes"}
    if cls:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}


def csi_volume(name, driver, handle):
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"],
                     "csi": {"driver": driver, "volumeHandle": handle}}}


def with_claims(name, *claims, node=None, **kw):
    vols = [{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}}
            for i, c in enumerate(claims)]
    return make_pod(name, node=node, volumes=vols, **kw)


def rows(rec):
    return {n["node"]: (n["filteredBy"], n["reasons"], n["code"]) if not n["feasible"] else None
            for n in rec["nodes"]}


# -- the default profile ---------------------------------------------------------------------------

def test_volume_plugins_run_in_upstream_order():
    order = [p.name for p in default_plugins()]
    i = order.index("NodeResourcesFit")
    assert order[i + 1:i + 4] == ["VolumeRestrictions", "NodeVolumeLimits", "VolumeBinding"]


def test_pods_without_claims_skip_both_plugins():
    """PreFilter answers Skip: no ReadWriteOncePod claim in use, no disk to check (volume
    restrictions); no PVC, ephemeral or migratable inline volume (CSILimits)."""
    rec = explain(make_pod("p"), [make_node("n1")], lister=lister(), preemption=False)
    assert {"VolumeRestrictions", "NodeVolumeLimits"} <= set(rec["skippedPlugins"])
    rec = explain(with_claims("p", "data"), [make_node("n1")],
                  lister=lister([claim("data", volume="pv")], [csi_volume("pv", "d", "h")]),
                  preemption=False)
    assert "NodeVolumeLimits" not in rec["skippedPlugins"]
    assert "VolumeRestrictions" in rec["skippedPlugins"]  # not ReadWriteOncePod
    assert rec["node"] == "n1"


# -- VolumeRestrictions ----------------------------------------------------------------------------

def test_read_write_once_pod_claim_in_use_rejects_every_node():
    """satisfyReadWriteOncePod: Unschedulable (preemption may help) on every node, wherever the
    pod that holds the claim runs."""
    nodes = [make_node("n1"), make_node("n2")]
    holder = with_claims("holder", "solo", node="n1")
    rec = explain(with_claims("new", "solo"), nodes, [holder],
                  lister=lister([claim("solo", ("ReadWriteOncePod",), volume="pv")],
                                 [csi_volume("pv", "d", "h")]), preemption=False)
    assert rows(rec) == {"n1": ("VolumeRestrictions", [RWOP_REASON], "Unschedulable"),
                         "n2": ("VolumeRestrictions", [RWOP_REASON], "Unschedulable")}
    assert rec["message"].startswith(f"0/2 nodes are available: 2 {RWOP_REASON}.")
    free = explain(with_claims("new", "solo"), nodes, [],
                   lister=lister([claim("solo", ("ReadWriteOncePod",), volume="pv")],
                                 [csi_volume("pv", "d", "h")]), preemption=False)
    assert free["node"] is not None


def test_a_missing_claim_fails_in_volume_restrictions_prefilter():
    """readWriteOncePodPVCsForPod looks every claim up first: NotFound is
    UnschedulableAndUnresolvable with the lister's message."""
    rec = explain(with_claims("p", "nope"), [make_node("n1")], lister=lister(), preemption=False)
    assert rows(rec)["n1"] == ("VolumeRestrictions", ['persistentvolumeclaim "nope" not found'],
                               "UnschedulableAndUnresolvable")


@pytest.mark.parametrize("mine, theirs, conflict", [
    ({"awsElasticBlockStore": {"volumeID": "vol-1"}}, {"awsElasticBlockStore": {"volumeID": "vol-1"}}, True),
    ({"awsElasticBlockStore": {"volumeID": "vol-1"}}, {"awsElasticBlockStore": {"volumeID": "vol-2"}}, False),
    ({"gcePersistentDisk": {"pdName": "d"}}, {"gcePersistentDisk": {"pdName": "d", "readOnly": True}}, True),
    ({"gcePersistentDisk": {"pdName": "d", "readOnly": True}},
     {"gcePersistentDisk": {"pdName": "d", "readOnly": True}}, False),
    ({"iscsi": {"iqn": "iqn.x", "targetPortal": "t", "lun": 0}},
     {"iscsi": {"iqn": "iqn.x", "targetPortal": "t", "lun": 0}}, True),
    ({"rbd": {"monitors": ["m1", "m2"], "image": "i"}}, {"rbd": {"monitors": ["m2"], "image": "i"}}, True),
    ({"rbd": {"monitors": ["m1"], "image": "i"}}, {"rbd": {"monitors": ["m2"], "image": "i"}}, False),
])
def test_inline_disk_conflicts(mine, theirs, conflict):
    """isVolumeConflict: GCE PD unless all read-only, EBS always, iSCSI by IQN, RBD by monitor
    overlap, pool and image: ``node(s) had no available disk`` on the node already using it."""
    other = make_pod("other", node="n1", volumes=[{"name": "d", **theirs}])
    rec = explain(make_pod("p", volumes=[{"name": "d", **mine}]), [make_node("n1"), make_node("n2")],
                  [other], lister=lister(), preemption=False)
    expected = ("VolumeRestrictions", ["node(s) had no available disk"], "Unschedulable")
    assert rows(rec)["n1"] == (expected if conflict else None)
    assert rows(rec)["n2"] is None


# -- VolumeRestrictions in a cluster ---------------------------------------------------------------

def _rwop_cluster():
    c = MiniCluster(nodes=3, seed=1)
    c.apply({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
             "metadata": {"name": "solo", "namespace": "default"},
             "spec": {"accessModes": ["ReadWriteOncePod"],
                      "resources": {"requests": {"storage": "1Gi"}}}})
    return c


def _pod(name, **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}],
                     "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "solo"}}],
                     **spec}}


def test_second_pod_of_a_read_write_once_pod_claim_waits_for_the_first():
    """FailedScheduling / PodScheduled=False with upstream's words; the local-path volume pins
    the claim to the first pod's node (VolumeBinding PreFilter narrows the others away), and
    equal priorities give preemption no victims. Once the holder is gone the pod runs."""
    c = _rwop_cluster()
    c.apply(_pod("a"))
    c.settle()
    node = c.api.get("pods", "a")["spec"]["nodeName"]
    c.apply(_pod("b"))
    c.run(5)
    message = (f"0/3 nodes are available: 1 {RWOP_REASON}, 2 node(s) didn't satisfy plugin(s) "
               "[VolumeBinding]. preemption: 0/3 nodes are available: 1 No preemption victims "
               "found for incoming pod, 2 Preemption is not helpful for scheduling.")
    b = c.api.get("pods", "b")
    cond = next(x for x in b["status"]["conditions"] if x["type"] == "PodScheduled")
    assert (cond["status"], cond["reason"], cond["message"]) == ("False", "Unschedulable", message)
    failed = [e["message"] for e in c.api.list("events", "default")["items"]
              if e["reason"] == "FailedScheduling" and e["involvedObject"]["name"] == "b"]
    assert failed and set(failed) == {message}  # one per attempt (the pod's resourceVersion
    # is part of the recorder's isomorphism key: a new attempt after a status write is new)
    rec = c.explain.last("scheduler")
    assert rec["pod"] == "default/b"
    assert [(n["filteredBy"], n["reasons"]) for n in rec["nodes"] if n["node"] == node] == \
        [("VolumeRestrictions", [RWOP_REASON])]
    c.api.delete("pods", "a", "default")
    c.run(60)
    assert c.api.get("pods", "b")["spec"].get("nodeName") == node


def test_a_higher_priority_pod_preempts_the_holder_of_the_claim():
    """Preemption re-runs PreFilter without the victims (upstream: RemovePod lowers
    conflictingPVCRefCount), so evicting the holder makes the node fit."""
    c = _rwop_cluster()
    c.apply({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
             "metadata": {"name": "high"}, "value": 1000})
    c.apply(_pod("low"))
    c.settle()
    node = c.api.get("pods", "low")["spec"]["nodeName"]
    c.apply(_pod("high", priorityClassName="high"))
    c.run(5)
    preempted = [e for e in c.api.list("events", "default")["items"] if e["reason"] == "Preempted"]
    assert [e["involvedObject"]["name"] for e in preempted] == ["low"]
    c.run(60)
    assert c.api.get("pods", "high")["spec"].get("nodeName") == node


# -- NodeVolumeLimits ------------------------------------------------------------------------------

EBS = "ebs.csi.aws.com"


def test_csi_volumes_count_against_the_node_limit():
    """CSILimits Filter: distinct volumes per driver (existing pods' plus the new pod's) against
    the node's attachable-volumes-csi-<driver>; a volume already attached is not counted twice;
    unbound claims count against their StorageClass's provisioner."""
    limit = {csi_attach_limit_key(EBS): "2"}
    nodes = [make_node("n1", resources=limit), make_node("n2")]
    claims = [claim(f"c{i}", volume=f"pv{i}") for i in range(3)] + [claim("late", cls="gp3")]
    volumes = [csi_volume(f"pv{i}", EBS, f"vol-{i}") for i in range(3)]
    sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp3"},
          "provisioner": EBS, "volumeBindingMode": "WaitForFirstConsumer"}
    ls = lister(claims, volumes, [sc])
    running = [with_claims("a", "c0", node="n1"), with_claims("b", "c1", node="n1")]
    full = ("NodeVolumeLimits", ["node(s) exceed max volume count"], "Unschedulable")
    rec = explain(with_claims("p", "c2"), nodes, running, lister=ls, preemption=False)
    assert rows(rec) == {"n1": full, "n2": None}
    rec = explain(with_claims("p", "c1"), nodes, running, lister=ls, preemption=False)
    assert rows(rec)["n1"] is None  # vol-1 is attached already
    rec = explain(with_claims("p", "late"), nodes, running, lister=ls, preemption=False)
    assert rows(rec)["n1"] == full
    rec = explain(with_claims("p", "c2"), nodes, running[:1], lister=ls, preemption=False)
    assert rows(rec)["n1"] is None


def test_no_known_limit_or_non_csi_volumes_pass():
    """Without limits (labkit has no CSINode objects; a node without attachable-volumes-*)
    every node passes; hostPath/local volumes (the local-path provisioner's) never count."""
    hostpath = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "hp"},
                "spec": {"capacity": {"storage": "1Gi"}, "hostPath": {"path": "/tmp/x"}}}
    ls = lister([claim("c0", volume="pv0"), claim("h", volume="hp")],
                [csi_volume("pv0", EBS, "vol-0"), hostpath])
    rec = explain(with_claims("p", "c0"), [make_node("n1")], lister=ls, preemption=False)
    assert rows(rec)["n1"] is None
    zero = make_node("n1", resources={csi_attach_limit_key(EBS): "0"})
    rec = explain(with_claims("p", "h"), [zero], lister=ls, preemption=False)
    assert rows(rec)["n1"] is None
    rec = explain(with_claims("p", "c0"), [zero], lister=ls, preemption=False)
    assert rows(rec)["n1"][0] == "NodeVolumeLimits"


def test_csi_attach_limit_key():
    """volumeutil.GetCSIAttachLimitKey: names past 63 characters keep 23 characters of the
    driver and 16 hex digits of its SHA-1."""
    assert csi_attach_limit_key(EBS) == "attachable-volumes-csi-ebs.csi.aws.com"
    long = "a-very-long-csi-driver-name.storage.example.com"
    key = csi_attach_limit_key(long)
    assert key.startswith("attachable-volumes-csi-a-very-long-csi-driver") and len(key) == 62
