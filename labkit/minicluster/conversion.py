"""One stored object, several API views: converting what a client speaks to what etcd keeps.

(HorizontalPodAutoscalers, stored as ``autoscaling/v2`` and served as ``autoscaling/v1`` too,
are the second example: :mod:`.conversion_autoscaling`.)

kube-apiserver keeps one form of each resource in etcd and converts on the way in and out, so
two APIs can serve the same objects. Events are the example here: ``events.k8s.io/v1`` Events
are the very objects ``/api/v1`` Events are, under the same ``/registry/events/`` keys
(pkg/registry/events/rest/storage_events.go reuses the core event storage). The mini cluster
stores the core/v1 form; an ``events.k8s.io/v1`` request is converted on the way in and every
answer on the way out, field by field as pkg/apis/events/v1/conversion.go does:

=====================  ============================
events.k8s.io/v1       core/v1
=====================  ============================
regarding              involvedObject
note                   message
reportingController    reportingComponent
deprecatedSource       source
deprecatedFirstTimestamp  firstTimestamp
deprecatedLastTimestamp   lastTimestamp
deprecatedCount        count
=====================  ============================

``eventTime``, ``series``, ``action``, ``related``, ``reason``, ``type`` and
``reportingInstance`` have the same name in both. Empty values follow each version's JSON tags:
core/v1 always writes ``reportingComponent``/``reportingInstance`` (``""``) and ``source``
(``{}``); events.k8s.io/v1 always writes ``eventTime``, ``regarding`` and ``deprecatedSource``.
"""
from __future__ import annotations

from . import conversion_autoscaling as hpa
from . import errors

EVENTS_V1 = "events.k8s.io/v1"


def core_to_events_v1(obj: dict) -> dict:
    """A stored core/v1 Event as ``events.k8s.io/v1`` shows it (Convert_core_Event_To_v1_Event)."""
    out = {"apiVersion": EVENTS_V1, "kind": "Event", "metadata": obj.get("metadata") or {},
           "eventTime": obj.get("eventTime")}
    _copy(obj, out, (("series", "series"), ("reportingComponent", "reportingController"),
                     ("reportingInstance", "reportingInstance"), ("action", "action"),
                     ("reason", "reason")))
    out["regarding"] = obj.get("involvedObject") or {}
    _copy(obj, out, (("related", "related"), ("message", "note"), ("type", "type")))
    out["deprecatedSource"] = obj.get("source") or {}
    out["deprecatedFirstTimestamp"] = obj.get("firstTimestamp")
    out["deprecatedLastTimestamp"] = obj.get("lastTimestamp")
    _copy(obj, out, (("count", "deprecatedCount"),))
    return out


def events_v1_to_core(obj: dict) -> dict:
    """An ``events.k8s.io/v1`` Event in its stored core/v1 form (Convert_v1_Event_To_core_Event)."""
    out = {"apiVersion": "v1", "kind": "Event", "metadata": obj.get("metadata") or {},
           "involvedObject": obj.get("regarding") or {}}
    _copy(obj, out, (("reason", "reason"), ("note", "message")))
    out["source"] = obj.get("deprecatedSource") or {}
    out["firstTimestamp"] = obj.get("deprecatedFirstTimestamp")
    out["lastTimestamp"] = obj.get("deprecatedLastTimestamp")
    _copy(obj, out, (("deprecatedCount", "count"), ("type", "type")))
    out["eventTime"] = obj.get("eventTime")
    _copy(obj, out, (("series", "series"), ("action", "action"), ("related", "related")))
    out["reportingComponent"] = obj.get("reportingController") or ""
    out["reportingInstance"] = obj.get("reportingInstance") or ""
    return out


def as_core_event(obj: dict) -> dict:
    """Readers' helper: any Event (either API version) in its core/v1 form."""
    return events_v1_to_core(obj) if obj.get("apiVersion") == EVENTS_V1 else obj


def _copy(src: dict, dst: dict, pairs) -> None:
    for a, b in pairs:
        value = src.get(a)
        if value not in (None, "", 0, {}):
            dst[b] = value


#: (apiVersion, kind) served -> (converter in: to the stored form, converter out)
_VIEWS = {(EVENTS_V1, "Event"): (events_v1_to_core, core_to_events_v1),
          (hpa.V1, "HorizontalPodAutoscaler"): (hpa.from_v1, hpa.to_v1)}


def to_storage(rt, obj: dict) -> dict:
    """The request body ``obj`` (already checked to be of ``rt``'s version) in its stored form.
    A body that cannot be converted (a malformed round-trip annotation) is a 400 BadRequest."""
    view = _VIEWS.get((rt.api_version, rt.kind))
    if not view:
        return obj
    try:
        return view[0](obj)
    except (ValueError, TypeError, AttributeError) as e:
        raise errors.bad_request(f"error converting {rt.kind} from {rt.api_version}: {e}") from None


def from_storage(rt, obj: dict) -> dict:
    """A stored object as the API version of ``rt`` shows it."""
    view = _VIEWS.get((rt.api_version, rt.kind))
    return view[1](obj) if view else obj
