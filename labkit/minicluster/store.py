"""An etcd-like MVCC key-value store: the cluster's single source of truth.

Kubernetes keeps every object in etcd under a key such as ``/registry/pods/default/web-1``.
etcd has one global, ever-increasing **revision**: every write creates a new one. An object's
``metadata.resourceVersion`` is simply the revision of its last write (its ``mod_revision``).

That one number gives the API its three superpowers:
- **optimistic concurrency**: an update says "I read revision 41"; if the key has changed since,
  the write is refused (HTTP 409 Conflict) instead of silently losing someone's change;
- **consistent lists**: a list is a snapshot "as of revision N";
- **watch**: "tell me everything that happened after revision N", with no gaps and no duplicates.

History is kept until it is **compacted** (the API server compacts every 5 minutes). A watch from
a revision older than that fails with 410 Gone, and the client must list again.

Values are stored serialized (bytes), as etcd stores protobuf: history costs little memory and a
snapshot is just these bytes written to a file. They are also compressed against a dictionary of
typical objects (:mod:`.storecodec`; etcd does not compress), so a 3 KB Pod takes ~300 bytes.

Memory bounds (documented behaviour, for clusters of 150,000 pods):
- every value is stored packed (:mod:`.storecodec`) and exactly sized (an encoder's output
  buffer can be several times larger than the bytes it holds);
- besides the API server's 5-minute compaction, the store keeps at most
  :data:`HISTORY_REVISIONS` revisions of history, as etcd does with
  ``--auto-compaction-mode=revision --auto-compaction-retention=N``. A watch or list from an
  older revision gets 410 Gone, exactly as after a compaction.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import orjson

from . import errors, storecodec

#: Revisions of history kept at most (older ones are compacted away automatically).
HISTORY_REVISIONS = 10_000


class KeyValue:
    """One key's value at one revision (etcd's ``mvccpb.KeyValue``).

    The value is kept packed (:mod:`.storecodec`); ``kv.value`` unpacks it."""

    __slots__ = ("key", "packed", "create_revision", "mod_revision", "version")

    def __init__(self, key: str, packed: bytes, create_revision: int, mod_revision: int, version: int):
        self.key, self.packed = key, packed
        self.create_revision, self.mod_revision = create_revision, mod_revision
        self.version = version  # number of writes to this key since it was created

    @property
    def value(self) -> bytes:
        return storecodec.unpack(self.packed)


@dataclass(slots=True)
class WatchEvent:
    type: str  # "PUT" or "DELETE"
    kv: KeyValue  # for DELETE: the deleted value, with mod_revision = the delete's revision
    prev: KeyValue | None


def _bucket(key: str) -> str:
    """``/registry/pods/default/x`` → ``/registry/pods/``: the resource a key belongs to."""
    parts = key.split("/", 3)
    return "/".join(parts[:3]) + "/"


class Store:
    """MVCC store with a global revision, watches and compaction."""

    def __init__(self, history_revisions: int | None = HISTORY_REVISIONS):
        self.revision = 1  # etcd starts at 1 for an empty store
        self.compacted = 0
        self.history_revisions = history_revisions
        self._buckets: dict[str, dict[str, KeyValue]] = {}
        self._log: list[WatchEvent] = []  # events after self.compacted, in revision order
        self._watchers: dict[str, list] = {}
        self._fresh: tuple | None = None  # (plain value, kv) of the write being delivered

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: str) -> KeyValue | None:
        return self._buckets.get(_bucket(key), {}).get(key)

    def range(self, prefix: str, revision: int | None = None) -> tuple[list[KeyValue], int]:
        """All key-values under ``prefix``, sorted by key, as of ``revision`` (default: now)."""
        bucket = self._buckets.get(_bucket(prefix), {})
        if revision is None or revision >= self.revision:
            kvs = [kv for k, kv in bucket.items() if k.startswith(prefix)]
            kvs.sort(key=lambda kv: kv.key)
            return kvs, self.revision
        if revision < self.compacted:
            raise self._too_old(revision)
        state = {k: kv for k, kv in bucket.items() if k.startswith(prefix)}
        for ev in reversed(self._log):  # undo the writes made after `revision`
            if ev.kv.mod_revision <= revision:
                break
            if not ev.kv.key.startswith(prefix):
                continue
            if ev.prev is None:
                state.pop(ev.kv.key, None)
            else:
                state[ev.kv.key] = ev.prev
        return sorted(state.values(), key=lambda kv: kv.key), revision

    def count(self, prefix: str) -> int:
        bucket = self._buckets.get(_bucket(prefix), {})
        if prefix.endswith("/") and prefix.count("/") == 3:
            return len(bucket)
        return sum(1 for k in bucket if k.startswith(prefix))

    # -- writes -----------------------------------------------------------------------------
    def create(self, key: str, value: bytes) -> KeyValue:
        """Write a new key; raises KeyError if it already exists (→ 409 AlreadyExists)."""
        if self.get(key) is not None:
            raise KeyError(key)
        return self._put(key, value, None)

    def update(self, key: str, value: bytes, expected_mod_revision: int | None = None) -> KeyValue:
        """Compare-and-swap: write only if the key's mod revision is still ``expected``.

        Raises KeyError when the key does not exist, ``ValueError`` on a revision mismatch
        (the API server turns these into 404 NotFound and 409 Conflict)."""
        prev = self.get(key)
        if prev is None:
            raise KeyError(key)
        if expected_mod_revision is not None and prev.mod_revision != expected_mod_revision:
            raise ValueError(f"{key}: revision {prev.mod_revision} != {expected_mod_revision}")
        return self._put(key, value, prev)

    def delete(self, key: str, expected_mod_revision: int | None = None) -> KeyValue:
        prev = self.get(key)
        if prev is None:
            raise KeyError(key)
        if expected_mod_revision is not None and prev.mod_revision != expected_mod_revision:
            raise ValueError(key)
        self.revision += 1
        del self._buckets[_bucket(key)][key]
        tomb = KeyValue(key, prev.packed, prev.create_revision, self.revision, 0)
        self._emit(WatchEvent("DELETE", tomb, prev))
        return tomb

    def _put(self, key: str, value: bytes, prev: KeyValue | None) -> KeyValue:
        self.revision += 1
        kv = KeyValue(key, storecodec.pack(value), prev.create_revision if prev else self.revision,
                      self.revision, prev.version + 1 if prev else 1)
        self._buckets.setdefault(_bucket(key), {})[key] = kv
        outer, self._fresh = self._fresh, (value, kv)  # a watcher may write in turn
        try:
            self._emit(WatchEvent("PUT", kv, prev))
        finally:
            self._fresh = outer
        return kv

    def value_of(self, kv: KeyValue) -> bytes:
        """``kv.value``; without unpacking it while the write that made ``kv`` is being
        delivered to watchers (they all read the value just written)."""
        fresh = self._fresh
        if fresh is not None and fresh[1] is kv:
            return fresh[0]
        return kv.value

    # -- watch ------------------------------------------------------------------------------
    def watch(self, prefix: str, callback, start_revision: int | None = None):
        """Call ``callback(event)`` for each change under ``prefix`` after ``start_revision``.

        Past events (revision > start_revision) are replayed first, then live ones follow, in
        revision order, each exactly once. Returns a function that cancels the watch.
        """
        if start_revision is not None and start_revision < self.compacted:
            raise self._too_old(start_revision)
        if start_revision is not None:
            for ev in self._log:
                if ev.kv.mod_revision > start_revision and ev.kv.key.startswith(prefix):
                    callback(ev)
        entry = (prefix, callback)
        lst = self._watchers.setdefault(_bucket(prefix), [])
        lst.append(entry)

        def cancel():
            if entry in lst:
                lst.remove(entry)
        return cancel

    def _emit(self, ev: WatchEvent) -> None:
        self._log.append(ev)
        limit = self.history_revisions
        if limit is not None and self.revision - self.compacted > 2 * limit:
            self.compact(self.revision - limit)  # amortized: once every `limit` writes
        for prefix, cb in list(self._watchers.get(_bucket(ev.kv.key), ())):
            if ev.kv.key.startswith(prefix):
                cb(ev)

    # -- compaction, snapshot ---------------------------------------------------------------
    def compact(self, revision: int | None = None) -> None:
        """Forget history up to ``revision`` (default: now). Older watches/lists get 410 Gone."""
        revision = self.revision if revision is None else min(revision, self.revision)
        self.compacted = max(self.compacted, revision)
        self._log = [ev for ev in self._log if ev.kv.mod_revision > self.compacted]

    def _too_old(self, revision: int) -> errors.ApiError:
        return errors.gone(f"too old resource version: {revision} ({self.compacted})")

    def snapshot(self) -> bytes:
        """The whole current state as bytes (like ``etcdctl snapshot save``; history not kept)."""
        kvs = [[kv.key, kv.create_revision, kv.mod_revision, kv.version,
                base64.b64encode(kv.value).decode()]
               for b in sorted(self._buckets) for kv in sorted(self._buckets[b].values(), key=lambda k: k.key)]
        return orjson.dumps({"revision": self.revision, "kvs": kvs})

    def save(self, path) -> None:
        with open(path, "wb") as f:
            f.write(self.snapshot())

    @classmethod
    def restore(cls, data_or_path) -> "Store":
        """A new store holding exactly the state of a snapshot (``etcdctl snapshot restore``)."""
        if isinstance(data_or_path, (bytes, bytearray)):
            data = data_or_path
        else:
            with open(data_or_path, "rb") as f:
                data = f.read()
        doc = orjson.loads(data)
        store = cls()
        store.revision = store.compacted = doc["revision"]
        for key, crev, mrev, ver, b64 in doc["kvs"]:
            store._buckets.setdefault(_bucket(key), {})[key] = KeyValue(
                key, storecodec.pack(base64.b64decode(b64)), crev, mrev, ver)
        return store

    def keys(self, prefix: str = "/") -> list[str]:
        return sorted(k for b in self._buckets.values() for k in b if k.startswith(prefix))
