"""Deployment arithmetic, checked against upstream's own test tables.

Sources: pkg/controller/deployment/util/deployment_util_test.go (TestResolveFenceposts,
TestNewRSNewReplicas, TestMaxUnavailable), pkg/controller/deployment/sync_test.go (TestScale,
TestDeploymentController_cleanupDeployment), k8s.io/apimachinery intstr tests.
"""
import pytest

from labkit.minicluster.controllers import deployment_util as du
from labkit.minicluster.controllers.deployment import DeploymentController
from labkit.minicluster.controllers.history import ALPHANUMS, compute_hash, safe_encode


def dep(replicas, surge=0, unavailable=0, strategy="RollingUpdate"):
    """upstream's test helper newDeployment: RollingUpdate with maxSurge/maxUnavailable 0."""
    st = {"type": strategy}
    if strategy == "RollingUpdate":
        st["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"metadata": {"name": "foo", "generation": 1},
            "spec": {"replicas": replicas, "strategy": st, "template": {}}, "status": {}}


def rs(name, replicas, ts, available=None, annotations=None):
    return {"metadata": {"name": name, "uid": name, "creationTimestamp": ts,
                         "annotations": dict(annotations or {})},
            "spec": {"replicas": replicas},
            "status": {} if available is None else {"availableReplicas": available}}


@pytest.mark.parametrize("surge,unavailable,desired,expected", [
    ("39%", "39%", 10, (4, 3)),     # surge rounds up, unavailable rounds down
    (None, "39%", 10, (0, 3)),
    ("39%", None, 10, (4, 0)),
    (None, None, 10, (0, 1)),       # both zero: maxUnavailable becomes 1
    (0, 0, 0, (0, 1)),
    ("25%", "25%", 10, (3, 2)),     # the defaults on 10 replicas
    ("25%", "25%", 3, (1, 0)),
    ("25%", "25%", 1, (1, 0)),
    (1, 0, 3, (1, 0)),
    (0, 0, 1, (0, 1)),              # fencepost: nothing may move otherwise
    (0, "25%", 3, (0, 1)),          # 25% of 3 rounds down to 0, fencepost again
])
def test_resolve_fenceposts(surge, unavailable, desired, expected):
    """TestResolveFenceposts: maxSurge rounds up, maxUnavailable rounds down, 0/0 -> 0/1."""
    assert du.resolve_fenceposts(surge, unavailable, desired) == expected


def test_bad_int_or_string_is_an_error():
    with pytest.raises(ValueError):
        du.scaled_value("oops", 10, True)


def test_max_unavailable_is_capped_and_zero_for_recreate():
    """MaxUnavailable: never above replicas; 0 with Recreate or 0 replicas."""
    assert du.max_unavailable(dep(5, 0, 10)) == 5
    assert du.max_unavailable(dep(0, 0, 1)) == 0
    assert du.max_unavailable(dep(5, strategy="Recreate")) == 0
    assert du.max_surge(dep(5, strategy="Recreate")) == 0


@pytest.mark.parametrize("strategy,dep_replicas,new_replicas,surge,old_replicas,expected", [
    ("Recreate", 1, 5, 0, 0, 1),          # Recreate jumps straight to replicas
    ("RollingUpdate", 6, 2, 10, 0, 6),    # plenty of surge: up to replicas
    ("RollingUpdate", 3, 1, 1, 3, 1),     # 4 pods already = 3 + 1: cannot scale up
    ("RollingUpdate", 3, 0, 1, 3, 1),     # 3 + 1 - 3 = 1
    ("RollingUpdate", 10, 0, "25%", 10, 3),
])
def test_new_rs_new_replicas(strategy, dep_replicas, new_replicas, surge, old_replicas, expected):
    """TestNewRSNewReplicas: scale-up bounded by replicas + maxSurge and by replicas."""
    d = dep(dep_replicas, surge, 0, strategy)
    new = rs("new", new_replicas, "2025-01-01T00:00:01Z")
    old = rs("old", old_replicas, "2025-01-01T00:00:00Z")
    assert du.new_rs_new_replicas(d, [old, new], new) == expected


class _FakeDC:
    """Records the sizes DeploymentController.scale asks for (upstream uses a fake client)."""

    def __init__(self):
        self.sizes = {}

    def scale_rs(self, rs_, size, d, op):
        self.sizes[rs_["metadata"]["name"]] = size
        return True, rs_

    def scale_rs_and_record_event(self, rs_, size, d):
        return self.scale_rs(rs_, size, d, "")

    def explain_step(self, *args, **kwargs):
        pass


NEW, OLD, OLDER = "2025-01-01T00:02:00Z", "2025-01-01T00:01:00Z", "2025-01-01T00:00:00Z"


@pytest.mark.parametrize("name,old_size,new_size,surge,new,olds,expect_new,expect_old", [
    ("normal scaling event: 10 -> 12", 10, 12, 0, 10, [], 12, []),
    ("normal scaling event: 10 -> 5", 10, 5, 0, 10, [], 5, []),
    ("proportional scaling: 5 -> 10", 5, 10, 0, 2, [3], 4, [6]),
    ("proportional scaling: 5 -> 3", 5, 3, 0, 2, [3], 1, [2]),
    ("proportional scaling: 9 -> 4", 9, 4, 0, 8, [1], 4, [0]),
    ("proportional scaling: 7 -> 10", 7, 10, 0, 2, [3, 2], 3, [4, 3]),
    ("proportional scaling: 13 -> 8", 13, 8, 0, 2, [8, 3], 1, [5, 2]),
    ("leftover distribution: 3 -> 4", 3, 4, 0, 1, [1, 1], 2, [1, 1]),
    ("leftover distribution: 3 -> 2", 3, 2, 0, 1, [1, 1], 1, [1, 0]),
    ("proportional scaling: 6 -> 0", 6, 0, 0, 3, [2, 1], 0, [0, 0]),
    ("deployment with surge pods", 10, 20, 2, 6, [6], 11, [11]),
])
def test_proportional_scale(name, old_size, new_size, surge, new, olds, expect_new, expect_old):
    """sync_test.go TestScale: a resize during a rollout is spread over the active ReplicaSets
    in proportion to their size (via the max-replicas annotation of the old size)."""
    old_d, d = dep(old_size, surge), dep(new_size, surge)
    ann = {du.DESIRED: str(old_size), du.MAX_REPLICAS: str(old_size + du.max_surge(old_d))}
    new_rs = rs("foo-new", new, NEW, annotations=ann)
    old_rss = [rs(f"foo-old{i}", n, [OLD, OLDER][i], annotations=ann) for i, n in enumerate(olds)]
    fake = _FakeDC()
    DeploymentController.scale(fake, d, new_rs, old_rss)
    got = {r["metadata"]["name"]: fake.sizes.get(r["metadata"]["name"], du.replicas(r))
           for r in [new_rs] + old_rss}
    assert got["foo-new"] == expect_new, name
    assert [got[r["metadata"]["name"]] for r in old_rss] == expect_old, name


def test_proportional_scale_of_old_replicasets_only():
    """TestScale "proportional scaling (no new rs): 4 -> 5": the newest RS gets the leftover."""
    ann = {du.DESIRED: "4", du.MAX_REPLICAS: "4"}
    olds = [rs("foo-v2", 2, OLD, annotations=ann), rs("foo-v1", 2, OLDER, annotations=ann)]
    fake = _FakeDC()
    DeploymentController.scale(fake, dep(5), None, olds)
    assert fake.sizes == {"foo-v2": 3, "foo-v1": 2}


def test_saturated_but_broken_new_replicaset_leaves_old_pods():
    """TestScale "saturated but broken new replica set does not affect old pods"."""
    ann = {du.DESIRED: "2", du.MAX_REPLICAS: "3"}
    new = rs("foo-v2", 2, NEW, available=0, annotations=ann)
    fake = _FakeDC()
    DeploymentController.scale(fake, dep(2, 1, 1), new, [rs("foo-v1", 1, OLD, annotations=ann)])
    assert fake.sizes == {"foo-v2": 2, "foo-v1": 1}


def test_find_active_or_latest():
    new = rs("new", 0, NEW)
    assert du.find_active_or_latest(new, [rs("old", 0, OLD)]) is new
    assert du.find_active_or_latest(None, [rs("a", 0, OLDER), rs("b", 0, OLD)])["metadata"][
        "name"] == "b"
    assert du.find_active_or_latest(new, [rs("old", 3, OLD)])["metadata"]["name"] == "old"
    assert du.find_active_or_latest(rs("n", 1, NEW), [rs("old", 3, OLD)]) is None


def test_template_hash_shape_and_stability():
    """ComputeHash + SafeEncodeString: digits of a 32-bit number mapped onto consonants and
    digits, so a hash is at most 10 characters from {4,5,6,7,8,9,b,c,d,f}."""
    tpl = {"metadata": {"labels": {"app": "web"}},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.14"}]}}
    h = compute_hash(tpl)
    assert h == compute_hash(dict(tpl)) and 1 <= len(h) <= 10
    assert set(h) <= set(safe_encode("0123456789")) == set("456789bcdf")
    tpl2 = {**tpl, "spec": {"containers": [{"name": "web", "image": "nginx:1.16"}]}}
    assert compute_hash(tpl2) != h
    assert compute_hash(tpl, 1) != h  # collisionCount changes the hash
    assert safe_encode("0") == ALPHANUMS[ord("0") % 27] == "4"


def test_equal_ignore_hash():
    a = {"metadata": {"labels": {"app": "web", "pod-template-hash": "abc"}}, "spec": {"x": 1}}
    b = {"metadata": {"labels": {"app": "web"}}, "spec": {"x": 1}}
    assert du.equal_ignore_hash(a, b)
    assert not du.equal_ignore_hash(a, {**b, "spec": {"x": 2}})


def test_rollback_keeps_revision_history_annotation():
    """SetNewReplicaSetAnnotations: an old RS becoming new again remembers its old revision."""
    d = {"metadata": {"annotations": {"kubernetes.io/change-cause": "undo",
                                      du.REVISION: "3"}}, "spec": {"replicas": 3}}
    old = rs("web-1", 0, OLD, annotations={du.REVISION: "1"})
    assert du.set_new_rs_annotations(d, old, "4", True)
    ann = old["metadata"]["annotations"]
    assert ann[du.REVISION] == "4" and ann[du.REVISION_HISTORY] == "1"
    assert ann["kubernetes.io/change-cause"] == "undo"
    du.set_new_rs_annotations(d, old, "6", True)
    assert ann[du.REVISION_HISTORY] == "1,4"


@pytest.mark.parametrize("sizes,limit,deleted", [
    ([(0, 0), (0, 0), (0, 0)], 1, 2),
    ([(0, 0), (0, 1), (1, 0), (1, 1)], 0, 1),   # only spec = status = 0 may go
    ([(1, 1), (1, 1)], 0, 0),
])
def test_cleanup_deployment_history_limit(sizes, limit, deleted):
    """TestDeploymentController_cleanupDeployment: only empty old ReplicaSets beyond
    revisionHistoryLimit are deleted, oldest revision first."""
    olds = []
    for i, (spec_n, status_n) in enumerate(sizes):
        r = rs(f"foo-{i + 1}", spec_n, f"2025-01-01T00:0{i}:00Z",
               annotations={du.REVISION: str(i + 1)})
        r["status"] = {"replicas": status_n}
        olds.append(r)
    calls = []

    class FakeApi:
        def delete(self, res, name, ns, user=None):
            calls.append(name)

    fake = type("F", (), {"api": FakeApi(), "user": None})()
    d = {"spec": {"revisionHistoryLimit": limit}}
    for r in olds:
        r["metadata"]["namespace"] = "default"
    DeploymentController.cleanup_deployment(fake, olds, d)
    assert len(calls) == deleted
    assert calls == sorted(calls)
