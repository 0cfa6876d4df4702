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
