"""Events: the cluster's diary, written by every component (client-go tools/record).

When the scheduler places a pod, a kubelet pulls an image or a controller creates a ReplicaSet,
it records an ``Event`` object: ``type`` (Normal/Warning), ``reason`` (a CamelCase word such as
``Scheduled`` or ``BackOff``), a human ``message``, the ``involvedObject`` it is about and the
``source`` component. ``kubectl describe`` shows the events of an object; ``kubectl get events``
shows them all.

Repeated identical events are not stored again: the recorder bumps ``count`` and
``lastTimestamp`` of the existing one (client-go's EventCorrelator), which is why describe shows
``(x4 over 2m)``. Events expire after one hour (kube-apiserver ``--event-ttl=1h``).
"""
from __future__ import annotations

from . import errors
from .apiserver import UserInfo
from .clock import rfc3339

EVENT_TTL_SECONDS = 3600  # kube-apiserver --event-ttl default (cmd/kube-apiserver/app/options)


class EventRecorder:
    """Creates and aggregates core/v1 Events on behalf of components."""

    def __init__(self, api, loop, enabled: bool = True):
        self.api, self.loop, self.enabled = api, loop, enabled
        self._seen: dict = {}  # correlation key -> (namespace, event name)
        self._seq = 0
        self._expiry: list = []  # (expiry time, namespace, name, key) in time order
        self._sweeper = None

    def record(self, obj: dict, etype: str, reason: str, message: str, component: str,
               host: str | None = None, field_path: str | None = None) -> None:
        if not self.enabled:
            return
        meta = obj.get("metadata", {})
        involved = {"kind": obj.get("kind"), "namespace": meta.get("namespace"),
                    "name": meta.get("name"), "uid": meta.get("uid"),
                    "apiVersion": obj.get("apiVersion"), "resourceVersion": meta.get("resourceVersion")}
        if not involved["namespace"]:
            involved.pop("namespace")
        if field_path:
            involved["fieldPath"] = field_path
        ns = meta.get("namespace") or "default"
        corr = (component, host, involved["kind"], ns, involved["name"], involved["uid"],
                field_path, etype, reason, message)
        now = rfc3339(self.loop.clock.now())
        user = UserInfo(f"system:{component}", ("system:authenticated",))
        if corr in self._seen:
            ev_ns, ev_name = self._seen[corr]
            try:
                ev = self.api.get("events", ev_name, ev_ns)
                self.api.patch("events", ev_name, {"count": ev.get("count", 1) + 1, "lastTimestamp": now},
                               "merge", ev_ns)
                return
            except errors.ApiError:
                del self._seen[corr]
        self._seq += 1
        name = f"{meta.get('name')}.{int(self.loop.clock.now() * 1e9) + self._seq:x}"
        source = {"component": component}
        if host:
            source["host"] = host
        event = {"apiVersion": "v1", "kind": "Event",
                 "metadata": {"name": name, "namespace": ns},
                 "involvedObject": involved, "reason": reason, "message": message,
                 "source": source, "firstTimestamp": now, "lastTimestamp": now, "count": 1,
                 "type": etype, "eventTime": None, "reportingComponent": component,
                 "reportingInstance": host or ""}
        try:
            self.api.create("events", event, ns)
        except errors.ApiError:
            return  # e.g. the namespace is being deleted: upstream drops the event too
        self._seen[corr] = (ns, name)
        self._expiry.append((self.loop.clock.now() + EVENT_TTL_SECONDS, ns, name, corr))
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(EVENT_TTL_SECONDS, self._sweep, background=True)

    def _sweep(self) -> None:
        """Delete expired events (etcd leases do this upstream)."""
        self._sweeper = None
        now = self.loop.clock.now()
        while self._expiry and self._expiry[0][0] <= now:
            _, ns, name, corr = self._expiry.pop(0)
            self._seen.pop(corr, None)
            try:
                self.api.delete("events", name, ns)
            except errors.ApiError:
                pass
        if self._expiry:
            self._sweeper = self.loop.call_at(self._expiry[0][0], self._sweep, background=True)
