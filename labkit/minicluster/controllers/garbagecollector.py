"""The garbage collector: deletes objects whose owners are gone (pkg/controller/garbagecollector).

Objects point at their owners with ``metadata.ownerReferences`` (a ReplicaSet's pods point at the
ReplicaSet, the ReplicaSet at its Deployment). The garbage collector watches *every* resource
type, keeps the graph "owner UID → dependents", and acts in three situations:

- **Background deletion** (the default of ``kubectl delete``): the owner disappears at once;
  its dependents now have a *dangling* reference (the owner is absent, or a new object with the
  same name has another UID), so the collector deletes them, which cascades down the graph.
- **Foreground deletion** (``--cascade=foreground``): the API server keeps the owner, with a
  ``deletionTimestamp`` and the ``foregroundDeletion`` finalizer. The collector deletes the
  dependents; the owner goes only when no dependent with ``blockOwnerDeletion: true`` is left,
  at which point the collector removes the finalizer and the API server finishes the delete.
- **Orphaning** (``--cascade=orphan``): the owner carries the ``orphan`` finalizer. The collector
  removes the ownerReferences to it from every dependent (they live on, ownerless), then
  removes the finalizer.

For a dependent whose owners are not all gone, ``attemptToDelete`` sorts the owners into
*solid* (present), *dangling* (absent) and *waiting for dependents deletion* (present, being
deleted in the foreground). With any solid owner the dependent stays and only the references to
the others are removed; otherwise it is deleted - in the foreground itself if a
foreground-deleting owner waits for it and it has dependents of its own, so the cascade keeps
its order. Deletes carry a UID precondition, so a re-created object of the same name is safe.

Simplifications: the graph lives in the shared informers' owner index instead of a separate
uidToNode map (they are always fresh here, so no "virtual node" verification GET is needed);
an ownerReference to an unknown kind is ignored (upstream retries its REST mapping forever,
with the same visible effect: the dependent stays); Events and Bindings are not watched, as
upstream ignores them.
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone, key_of
from ..resources import REGISTRY
from .base import Controller

ORPHAN = "orphan"  # metav1.FinalizerOrphanDependents
FOREGROUND = "foregroundDeletion"  # metav1.FinalizerDeleteDependents
IGNORED_KINDS = {"Event", "Binding", "SelfSubjectAccessReview", "SubjectAccessReview"}


def watched_types():
    """One resource type per storage (group/resource), skipping what the collector ignores."""
    seen, out = set(), []
    for rt in REGISTRY.all():
        if rt.kind in IGNORED_KINDS or "watch" not in rt.verbs or rt.group_resource in seen:
            continue
        seen.add(rt.group_resource)
        out.append(rt)
    return out


def _deleting(obj) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def _has_finalizer(obj, name) -> bool:
    return name in (obj["metadata"].get("finalizers") or ())


def _identity(ref, namespace) -> str:
    """objectReference.String() in the collector's graph: ``[apps/v1/ReplicaSet, namespace: ...]``."""
    return (f"[{ref.get('apiVersion')}/{ref.get('kind')}, namespace: {namespace or ''}, "
            f"name: {ref.get('name')}, uid: {ref.get('uid')}]")


class GarbageCollector(Controller):
    name = "generic-garbage-collector"

    def setup(self):
        self.uids: dict[str, tuple] = {}  # uid -> (informer, cache key)
        self.informers_by_type = {}
        for rt in watched_types():
            inf = self.informers[rt]
            self.informers_by_type[rt] = inf
            inf.add_handler(lambda o, inf=inf: self._on_change(inf, None, o),
                            lambda old, new, inf=inf: self._on_change(inf, old, new),
                            self._on_delete)

    # -- graph bookkeeping ------------------------------------------------------------------
    def _on_change(self, inf, old, obj):
        meta = obj["metadata"]
        self.uids[meta["uid"]] = (inf, key_of(obj))
        if _deleting(obj) and (_has_finalizer(obj, ORPHAN) or _has_finalizer(obj, FOREGROUND)):
            self.queue.add(meta["uid"])
        refs = meta.get("ownerReferences") or ()
        if any(self._needs_attention(obj, ref) for ref in refs):
            self.queue.add(meta["uid"])
        if old is not None:
            self._released_owners(old, obj)

    def _needs_attention(self, dependent, ref) -> bool:
        owner = self._by_uid(ref.get("uid"))
        if owner is None or (_deleting(owner) and _has_finalizer(owner, FOREGROUND)):
            return True
        owner_ns = owner["metadata"].get("namespace")
        return bool(owner_ns) and owner_ns != dependent["metadata"].get("namespace")

    def _released_owners(self, old, new):
        """A dependent that stopped blocking an owner (reference removed or unblocked) may let a
        foreground-deleting owner finish."""
        still = {r["uid"] for r in new["metadata"].get("ownerReferences") or ()
                 if r.get("blockOwnerDeletion")}
        for ref in old["metadata"].get("ownerReferences") or ():
            if ref.get("blockOwnerDeletion") and ref["uid"] not in still:
                self._enqueue_if_waiting(ref["uid"])

    def _on_delete(self, obj):
        meta = obj["metadata"]
        self.uids.pop(meta["uid"], None)
        for dep in self._dependents(meta["uid"]):
            self.queue.add(dep["metadata"]["uid"])
        for ref in meta.get("ownerReferences") or ():
            self._enqueue_if_waiting(ref.get("uid"))

    def _enqueue_if_waiting(self, uid):
        owner = self._by_uid(uid)
        if owner is not None and _deleting(owner) and _has_finalizer(owner, FOREGROUND):
            self.queue.add(uid)

    def _by_uid(self, uid):
        entry = self.uids.get(uid)
        if entry is None:
            return None
        obj = entry[0].get(entry[1])
        return obj if obj is not None and obj["metadata"]["uid"] == uid else None

    def _dependents(self, uid) -> list[dict]:
        out = []
        for inf in self.informers_by_type.values():
            out.extend(inf.owned_by(uid))
        return out

    # -- the work ---------------------------------------------------------------------------
    def reconcile(self, uid):
        obj = self._by_uid(uid)
        if obj is None:
            return
        if _deleting(obj):
            if _has_finalizer(obj, ORPHAN):
                self._orphan_dependents(obj)
            elif _has_finalizer(obj, FOREGROUND):
                self._process_deleting_dependents(obj)
            return
        if obj["metadata"].get("ownerReferences"):
            self._attempt_to_delete(obj)

    def _owner(self, dependent, ref):
        """The live owner a reference points at, or None when it is dangling."""
        owner = self._by_uid(ref.get("uid"))
        if owner is None:
            return None
        ns = dependent["metadata"].get("namespace")
        owner_ns = owner["metadata"].get("namespace")
        if owner_ns and owner_ns != ns:
            self.event(dependent, "Warning", "OwnerRefInvalidNamespace",
                       f"ownerRef {_identity(ref, ns)} does not exist in namespace \"{ns or ''}\"")
            return None
        if owner.get("kind") != ref.get("kind"):
            return None
        return owner

    def _attempt_to_delete(self, obj):
        solid, dangling, waiting = [], [], []
        for ref in obj["metadata"]["ownerReferences"]:
            if not self._known_kind(ref):
                return  # no REST mapping for the owner's kind: leave the dependent alone
            owner = self._owner(obj, ref)
            if owner is None:
                dangling.append(ref)
            elif _deleting(owner) and _has_finalizer(owner, FOREGROUND):
                waiting.append(ref)
            else:
                solid.append(ref)
        if not dangling and not waiting:
            return
        if solid:
            self._remove_owner_refs(obj, {r["uid"] for r in dangling + waiting})
            return
        if waiting and self._dependents(obj["metadata"]["uid"]):
            self._unblock_if_circular(obj, waiting)
            self._delete(obj, "Foreground")
            return
        if _has_finalizer(obj, ORPHAN):
            self._delete(obj, "Orphan")
        elif _has_finalizer(obj, FOREGROUND):
            self._delete(obj, "Foreground")
        else:
            self._delete(obj, "Background")

    @staticmethod
    def _known_kind(ref) -> bool:
        try:
            REGISTRY.for_kind(str(ref.get("apiVersion", "")), str(ref.get("kind", "")))
            return True
        except ApiError:
            return False

    def _unblock_if_circular(self, obj, waiting):
        """If one of our own dependents also waits for *its* dependents, a blocking reference
        could deadlock the cascade: stop blocking the waiting owners (upstream does the same)."""
        if any(_deleting(d) and _has_finalizer(d, FOREGROUND)
               for d in self._dependents(obj["metadata"]["uid"])):
            uids = {r["uid"] for r in waiting}
            new = clone(obj)
            for ref in new["metadata"]["ownerReferences"]:
                if ref["uid"] in uids:
                    ref["blockOwnerDeletion"] = False
            self._write(new)

    @staticmethod
    def _rt(obj):
        """The resource of an object, by its own apiVersion and kind (HPA v1 and v2 differ)."""
        return REGISTRY.for_kind(obj["apiVersion"], obj["kind"])

    def _delete(self, obj, policy):
        meta = obj["metadata"]
        try:
            self.api.delete(self._rt(obj), meta["name"], meta.get("namespace"),
                            propagation_policy=policy, preconditions={"uid": meta["uid"]},
                            user=self.user)
        except ApiError as e:
            if e.code not in (404, 409):
                raise

    def _write(self, obj):
        self.api.update(self._rt(obj), obj, obj["metadata"].get("namespace"), user=self.user)

    def _remove_owner_refs(self, obj, uids):
        new = clone(obj)
        refs = [r for r in new["metadata"]["ownerReferences"] if r["uid"] not in uids]
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            del new["metadata"]["ownerReferences"]
        self._write(new)

    def _remove_finalizer(self, obj, name):
        meta = obj["metadata"]
        fresh = clone(self.api.get(self._rt(obj), meta["name"], meta.get("namespace"), user=self.user))
        fins = [f for f in fresh["metadata"].get("finalizers") or () if f != name]
        if fins:
            fresh["metadata"]["finalizers"] = fins
        else:
            fresh["metadata"].pop("finalizers", None)
        self._write(fresh)

    def _process_deleting_dependents(self, owner):
        """Foreground: delete blocking dependents; finish the owner when none is left."""
        uid = owner["metadata"]["uid"]
        blocking = [d for d in self._dependents(uid)
                    if any(r["uid"] == uid and r.get("blockOwnerDeletion")
                           for r in d["metadata"].get("ownerReferences") or ())]
        if not blocking:
            self._remove_finalizer(owner, FOREGROUND)
            return
        for dep in blocking:
            if not (_deleting(dep) and _has_finalizer(dep, FOREGROUND)):
                self.queue.add(dep["metadata"]["uid"])

    def _orphan_dependents(self, owner):
        """Orphan: cut every dependent loose, then drop the ``orphan`` finalizer."""
        uid = owner["metadata"]["uid"]
        for dep in self._dependents(uid):
            try:
                self._remove_owner_refs(dep, {uid})
            except ApiError as e:
                if e.code != 404:
                    raise
        self._remove_finalizer(owner, ORPHAN)
