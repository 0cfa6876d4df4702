"""Complexity of the hot paths at scale: counts of syncs and of pods looked at, never timings.

Upstream's ReplicaSet controller is O(pods of the ReplicaSet) per sync, and stays affordable
because (1) its informer indexes pods by controller owner (so a sync lists only its own pods)
and (2) its work queue de-duplicates keys: the pod events that arrive while the worker is busy
are served by ONE sync (k8s.io/client-go/util/workqueue, queue.go: "dirty" set; pkg/controller/
replicaset/replica_set.go: syncReplicaSet). labkit's virtual-time syncs take no time, so big
syncs declare their size and hold their key back (:mod:`labkit.minicluster.controllers.base`).
"""
from labkit.minicluster.clock import Clock, EventLoop
from labkit.minicluster.controllers import base
from labkit.minicluster.controllers.base import WorkQueue
from labkit.minicluster.store import Store
from labkit.minicluster.errors import ApiError
from workload_harness import Harness


def replicaset(name="web", replicas=3):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}


def _counting(h):
    """Count RS syncs and the pods each sync listed through the owner index."""
    ctrl = h.manager["replicaset"]
    listed = []
    original = ctrl.pods.owned_by

    def owned_by(uid, **kwargs):
        out = original(uid, **kwargs)
        listed.append(len(out))
        return out
    ctrl.pods.owned_by = owned_by
    return ctrl, listed


def _flip_ready(h, n_events, spacing):
    """``n_events`` pod status writes (Ready False), ``spacing`` virtual seconds apart."""
    for pod in h.list("pods")[:n_events]:
        pod["status"]["conditions"] = [c if c["type"] != "Ready" else {**c, "status": "False"}
                                       for c in pod["status"]["conditions"]]
        h.api.update("pods", pod, "default", subresource="status")
        h.run(spacing)


def test_many_pod_status_events_one_sync_per_batch_window():
    """200 status writes 1 ms apart on a 300-pod ReplicaSet: the first is served at once, the
    others wait for the batch window (300 ms) and share one sync - not 200 syncs."""
    h = Harness(nodes=3)
    h.create(replicaset(replicas=300))
    h.settle()
    assert h.get("replicasets", "web")["status"]["readyReplicas"] == 300
    ctrl, listed = _counting(h)
    syncs0 = ctrl.queue.syncs
    _flip_ready(h, 200, 0.001)
    h.settle()
    syncs = ctrl.queue.syncs - syncs0
    assert syncs <= 4  # event → sync; the rest coalesce; its own status write → one more
    assert all(n == 300 for n in listed)  # each sync lists only the set's own 300 pods
    assert h.get("replicasets", "web")["status"]["readyReplicas"] == 100


def test_pods_listed_grow_linearly_with_events():
    """Doubling the pod events does not double the syncs: pods listed stay O(pods), not
    O(pods x events)."""
    totals = []
    for n_events in (100, 200):
        h = Harness(nodes=3)
        h.create(replicaset(replicas=200))
        h.settle()
        ctrl, listed = _counting(h)
        _flip_ready(h, n_events, 0.001)
        h.settle()
        totals.append(sum(listed))
    assert totals[1] <= totals[0] + 2 * 200
    assert totals[1] < 200 * 200 // 10


def test_small_replicasets_sync_at_once():
    """Lesson-sized sets (< BATCH_MIN_OBJECTS pods) are synced in the same virtual instant as
    each pod event, exactly as before batching existed."""
    h = Harness(nodes=3)
    h.create(replicaset(replicas=3))
    h.settle()
    ctrl = h.manager["replicaset"]
    syncs0 = ctrl.queue.syncs
    _flip_ready(h, 3, 0.001)
    assert ctrl.queue.syncs - syncs0 >= 3  # each event had its own sync, no waiting
    assert "readyReplicas" not in h.get("replicasets", "web")["status"]  # 0: omitempty


def test_initial_scale_up_creates_in_few_syncs():
    """Creating 600 pods and watching them become Running takes a handful of syncs, not one
    per pod event (about 3 events per pod: create, bind, Running)."""
    h = Harness(nodes=3)
    ctrl, listed = _counting(h)
    h.create(replicaset(replicas=600))
    h.settle()
    assert h.get("replicasets", "web")["status"]["readyReplicas"] == 600
    assert ctrl.queue.syncs < 30
    assert sum(listed) < 600 * 30


def _queue(cost):
    """A WorkQueue whose handler records when it ran and declares ``cost`` objects."""
    loop, calls = EventLoop(Clock(0)), []
    q = WorkQueue(loop, lambda key: (calls.append(loop.clock.now()), q.sync_cost(key, cost)))
    return loop, q, calls


def test_workqueue_sync_cost_holds_key_back():
    loop, q, calls = _queue(500)
    q.add("k")
    loop.run_pending()
    assert calls == [0]
    for _ in range(50):  # 50 events within the window: one sync at its end
        loop.run(0.002)
        q.add("k")
    loop.settle()
    assert calls == [0, 500 * base.BATCH_SECONDS_PER_OBJECT]


def test_workqueue_small_cost_no_wait():
    loop, q, calls = _queue(base.BATCH_MIN_OBJECTS - 1)
    for _ in range(3):
        q.add("k")
        loop.run(0.001)
    assert calls == [0, 0.001, 0.002]


def test_store_history_is_bounded():
    """Revision-mode auto-compaction: at most ``history_revisions`` (x2 before a compaction
    pass) revisions of history; a watch from a compacted revision gets 410 Gone."""
    s = Store(history_revisions=100)
    for i in range(1000):
        s.create(f"/registry/pods/default/p{i}", b"{}")
    assert len(s._log) <= 200
    assert s.compacted >= s.revision - 200
    try:
        s.watch("/registry/pods/", lambda ev: None, start_revision=5)
    except ApiError as e:
        assert e.code == 410
    else:
        raise AssertionError("expected 410 Gone")
    kvs, _ = s.range("/registry/pods/")
    assert len(kvs) == 1000  # current state is never compacted


def test_store_values_exactly_sized():
    """Values are kept as exact copies of the bytes written (not the encoder's buffer)."""
    s = Store()
    value = bytes(3000)
    kv = s.create("/registry/pods/default/a", value)
    assert kv.value == value and kv.value is not value


def test_informer_shares_equal_subtrees_between_pods_and_versions():
    """Cached pods of one template share their equal parts; a new version reuses the parts
    that did not change; every cached object still equals what the API server returns."""
    h = Harness(nodes=3)
    h.create(replicaset(replicas=4))
    h.settle()
    cache = h.pods.cache
    a, b = (cache[k] for k in sorted(cache)[:2])
    assert a["spec"]["tolerations"] is b["spec"]["tolerations"] or \
        a["spec"]["containers"][0]["resources"] is b["spec"]["containers"][0]["resources"]
    assert a["metadata"]["ownerReferences"] is b["metadata"]["ownerReferences"]
    for key, obj in cache.items():
        ns, name = key.split("/")
        assert obj == h.api.get("pods", name, ns)
    spec_before = a["spec"]
    pod = h.api.get("pods", a["metadata"]["name"], "default")
    pod["status"]["conditions"][0]["reason"] = "Changed"
    h.api.update("pods", pod, "default", subresource="status")
    fresh = cache[f"default/{a['metadata']['name']}"]
    assert fresh is not a and fresh["spec"] is spec_before  # unchanged part: the same object
    assert fresh["status"]["conditions"][0]["reason"] == "Changed"
    assert a["status"]["conditions"][0].get("reason") != "Changed"  # old version untouched


def test_informer_new_version_keeps_unchanged_items_strings_and_empties():
    """A status write that changes one pod condition: the new cached version keeps the other
    conditions and the unchanged strings (name, uid) of the previous version as the same
    objects; the empty dicts of all cached pods are one object. Contents stay exact."""
    h = Harness(nodes=3)
    h.create(replicaset(replicas=2))
    h.settle()
    cache = h.pods.cache
    key = sorted(cache)[0]
    before = cache[key]
    pod = h.api.get("pods", before["metadata"]["name"], "default")
    pod["status"]["conditions"][0]["reason"] = "Changed"
    h.api.update("pods", pod, "default", subresource="status")
    after = cache[key]
    assert after == h.api.get("pods", before["metadata"]["name"], "default")
    old_c, new_c = before["status"]["conditions"], after["status"]["conditions"]
    assert new_c is not old_c and new_c[0] is not old_c[0]
    assert all(n is o for n, o in zip(new_c[1:], old_c[1:]))
    assert after["metadata"]["uid"] is before["metadata"]["uid"]
    assert after["metadata"]["name"] is before["metadata"]["name"]
    empties = {id(p["spec"]["securityContext"]) for p in cache.values()}
    assert len(empties) == 1 and next(iter(cache.values()))["spec"]["securityContext"] == {}


def test_packed_pod_cache_keeps_quiet_pods_status_packed_and_reads_them_whole():
    """Beyond the HOT_OBJECTS most recently written pods, the informer keeps a pod as its view
    without status (the object the kubelet and the scheduler hold) plus the packed status;
    reading it gives the whole object again, equal to the API server's, a new object per read
    (two reads in a row unpack the value once)."""
    from labkit.minicluster import informer
    h = Harness(nodes=3)
    h.create(replicaset(replicas=6))
    h.settle()
    cache = h.pods.cache
    assert isinstance(cache, informer.PackedCache)
    cache.capacity = 2
    for key in sorted(cache):  # rewrite each pod so the hot set turns over
        ns, name = key.split("/")
        pod = h.api.get("pods", name, ns)
        pod["metadata"].setdefault("annotations", {})["touched"] = "yes"
        h.api.update("pods", pod, ns)
    quiet = sorted(cache)[0]
    assert quiet not in cache._hot and quiet in cache._brief
    assert "status" not in cache._views[quiet]
    whole = cache[quiet]
    ns, name = quiet.split("/")
    assert whole == h.api.get("pods", name, ns) and whole["status"]["phase"] == "Running"
    assert cache[quiet] is not whole                      # decoded again
    assert whole["spec"] is cache._views[quiet]["spec"]  # the kept parts are shared
    assert len(list(cache.values())) == len(cache) == 6
    h.api.delete("pods", name, ns, grace_period_seconds=0)
    h.settle()
    assert quiet not in cache._views and quiet not in cache._kvs


def test_light_pods_of_a_quiet_cache_give_the_same_replicaset_decisions():
    """The ReplicaSet controller counts light pods (phase and conditions only) and reads whole
    the pods it ranks for deletion: with every pod cooled (hot capacity 1) a scale-up, a
    readiness flip and a scale-down end exactly as with every pod kept whole."""
    def run(capacity):
        h = Harness(nodes=3)
        h.pods.cache.capacity = capacity
        h.create(replicaset(replicas=6))
        h.settle()
        _flip_ready(h, 2, 1.0)
        rs = h.get("replicasets", "web")
        rs["spec"]["replicas"] = 3
        h.api.update("replicasets", rs, "default")
        h.settle()
        quiet = sorted(h.pods.cache)[0]
        light = h.pods.cache.light(quiet)
        assert set(light.get("status", {})) <= {"phase", "conditions"} or capacity > 1
        return (sorted(p["metadata"]["name"] for p in h.list("pods")),
                h.get("replicasets", "web")["status"])
    assert run(1) == run(10_000)


def test_node_registration_does_not_rescan_all_nodes():
    """Joining a node costs O(1) node reads: its pod CIDR comes from the allocator, ranges that
    nodes already carry are taken as they appear (nodeipam's range allocator keeps a bitmap,
    pkg/controller/nodeipam/ipam/range_allocator.go), not by listing every node per join."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=3, seed=0, events=False)
    nodes = c.informers["nodes"]
    calls = []
    original = nodes.list
    nodes.list = lambda *a, **k: calls.append(1) or original(*a, **k)
    for i in range(40):
        c.add_node(f"extra-{i}")
    c.settle()
    assert len(calls) <= 5
    cidrs = [n["spec"].get("podCIDR") for n in c.list("nodes")]
    assert len(cidrs) == 43 and None not in cidrs and len(set(cidrs)) == 43


def test_pods_waiting_for_their_kubelet_are_read_without_decoding():
    """A pod that cooled while pending (unschedulable here: no node matches its nodeSelector)
    keeps its small status in the cache, shared with every equal one, so the scheduler's reads
    and the handlers' ``old`` of its next write cost no decoding; a pod whose kubelet has
    reported container statuses is read by decoding its packed value, as before."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=2, seed=0)
    cache = c.informers["pods"].cache
    decodes = []
    original = cache._decode
    cache._decode = lambda kv: decodes.append(kv.key) or original(kv)
    cache.capacity = 1
    c.api.create("replicasets", replicaset(replicas=2), "default")
    stuck = replicaset("stuck", replicas=3)
    stuck["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "none"}
    c.api.create("replicasets", stuck, "default")
    c.settle()
    c.api.create("configmaps", {"metadata": {"name": "x"}}, "default")  # an unrelated write
    waiting = sorted(k for k in cache if k.startswith("default/stuck-"))
    running = sorted(k for k in cache if k.startswith("default/web-"))
    cooled = [k for k in waiting if k not in cache._hot]
    assert len(cooled) >= 2
    assert any(k.startswith("/registry/pods/default/web-") for k in decodes)  # cooled Running ones
    decodes.clear()
    statuses = [cache[k]["status"] for k in cooled]
    assert decodes == [] and statuses[0] is statuses[1]  # one shared status, nothing unpacked
    for k in cooled:
        ns, name = k.split("/")
        assert cache[k] == c.api.get("pods", name, ns)
        assert cache[k]["status"]["conditions"][0]["reason"] == "Unschedulable"
    quiet = [k for k in running if k not in cache._hot][0]
    ns, name = quiet.split("/")
    cache._last = (None, None)  # forget the last value unpacked
    first, second = cache[quiet], cache[quiet]
    assert first["status"]["phase"] == "Running" and first is not second
    assert first == second == c.api.get("pods", name, ns)
    assert decodes == [f"/registry/pods/{quiet}"]  # unpacked once for two reads in a row


def test_pod_ips_come_from_the_node_range_without_reading_its_pods_and_survive_a_restore():
    """host-local IPAM hands out each node's addresses; in a cluster that started empty every
    pod IP came from it, so a node's first allocation reads none of its pods (at 5,000 nodes
    that was 0.6 decoded pods per pod). A restored cluster's pods keep their addresses and new
    pods get others."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=1, seed=0)
    reads = []
    original = c.informers["pods"].on_node
    c.informers["pods"].on_node = lambda node: reads.append(node) or original(node)
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
           "spec": {"replicas": 3, "selector": {"matchLabels": {"a": "w"}},
                    "template": {"metadata": {"labels": {"a": "w"}},
                                 "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]}}}}
    c.apply(dep)
    c.settle()
    ips = sorted(p["status"]["podIP"] for p in c.list("pods"))
    assert len(set(ips)) == 3 and reads == []
    r = MiniCluster.restore(c.snapshot())
    r.settle()
    assert sorted(p["status"].get("podIP") for p in r.list("pods")) == ips
    r.scale("deployment", "w", 6)
    r.settle()
    after = [p["status"].get("podIP") for p in r.list("pods")]
    assert len(set(after)) == 6 and set(ips) <= set(after)


def test_pod_cache_shares_what_it_keeps_of_a_status():
    """What outlives a pod's hot period is shared between pods: its conditions (kept for light
    reads), its start time (kept by the scheduler for preemption) and its waiting status;
    container statuses, kept only while the pod is hot, are left as decoded."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=1, seed=0)
    c.api.create("replicasets", replicaset(replicas=2), "default")
    c.settle()
    a, b = (c.informers["pods"].cache[k] for k in sorted(c.informers["pods"].cache))
    sa, sb = a["status"], b["status"]
    assert sa["startTime"] == sb["startTime"] and sa["startTime"] is sb["startTime"]
    assert sa["conditions"] is sb["conditions"] or \
        any(x is y for x, y in zip(sa["conditions"], sb["conditions"]))
    assert sa["containerStatuses"][0]["image"] == sb["containerStatuses"][0]["image"]
    for pod in (a, b):
        assert pod == c.api.get("pods", pod["metadata"]["name"], "default")
