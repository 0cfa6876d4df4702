"""Events: the cluster's diary, written by every component.

When the scheduler places a pod, a kubelet pulls an image or a controller creates a ReplicaSet,
it records an ``Event`` object: ``type`` (Normal/Warning), ``reason`` (a CamelCase word such as
``Scheduled`` or ``BackOff``), a human message, the object it is about and who reported it.
``kubectl describe`` shows the events of an object; ``kubectl get events`` shows them all.
Events expire one hour after their last write (kube-apiserver ``--event-ttl=1h``: the event
storage attaches an etcd lease of that TTL at every create *and* update, so an event that keeps
repeating lives on). :class:`EventTTL` plays the lease: it watches the event keys of the store,
whoever writes them (a recorder, ``kubectl create``, a PATCH of ``count``).

Two recorders exist upstream, and both are here:

* :meth:`EventRecorder.record` - the **legacy** recorder (client-go ``tools/record``), still
  used by the kubelet and by kube-controller-manager's controllers. It writes core/v1 Events
  with ``source.component``, ``firstTimestamp``/``lastTimestamp`` and ``count``. A repeated
  identical event is not stored again: the recorder bumps ``count`` and ``lastTimestamp`` of
  the existing one (client-go's EventCorrelator), hence describe's ``(x4 over 2m)``.
* :meth:`EventRecorder.eventf` - the **new** recorder (client-go ``tools/events``, the
  events.k8s.io/v1 API), used by kube-scheduler. Its Events carry ``eventTime`` (microsecond
  precision), ``reportingController``/``reportingInstance`` and an ``action``; read through
  core/v1 they have an empty ``source`` and no timestamps or count. Repeats of an *isomorphic*
  event (same type, reason, action, reporter, regarding and related objects - the message does
  not count) become a ``series``: the second one PATCHes ``series: {count: 2,
  lastObservedTime}``, later ones only bump the recorder's cached count, which is written every
  30 minutes and when the series ends (no repeat for 6 minutes).

Each component writes its events with its own credentials, and RBAC's bootstrap policy lets it
(``eventsRule``: create, patch, update on core and events.k8s.io events): the scheduler as
``system:kube-scheduler``, a kubelet as ``system:node:<node>``, and kube-controller-manager's
event broadcaster - shared by all its controllers, even though each controller otherwise acts as
its own service account - as ``system:kube-controller-manager``. The recorders never read an
Event back (the components may not ``get`` events): counts live in the recorder.

Simplification: upstream recorders send from a goroutine, with retries; here the write happens
at once, and an event the API server refuses is dropped. The mini cluster has no control-plane
machine: the scheduler's ``reportingInstance`` uses the host name ``control-plane``.
"""
from __future__ import annotations

import weakref
from collections import deque

from . import errors
from .apiserver import UserInfo
from .clock import parse_rfc3339, rfc3339
from .kubelet.node import micro_time
from .resources import REGISTRY
from .upstream import SCHEDULER_NAME as SCHEDULER_COMPONENT

EVENT_TTL_SECONDS = 3600  # kube-apiserver --event-ttl default (cmd/kube-apiserver/app/options)
EVENT_KEY_PREFIX = "/registry/events/"  # both APIs' events live here (store key layout)
# client-go tools/events/event_broadcaster.go
SERIES_FINISH_SECONDS = 6 * 60  # finishTime: a series with no repeat for 6 minutes is over
SERIES_REFRESH_SECONDS = 30 * 60  # refreshTime: ongoing series are written every 30 minutes
CONTROL_PLANE_HOST = "control-plane"  # the host name in the scheduler's reportingInstance

AUTHENTICATED = "system:authenticated"
EVENTS_V1 = REGISTRY.for_kind("events.k8s.io/v1", "Event")


def identity(component: str, host: str | None = None) -> UserInfo:
    """Who writes the events of ``component``."""
    if component == "kubelet" and host:
        return UserInfo(f"system:node:{host}", ("system:nodes", AUTHENTICATED))
    if component == SCHEDULER_COMPONENT:
        return UserInfo("system:kube-scheduler", (AUTHENTICATED,))
    return UserInfo("system:kube-controller-manager", (AUTHENTICATED,))


def reference(obj: dict, field_path: str | None = None) -> dict:
    """An ``ObjectReference`` to ``obj`` (client-go tools/reference GetReference)."""
    meta = obj.get("metadata", {})
    ref = {"kind": obj.get("kind"), "namespace": meta.get("namespace"), "name": meta.get("name"),
           "uid": meta.get("uid"), "apiVersion": obj.get("apiVersion"),
           "resourceVersion": meta.get("resourceVersion")}
    if not ref["namespace"]:
        ref.pop("namespace")
    if field_path:
        ref["fieldPath"] = field_path
    return ref


# -- reading events of either recorder (what kubectl's printers do) ------------------------------
def first_seen(e: dict) -> str | None:
    """``eventTime`` of a new-API event, else the legacy ``firstTimestamp``."""
    return e.get("eventTime") or e.get("firstTimestamp")


def last_seen(e: dict) -> str | None:
    """The series' last observation, else ``lastTimestamp``, else ``eventTime`` (SortableEvents)."""
    return (e.get("series") or {}).get("lastObservedTime") or e.get("lastTimestamp") or \
        e.get("eventTime") or e.get("firstTimestamp")


def occurrences(e: dict) -> int:
    """``series.count``, else ``count``; a singleton new-API event has neither: 1 (printEvent)."""
    return (e.get("series") or {}).get("count") or e.get("count") or 1


def reporter(e: dict) -> str:
    """``source.component``, else ``reportingComponent`` (kubectl describe's From column)."""
    return (e.get("source") or {}).get("component") or e.get("reportingComponent") or \
        e.get("reportingController") or ""


class EventRecorder:
    """Creates and aggregates Events on behalf of components, with either recorder."""

    def __init__(self, api, loop, enabled: bool = True):
        self.api, self.loop, self.enabled = api, loop, enabled
        self._seen: dict = {}  # legacy correlation key -> [namespace, event name, count]
        self._series: dict = {}  # new API: isomorphic key -> cached event (see eventf)
        self._seq = 0
        self._keys: dict = {}  # (namespace, name) -> the cache key of an event it wrote
        self._series_timer = None
        self._start = loop.clock.now()
        self.ttl = EventTTL.of(api, loop)
        self.ttl.on_delete.append(self._forget)

    # -- the legacy recorder (tools/record) ------------------------------------------------------
    def record(self, obj: dict, etype: str, reason: str, message: str, component: str,
               host: str | None = None, field_path: str | None = None) -> None:
        if not self.enabled:
            return
        involved = reference(obj, field_path)
        ns = involved.get("namespace") or "default"
        corr = (component, host, involved["kind"], ns, involved["name"], involved["uid"],
                field_path, etype, reason, message)
        now = rfc3339(self.loop.clock.now())
        user = identity(component, host)
        if corr in self._seen:
            seen = self._seen[corr]
            try:
                self.api.patch("events", seen[1], {"count": seen[2] + 1, "lastTimestamp": now},
                               "merge", seen[0], user=user)
                seen[2] += 1
                return
            except errors.ApiError:
                del self._seen[corr]
        name = self._name(involved)
        source = {"component": component}
        if host:
            source["host"] = host
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": name, "namespace": ns},
                 "involvedObject": involved, "reason": reason, "message": message,
                 "source": source, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
                 "type": etype, "eventTime": None, "reportingComponent": component,
                 "reportingInstance": host or ""}
        if self._create("events", event, user, corr):
            self._seen[corr] = [ns, name, 1]

    def _name(self, ref: dict) -> str:
        """``<object name>.<nanoseconds, hex>`` (one more per event: names never collide)."""
        self._seq += 1
        return f"{ref.get('name')}.{int(self.loop.clock.now() * 1e9) + self._seq:x}"

    def _create(self, resource, event: dict, user, key) -> bool:
        ns, name = event["metadata"]["namespace"], event["metadata"]["name"]
        try:
            self.api.create(resource, event, ns, user=user)
        except errors.ApiError:
            return False  # e.g. the namespace is being deleted: upstream drops the event too
        if key is not None:
            self._keys[(ns, name)] = key
        return True

    def _forget(self, ns: str, name: str) -> None:
        """An event is gone (expired or deleted): the next identical one starts afresh."""
        key = self._keys.pop((ns, name), None)
        if key is not None:
            self._seen.pop(key, None)

    # -- the new recorder (tools/events, events.k8s.io/v1) ---------------------------------------
    def eventf(self, regarding: dict, related: dict | None, etype: str, reason: str, action: str,
               note: str, controller: str, instance: str) -> None:
        """``EventRecorder.Eventf(regarding, related, type, reason, action, note)``."""
        if not self.enabled:
            return
        ref = reference(regarding)
        rel = reference(related) if related is not None else None
        key = (etype, action, reason, controller, instance, _frozen(ref), _frozen(rel))
        now = self.loop.clock.now()
        cached = self._series.get(key)
        if cached is not None:  # an isomorphic event: part of a series
            first_repeat = "series" not in cached
            count = 2 if first_repeat else cached["series"]["count"] + 1
            cached["series"] = {"count": count, "lastObservedTime": micro_time(now)}
            if first_repeat:
                self._write_series(cached, controller)
            return
        event = {"apiVersion": "events.k8s.io/v1", "kind": "Event",
                 "metadata": {"name": self._name(ref), "namespace": ref.get("namespace") or "default"},
                 "eventTime": micro_time(now), "reportingController": controller,
                 "reportingInstance": instance, "action": action, "reason": reason,
                 "regarding": ref, "note": note, "type": etype}
        if rel is not None:
            event["related"] = rel
        self._series[key] = event
        self._create(EVENTS_V1, event, identity(controller), key)
        self._arm_series_timer()

    def _write_series(self, event: dict, controller: str) -> None:
        """PATCH the series; create the whole event again if it is gone (recordEvent)."""
        meta, user = event["metadata"], identity(controller)
        try:
            self.api.patch(EVENTS_V1, meta["name"], {"series": event["series"]}, "strategic",
                           meta["namespace"], user=user)
        except errors.ApiError as e:
            if e.code == 404:
                self._create(EVENTS_V1, event, user, None)

    def _arm_series_timer(self) -> None:
        """``wait.Until(finishSeries, 6m)`` and ``wait.Until(refreshExistingEventSeries, 30m)``
        tick from the recorder's start; the timer only runs while events are cached."""
        if self._series_timer is None and self._series:
            ticks = int((self.loop.clock.now() - self._start) // SERIES_FINISH_SECONDS) + 1
            self._series_timer = self.loop.call_at(
                self._start + ticks * SERIES_FINISH_SECONDS, self._series_tick, background=True)

    def _series_tick(self) -> None:
        self._series_timer = None
        now = self.loop.clock.now()
        refresh = round((now - self._start) / SERIES_FINISH_SECONDS) % \
            (SERIES_REFRESH_SECONDS // SERIES_FINISH_SECONDS) == 0
        for key, event in list(self._series.items()):
            controller = key[3]
            if "series" in event:
                last = parse_rfc3339(event["series"]["lastObservedTime"])
                over = last < now - SERIES_FINISH_SECONDS
                if refresh or over:
                    self._write_series(event, controller)
                if over:
                    del self._series[key]
            elif parse_rfc3339(event["eventTime"]) < now - SERIES_FINISH_SECONDS:
                del self._series[key]  # a singleton: nothing more to write
        self._arm_series_timer()

def _frozen(ref: dict | None):
    return None if ref is None else tuple(sorted(ref.items()))


class EventTTL:
    """The event lease: delete each Event ``EVENT_TTL_SECONDS`` after its *last* write.

    Upstream, pkg/registry/core/event/storage (``TTLFunc``) gives every write of an Event, create
    and update alike, a fresh etcd lease of ``--event-ttl``; etcd deletes the key when the lease
    runs out. Here a store watch on ``/registry/events/`` notes each write's deadline; deadlines
    only grow with time, so a FIFO of (deadline, key) is in order, and an entry whose key was
    written again later is simply skipped. One keeper per API server (:meth:`of`).

    Simplifications: the expired event is deleted through the API server (watchers see the same
    DELETED); events already in a restored snapshot get a full TTL from the restore.
    """

    _by_api: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, api, loop) -> "EventTTL":
        keeper = cls._by_api.get(api)
        if keeper is None:
            keeper = cls._by_api[api] = cls(api, loop)
        return keeper

    def __init__(self, api, loop, ttl: float = EVENT_TTL_SECONDS):
        self.api, self.loop, self.ttl = api, loop, ttl
        self.prefix = EVENT_KEY_PREFIX
        self.deadlines: dict = {}  # store key -> when it expires
        self._queue: deque = deque()  # (deadline, key), deadlines non-decreasing
        self._timer = None
        self.on_delete: list = []  # callbacks (namespace, name) when an event is gone
        store = api.store
        for kv in store.range(self.prefix)[0]:
            self._written(kv.key)
        store.watch(self.prefix, self._on_store_event)

    def expires_at(self, namespace: str, name: str) -> float | None:
        """When the event will be deleted (None: no such event)."""
        return self.deadlines.get(f"{self.prefix}{namespace}/{name}")

    def _on_store_event(self, ev) -> None:
        if ev.type == "DELETE":
            if self.deadlines.pop(ev.kv.key, None) is not None:
                ns, _, name = ev.kv.key[len(self.prefix):].partition("/")
                for cb in self.on_delete:
                    cb(ns, name)
        else:
            self._written(ev.kv.key)

    def _written(self, key: str) -> None:
        deadline = self.loop.clock.now() + self.ttl
        self.deadlines[key] = deadline
        self._queue.append((deadline, key))
        if self._timer is None:
            self._timer = self.loop.call_at(deadline, self._sweep, background=True)

    def _sweep(self) -> None:
        """Delete the events whose lease ran out."""
        self._timer = None
        now, queue = self.loop.clock.now(), self._queue
        while queue and queue[0][0] <= now:
            deadline, key = queue.popleft()
            if self.deadlines.get(key) != deadline:
                continue  # written again since, or already gone
            ns, _, name = key[len(self.prefix):].partition("/")
            try:
                self.api.delete("events", name, ns)
            except errors.ApiError:
                self.deadlines.pop(key, None)
        if queue:
            self._timer = self.loop.call_at(queue[0][0], self._sweep, background=True)
