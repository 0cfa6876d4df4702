"""The etcd-like store: revisions, compare-and-swap, watch without gaps, compaction, snapshots.

Behaviour follows etcd's MVCC model as the Kubernetes storage layer uses it
(k8s.io/apiserver/pkg/storage/etcd3/store.go): resourceVersion = mod revision, watch from a
revision replays later events, a compacted revision answers 410 Gone ("too old resource version").
"""
import pytest

from labkit.minicluster.errors import ApiError
from labkit.minicluster.store import Store


def test_revisions_increase_globally_and_per_key_metadata():
    s = Store()
    a = s.create("/registry/pods/default/a", b"1")
    b = s.create("/registry/pods/default/b", b"2")
    a2 = s.update("/registry/pods/default/a", b"3", a.mod_revision)
    assert (a.mod_revision, b.mod_revision, a2.mod_revision) == (2, 3, 4)
    assert a2.create_revision == 2 and a2.version == 2
    assert s.revision == 4


def test_create_existing_and_stale_update_fail():
    s = Store()
    kv = s.create("/registry/pods/default/a", b"1")
    with pytest.raises(KeyError):
        s.create("/registry/pods/default/a", b"x")
    s.update("/registry/pods/default/a", b"2", kv.mod_revision)
    with pytest.raises(ValueError):  # compare-and-swap on a stale revision
        s.update("/registry/pods/default/a", b"3", kv.mod_revision)
    assert s.get("/registry/pods/default/a").value == b"2"


def test_range_at_past_revision_reconstructs_state():
    s = Store()
    s.create("/registry/pods/default/a", b"a1")
    rev = s.revision
    s.update("/registry/pods/default/a", b"a2")
    s.create("/registry/pods/default/b", b"b1")
    s.delete("/registry/pods/default/a")
    now, _ = s.range("/registry/pods/")
    past, at = s.range("/registry/pods/", rev)
    assert [kv.value for kv in now] == [b"b1"]
    assert [kv.value for kv in past] == [b"a1"] and at == rev


def test_watch_replays_from_revision_then_streams_live_without_gaps_or_duplicates():
    s = Store()
    s.create("/registry/pods/default/a", b"1")
    start = s.revision
    s.create("/registry/pods/default/b", b"2")
    seen = []
    s.watch("/registry/pods/", lambda ev: seen.append((ev.type, ev.kv.key, ev.kv.mod_revision)), start)
    s.update("/registry/pods/default/a", b"3")
    s.delete("/registry/pods/default/b")
    s.create("/registry/services/default/x", b"svc")  # other prefix: not seen
    assert seen == [("PUT", "/registry/pods/default/b", 3), ("PUT", "/registry/pods/default/a", 4),
                    ("DELETE", "/registry/pods/default/b", 5)]
    revs = [r for *_, r in seen]
    assert revs == sorted(set(revs))


def test_watch_from_compacted_revision_is_gone():
    s = Store()
    for i in range(5):
        s.create(f"/registry/pods/default/p{i}", b"x")
    s.compact(4)
    with pytest.raises(ApiError) as e:
        s.watch("/registry/pods/", lambda ev: None, 2)
    assert e.value.code == 410 and "too old resource version" in e.value.message
    got = []
    s.watch("/registry/pods/", lambda ev: got.append(ev.kv.mod_revision), 4)
    assert got == [5, 6]


def test_snapshot_restore_is_identical(tmp_path):
    s = Store()
    s.create("/registry/pods/default/a", b"1")
    s.create("/registry/namespaces/default", b"ns")
    s.update("/registry/pods/default/a", b"2")
    path = tmp_path / "snap.db"
    s.save(path)
    r = Store.restore(path)
    assert r.revision == s.revision
    assert r.snapshot() == s.snapshot()
    kv = r.get("/registry/pods/default/a")
    assert (kv.value, kv.create_revision, kv.mod_revision, kv.version) == (b"2", 2, 4, 2)


def test_values_are_packed_small_and_unpack_to_the_same_bytes():
    """storecodec: Zstandard with a preset dictionary. A defaulted, running Deployment Pod
    (~3 KB of JSON) is stored in well under 500 bytes and reads back byte for byte."""
    from labkit.minicluster import storecodec
    from labkit.minicluster.cluster import MiniCluster

    c = MiniCluster(nodes=2, seed=0, events=False)
    c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
             "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}})
    c.settle()
    kvs, _ = c.store.range("/registry/pods/")
    assert len(kvs) == 3
    for kv in kvs:
        plain = kv.value
        assert len(plain) > 2500 and len(kv.packed) < 500
        assert storecodec.unpack(kv.packed) == plain
        assert b'"phase":"Running"' in plain
    # arbitrary bytes survive too (the codec is not JSON-specific)
    for raw in (b"", b"\x00\xff" * 1000, bytes(range(256))):
        assert storecodec.unpack(storecodec.pack(raw)) == raw
    # each thread has its own (de)compressor; values packed in one unpack in another
    import threading
    out = {}
    t = threading.Thread(target=lambda: out.update(plain=storecodec.unpack(kvs[0].packed),
                                                   packed=storecodec.pack(kvs[0].value)))
    t.start()
    t.join()
    assert out["plain"] == kvs[0].value and storecodec.unpack(out["packed"]) == kvs[0].value
