"""Events: the cluster's diary, written by every component (client-go tools/record).

When the scheduler places a pod, a kubelet pulls an image or a controller creates a ReplicaSet,
it records an ``Event`` object: ``type`` (Normal/Warning), ``reason`` (a CamelCase word such as
``Scheduled`` or ``BackOff``), a human ``message``, the ``involvedObject`` it is about and the
``source`` component. ``kubectl describe`` shows the events of an object; ``kubectl get events``
shows them all.

Repeated identical events are not stored again: the recorder bumps ``count`` and
``lastTimestamp`` of the existing one (client-go's EventCorrelator), which is why describe shows
``(x4 over 2m)``. Events expire after one hour (kube-apiserver ``--event-ttl=1h``).

Each component writes its events with its own credentials, and RBAC's bootstrap policy lets it
(``eventsRule``: create, patch, update): the scheduler as ``system:kube-scheduler``, a kubelet as
``system:node:<node>``, and kube-controller-manager's event broadcaster - shared by all its
controllers, even though each controller otherwise acts as its own service account - as
``system:kube-controller-manager``. As client-go's recorder, the count of a repeated event is
kept by the recorder (no read of the Event: the components may not ``get`` events).

Simplification: the scheduler's events are written as core/v1 Events with
``source.component: default-scheduler``; upstream's scheduler uses the events.k8s.io/v1 API.
"""
from __future__ import annotations

from . import errors
from .apiserver import UserInfo
from .clock import rfc3339
from .upstream import SCHEDULER_NAME as SCHEDULER_COMPONENT

EVENT_TTL_SECONDS = 3600  # kube-apiserver --event-ttl default (cmd/kube-apiserver/app/options)


AUTHENTICATED = "system:authenticated"


def identity(component: str, host: str | None = None) -> UserInfo:
    """Who writes the events of ``component``."""
    if component == "kubelet" and host:
        return UserInfo(f"system:node:{host}", ("system:nodes", AUTHENTICATED))
    if component == SCHEDULER_COMPONENT:
        return UserInfo("system:kube-scheduler", (AUTHENTICATED,))
    return UserInfo("system:kube-controller-manager", (AUTHENTICATED,))


class EventRecorder:
    """Creates and aggregates core/v1 Events on behalf of components."""

    def __init__(self, api, loop, enabled: bool = True):
        self.api, self.loop, self.enabled = api, loop, enabled
        self._seen: dict = {}  # correlation key -> [namespace, event name, count]
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
            self.api.create("events", event, ns, user=user)
        except errors.ApiError:
            return  # e.g. the namespace is being deleted: upstream drops the event too
        self._seen[corr] = [ns, name, 1]
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
