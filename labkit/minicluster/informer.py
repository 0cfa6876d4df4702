"""Shared informers: each controller's local, always-current copy of the objects it cares about.

In Kubernetes, controllers never poll the API server. An informer does one LIST, then a WATCH
from that list's resourceVersion, and keeps an in-memory cache (the "indexer") up to date; it
calls the controller's handlers on every add/update/delete. Many controllers share one informer
per resource (client-go's SharedInformerFactory), so 20 controllers watching pods cost one watch.

Simplification (documented in docs/fidelity.md): handlers run synchronously, in store revision
order, inside the write that caused them. Upstream informers are asynchronous, so real caches lag
a little behind etcd; here reads from the cache are always fresh. Controllers still do their
work later, through their work queues on the event loop, as upstream does.
"""
from __future__ import annotations

import orjson

from .objects import key_of, without_status

#: Kinds whose cached objects share equal subtrees (see :class:`SubtreeSharer`).
SHARED_KINDS = frozenset({"Pod", "Node"})
#: Kinds cached as the store's packed values, decoded on read (see :class:`PackedCache`).
PACKED_KINDS = frozenset({"Pod"})
#: Decoded objects a :class:`PackedCache` keeps at hand: the most recently written ones.
HOT_OBJECTS = 4096
#: Longest string shared through the table (an image digest reference is ~95 characters)
SHARED_STRING_MAX = 128


class SharedInformer:
    """A watch-fed cache of one resource, with handlers and simple indexes."""

    def __init__(self, api, resource, user=None):
        self.api = api
        self.rt = api.resource(resource)
        packed = self.rt.kind in PACKED_KINDS and not self.rt.storage
        self._sharer = SubtreeSharer() if self.rt.kind in SHARED_KINDS else None
        self.cache = PackedCache(api._decode, self._sharer) if packed else {}
        self._handlers: list = []
        self._by_owner: dict[str, set] = {}
        self._by_node: dict[str, set] = {} if self.rt.kind == "Pod" else None
        self._by_ns: dict[str, set] = {}
        kwargs = {"user": user} if user is not None else {}
        self._cancel = api.watch(self.rt, self._on_event, with_kv=packed, **kwargs)

    # -- handlers ---------------------------------------------------------------------------
    def add_handler(self, on_add=None, on_update=None, on_delete=None, replay=True) -> None:
        """Register callbacks; ``replay`` delivers the current objects as adds first."""
        self._handlers.append((on_add, on_update, on_delete))
        if replay and on_add:
            for obj in list(self.cache.values()):
                on_add(obj)

    def _on_event(self, etype: str, obj: dict, kv=None) -> None:
        key = key_of(obj)
        old = self.cache.get(key)
        if etype == "DELETED":
            if old is None:
                return
            del self.cache[key]
            self._unindex(key, old)
            for _, _, on_delete in list(self._handlers):
                if on_delete:
                    on_delete(obj)
            return
        if self._sharer is not None:
            self._sharer.share_like(obj, old, packed=kv is not None)
        if kv is None:
            self.cache[key] = obj
        else:
            self.cache.put(key, obj, kv)
        if old is None:
            self._index(key, obj)
        elif self._index_fields(old) != self._index_fields(obj):
            self._unindex(key, old)
            self._index(key, obj)
        for on_add, on_update, _ in list(self._handlers):
            if old is None:
                if on_add:
                    on_add(obj)
            elif on_update:
                on_update(old, obj)

    # -- indexes ----------------------------------------------------------------------------
    def _index_fields(self, obj):
        meta = obj["metadata"]
        node = obj.get("spec", {}).get("nodeName") if self._by_node is not None else None
        return meta.get("ownerReferences"), meta.get("namespace"), node

    def _index(self, key, obj):
        meta = obj["metadata"]
        for ref in meta.get("ownerReferences") or ():
            self._by_owner.setdefault(ref["uid"], set()).add(key)
        ns = meta.get("namespace")
        if ns:
            self._by_ns.setdefault(ns, set()).add(key)
        if self._by_node is not None:
            node = obj.get("spec", {}).get("nodeName")
            if node:
                self._by_node.setdefault(node, set()).add(key)

    def _unindex(self, key, obj):
        meta = obj["metadata"]
        for ref in meta.get("ownerReferences") or ():
            s = self._by_owner.get(ref["uid"])
            if s:
                s.discard(key)
                if not s:
                    del self._by_owner[ref["uid"]]
        ns = meta.get("namespace")
        if ns and ns in self._by_ns:
            self._by_ns[ns].discard(key)
        if self._by_node is not None:
            node = obj.get("spec", {}).get("nodeName")
            if node and node in self._by_node:
                self._by_node[node].discard(key)

    # -- reads ------------------------------------------------------------------------------
    def get(self, key_or_name: str, namespace: str | None = None) -> dict | None:
        key = f"{namespace}/{key_or_name}" if namespace else key_or_name
        return self.cache.get(key)

    def list(self, namespace: str | None = None, selector=None) -> list[dict]:
        """Objects (sorted by key, for determinism), optionally in one namespace and matching a
        :class:`~.selectors.Selector`."""
        keys = sorted(self._by_ns.get(namespace, ())) if namespace else sorted(self.cache)
        out = [self.cache[k] for k in keys]
        if selector is not None:
            out = [o for o in out if selector.matches(o["metadata"].get("labels"))]
        return out

    def owned_by(self, uid: str, light: bool = False) -> list[dict]:
        """The objects whose ownerReferences name ``uid``, sorted by key. ``light=True``: pods
        as :meth:`PackedCache.light` gives them (status: phase and conditions only)."""
        keys = sorted(self._by_owner.get(uid, ()))
        if light and type(self.cache) is PackedCache:
            return [self.cache.light(k) for k in keys]
        return [self.cache[k] for k in keys]

    def node_names(self) -> list[str]:
        """The nodes that cached pods are bound to (Pods only)."""
        return [n for n, keys in (self._by_node or {}).items() if keys]

    def keys_on_node(self, node_name: str) -> list[str]:
        return sorted((self._by_node or {}).get(node_name, ()))

    def on_node(self, node_name: str) -> list[dict]:
        return [self.cache[k] for k in self.keys_on_node(node_name)]

    def __len__(self) -> int:
        return len(self.cache)

    def stop(self) -> None:
        self._cancel()


class PackedCache:
    """A pod cache for 150,000 pods: a quiet pod's ``status`` is not kept decoded.

    The :data:`HOT_OBJECTS` most recently written pods are kept whole. For the others it
    keeps the pod without its status (:func:`~.objects.without_status`: the very view the
    kubelet and the scheduler keep, so it costs nothing more), a reference to the store's
    packed value of that version (the same bytes: no memory), and:

    - for a pod still waiting for its kubelet (pending, or bound with no container status
      yet; not being deleted), its status as it is: the scheduler, the kubelet and the
      controllers are about to read and write it. Such a status is a few bytes, equal in
      thousands of pods, so it is kept as one shared object (:meth:`SubtreeSharer.intern`).
      In a large rollout the scheduler works through a backlog of thousands of pending pods:
      without this, most pods would have cooled before they are scheduled, and the scheduler's
      read and the binding's event would each decode the pod again;
    - for any other pod, only the status's phase and conditions (shared lists) for
      :meth:`light` reads; reading it whole decodes the packed value again (~15 µs; the
      last one decoded is remembered, as the kubelet reads a pod just before it writes and
      the write's handlers get the same version as ``old``).

    Handlers still get the whole object of every event. client-go caches whole decoded
    objects. Here a Running pod's status (conditions, container statuses, IPs) is ~1.5 KB of
    dicts that nobody reads while the pod is quiet, and most of 150,000 pods are quiet. A
    mapping with ``dict``'s reading methods; writes go through :meth:`put`.
    """

    def __init__(self, decode, sharer=None, capacity: int = HOT_OBJECTS):
        self._decode = decode    # the store's KeyValue -> a fresh object (APIServer._decode)
        self._sharer = sharer    # a SubtreeSharer: equal pending statuses are kept as one
        self.capacity = capacity
        self.decodes = 0         # whole reads that unpacked a value (a figure for benchmarks)
        self._last = (None, None)  # (KeyValue, its status): the last one unpacked
        self._views: dict = {}   # key -> the object without its status
        self._kvs: dict = {}     # key -> the store's KeyValue of that version
        self._brief: dict = {}   # key -> a waiting pod's status, or (phase, conditions)
        self._hot: dict = {}     # key -> whole object; insertion order = write order

    def put(self, key: str, obj: dict, kv) -> None:
        self._views[key] = without_status(obj)
        self._kvs[key] = kv
        self._brief.pop(key, None)
        hot = self._hot
        hot.pop(key, None)
        hot[key] = obj
        if len(hot) > self.capacity:
            self._cool(next(iter(hot)))

    def _cool(self, key: str) -> None:
        obj = self._hot.pop(key)
        status = obj.get("status")
        if type(status) is dict and _waiting(obj, status):
            self._brief[key] = self._sharer.intern(status) if self._sharer else status
        else:
            status = status or {}
            self._brief[key] = (status.get("phase"), status.get("conditions"))

    def light(self, key: str) -> dict:
        """The object, or for a quiet pod its metadata and spec with only the ``phase`` and
        ``conditions`` of its status, without unpacking anything: what a controller counting
        active, ready and available pods reads (the ReplicaSet controller, many times over)."""
        obj = self._hot.get(key)
        if obj is not None:
            return obj
        obj = dict(self._views[key])
        brief = self._brief.get(key)
        if type(brief) is dict:
            obj["status"] = brief
        elif brief is not None:
            phase, conditions = brief
            status = obj["status"] = {}
            if phase is not None:
                status["phase"] = phase
            if conditions is not None:
                status["conditions"] = conditions
        return obj

    def _whole(self, key: str) -> dict:
        obj = dict(self._views[key])
        brief = self._brief.get(key)
        kv = self._kvs[key]
        if type(brief) is dict:
            status = brief
        elif self._last[0] is kv:  # read twice in a row: the kubelet, then its write's handlers
            status = self._last[1]
        else:
            self.decodes += 1
            status = self._decode(kv).get("status")
            self._last = (kv, status)
        if status is not None:
            obj["status"] = status
        return obj

    def get(self, key: str, default=None):
        obj = self._hot.get(key)
        if obj is not None:
            return obj
        return self._whole(key) if key in self._views else default

    def __getitem__(self, key: str) -> dict:
        obj = self._hot.get(key)
        return obj if obj is not None else self._whole(key)

    def __delitem__(self, key: str) -> None:
        del self._views[key]
        del self._kvs[key]
        self._brief.pop(key, None)
        self._hot.pop(key, None)

    def __contains__(self, key) -> bool:
        return key in self._views

    def __len__(self) -> int:
        return len(self._views)

    def __iter__(self):
        return iter(self._views)

    def keys(self):
        return self._views.keys()

    def values(self):
        """Every object, made whole one at a time (a generator: 150,000 whole pods at once
        would be the very memory this cache saves)."""
        return (self[k] for k in list(self._views))

    def items(self):
        return ((k, self[k]) for k in list(self._views))


def _waiting(pod: dict, status: dict) -> bool:
    """Is this pod pending with no container status yet (unscheduled, or bound and not yet
    started by its kubelet), and not being deleted?"""
    return status.get("phase") == "Pending" and "containerStatuses" not in status \
        and not pod["metadata"].get("deletionTimestamp")


class SubtreeSharer:
    """Make cached objects share their equal parts (hash-consing), to fit 150,000 pods in memory.

    A thousand pods of one ReplicaSet differ in a few fields (name, uid, node, IPs); their
    tolerations, volume sources, container resources, conditions... are equal. Cached objects
    are read-only (docs/internals.md), so equal subtrees can be one object: a new version reuses
    the unchanged parts of the version it replaces, and other subtrees are looked up by their
    JSON encoding in a table (cleared when it reaches ``limit`` entries, which bounds its
    memory; the objects already shared stay shared). Short strings are shared the same way.
    The objects handed to handlers are the shared ones: same content, fewer copies.
    """

    def __init__(self, limit: int = 50_000):
        self.limit = limit
        self.table: dict = {}

    def share_like(self, new: dict, old: dict | None, packed: bool = False) -> None:
        """Share ``new``'s subtrees in place: with ``old`` where equal, else via the table.

        ``packed``: ``new`` goes to a :class:`PackedCache`, which keeps of a quiet pod's status
        only its phase and conditions (and a waiting pod's small status, interned when it
        cools). Of the status only those and its short strings are shared then (a start time
        the scheduler keeps); the rest (container statuses, IP lists) lives only as long as the
        pod stays among the hot ones, and sharing it would cost more time than it saves."""
        if len(self.table) > self.limit:
            self.table.clear()
        old = old if type(old) is dict else None
        if not packed or type(new.get("status")) is not dict:
            self._fill(new, new.items(), old)
            return
        self._fill(new, [(k, v) for k, v in new.items() if k != "status"], old)
        self._fill_status(new["status"], (old or {}).get("status"))

    def _fill_status(self, status: dict, old) -> None:
        table = self.table
        old = old if type(old) is dict else None
        for k, v in status.items():
            if type(v) is str:
                if len(v) <= SHARED_STRING_MAX:
                    status[k] = table.setdefault(v, v)
            elif k == "conditions" and type(v) is list:
                self._fill(status, ((k, v),), old)

    def _fill(self, parent, items, old) -> None:
        share, table = self._share, self.table
        for k, v in items:
            t = type(v)
            if t is dict or t is list:
                prev = old.get(k) if old is not None else None
                if prev is not None and type(prev) is t:
                    if prev == v:
                        parent[k] = prev
                        continue
                    if t is dict:
                        self._fill(v, v.items(), prev)
                        continue
                    parent[k] = self._share_list(v, prev)
                    continue
                parent[k] = share(v)
            elif t is str and len(v) <= SHARED_STRING_MAX:
                if old is not None:
                    prev = old.get(k)
                    if prev == v:  # unchanged since the last version (a name, a uid)
                        parent[k] = prev
                        continue
                parent[k] = table.setdefault(v, v)

    def intern(self, x, fill: bool = False):
        """``x``, or an equal object already in the table. ``fill``: share ``x``'s parts before
        it goes in the table (otherwise they are taken as shared already)."""
        key = orjson.dumps(x)
        hit = self.table.get(key)
        if hit is not None and type(hit) is type(x):
            return hit
        if fill:
            self._fill(x, x.items() if type(x) is dict else enumerate(x), None)
        self.table[bytes(memoryview(key))] = x  # exactly sized (orjson over-allocates)
        return x

    def _share_list(self, items: list, prev: list) -> list:
        """A changed list: an equal one from the table, else this one keeping the previous
        version's equal items (pod conditions: one or two of five change at a time)."""
        key = orjson.dumps(items)
        hit = self.table.get(key)
        if type(hit) is list:
            return hit
        changed = []
        for i, item in enumerate(items):
            if i < len(prev) and item == prev[i]:
                items[i] = prev[i]  # already shared
            else:
                changed.append((i, item))
        self._fill(items, changed, None)
        self.table[bytes(memoryview(key))] = items
        return items

    def _share(self, x):
        if not x:  # every pod has a few empty ones (securityContext, lastState): one of each
            return self.table.setdefault(type(x), x)
        if len(x) > 8 and type(x) is dict:  # big dicts (a spec, a status) are rarely shared whole
            self._fill(x, x.items(), None)
            return x
        return self.intern(x, fill=True)


class InformerFactory:
    """One shared informer per resource (client-go's SharedInformerFactory)."""

    def __init__(self, api):
        self.api = api
        self._informers: dict = {}

    def get(self, resource) -> SharedInformer:
        rt = self.api.resource(resource)
        inf = self._informers.get(rt)
        if inf is None:
            inf = self._informers[rt] = SharedInformer(self.api, rt)
        return inf

    __getitem__ = get
