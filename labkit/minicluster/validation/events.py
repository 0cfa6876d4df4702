"""Event validation: the rules of pkg/apis/core/validation/events.go (v1.33).

Both APIs store the same object (see :mod:`..conversion`), so both are validated on its core/v1
form and the field paths are the core names (``message``, ``involvedObject``, ``count``) even
for an ``events.k8s.io/v1`` request, as upstream reports them. What is checked depends on the
API the request came through (``requestVersion`` upstream):

* every Event (``legacyValidateEvent``): an *old-style* Event (no ``eventTime``) must live in
  the namespace of its ``involvedObject`` (or ``default`` for a cluster-scoped one); a
  *new-style* Event (``eventTime`` set) needs ``reportingController`` (a qualified name),
  ``reportingInstance`` (at most 128 bytes), ``action`` and ``reason`` (at most 128 bytes each)
  and a message of at most 1024 bytes. Through core/v1 the controller is called
  ``reportingComponent`` in the error, its core/v1 name.
* through ``events.k8s.io/v1`` only (strict): ``eventTime`` is required, ``type`` is ``Normal``
  or ``Warning``, the deprecated fields (``firstTimestamp``, ``lastTimestamp``, ``count``,
  ``source``) must be unset, a ``series`` counts at least 2 and has a ``lastObservedTime``; an
  update may change the series (and metadata) but no other field (``field is immutable``).

Names: core/v1 Events only need a name that can be a URL path segment (the generic ObjectMeta
check); events.k8s.io/v1 Events need a DNS subdomain (``ValidateObjectMeta`` in the strict part).
Simplification: the generic and strict metadata checks are reported together.
"""
from __future__ import annotations

from datetime import datetime, timezone

from .fields import IMMUTABLE, Raw, go_string, invalid, required
from .meta import validate_object_meta, validate_object_meta_update
from .names import is_dns1123_subdomain, is_qualified_name, name_is_dns_subdomain, \
    name_is_path_segment

REPORTING_INSTANCE_LENGTH_LIMIT = 128
ACTION_LENGTH_LIMIT = 128
REASON_LENGTH_LIMIT = 128
NOTE_LENGTH_LIMIT = 1024
EVENT_TYPES = ("Normal", "Warning")
#: the API groups whose requests get only the legacy checks (core/v1, events.k8s.io/v1beta1)
LEGACY_GROUPS = ("",)


def _strict(rt) -> bool:
    return rt.group not in LEGACY_GROUPS


def _len(value) -> int:
    """Go's ``len`` of a string: bytes, not characters."""
    return len(str(value or "").encode())


def _too_long(path: str, value, limit: int) -> list[dict]:
    return [invalid(path, "", f"can have at most {limit} characters")] \
        if _len(value) > limit else []


def validate_event_create(rt, obj: dict) -> list[dict]:
    """ValidateEventCreate, plus the generic ObjectMeta checks of the registry."""
    meta = obj.get("metadata") or {}
    if not _strict(rt):
        return validate_object_meta(meta, True, name_is_path_segment) + legacy(obj, False)
    out = legacy(obj, True) + validate_object_meta(meta, True, name_is_dns_subdomain)
    out += _series(obj)
    if not obj.get("eventTime"):
        out.append(required("eventTime"))
    etype = obj.get("type")
    if etype not in EVENT_TYPES:
        out.append(invalid("type", "", f"has invalid value: {etype or ''}"))
    for f in ("firstTimestamp", "lastTimestamp", "count"):
        if obj.get(f):
            out.append(invalid(f, "", "needs to be unset"))
    source = obj.get("source") or {}
    if source.get("component") or source.get("host"):
        out.append(invalid("source", "", "needs to be unset"))
    return out


def validate_event_update(rt, obj: dict, old: dict) -> list[dict]:
    """ValidateEventUpdate: through events.k8s.io only the series and metadata may change."""
    meta, old_meta = obj.get("metadata") or {}, old.get("metadata") or {}
    out = legacy(obj, _strict(rt)) + validate_object_meta_update(meta, old_meta)
    if not _strict(rt):
        return out
    if obj.get("series") != old.get("series"):
        out += _series(obj)
    for key, path, render in _IMMUTABLE:
        if _normalized(obj, key) != _normalized(old, key):
            out.append(invalid(path, render(obj.get(key)), IMMUTABLE))
    return out


def legacy(obj: dict, strict: bool) -> list[dict]:
    """legacyValidateEvent (every Event, whichever API it came through)."""
    out = []
    ns = (obj.get("metadata") or {}).get("namespace") or ""
    involved_ns = (obj.get("involvedObject") or {}).get("namespace") or ""
    mismatch = invalid("involvedObject.namespace", involved_ns, "does not match event.namespace")
    if not obj.get("eventTime"):
        if (not involved_ns and ns not in ("", "default")) or (involved_ns and ns != involved_ns):
            out.append(mismatch)
    else:
        if not involved_ns and ns not in ("default", "kube-system"):
            out.append(mismatch)
        controller = obj.get("reportingComponent") or ""
        field = "reportingController" if strict else "reportingComponent"
        if not controller:
            out.append(required(field))
        out += [invalid(field, controller, m) for m in is_qualified_name(controller)]
        instance = obj.get("reportingInstance") or ""
        if not instance:
            out.append(required("reportingInstance"))
        out += _too_long("reportingInstance", instance, REPORTING_INSTANCE_LENGTH_LIMIT)
        for f, limit in (("action", ACTION_LENGTH_LIMIT), ("reason", REASON_LENGTH_LIMIT)):
            if not obj.get(f):
                out.append(required(f))
            out += _too_long(f, obj.get(f), limit)
        out += _too_long("message", obj.get("message"), NOTE_LENGTH_LIMIT)
    out += [invalid("namespace", ns, m) for m in is_dns1123_subdomain(ns)]
    return out


def _series(obj: dict) -> list[dict]:
    """validateV1EventSeries."""
    series = obj.get("series")
    if series is None:
        return []
    out = []
    if (series.get("count") or 0) < 2:
        out.append(invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        out.append(required("series.lastObservedTime"))
    return out


# -- rendering immutable values as Go prints them (field.Error: Stringer, else %#v) -------------
def go_time(value) -> Raw:
    """``metav1.Time``/``MicroTime`` print through ``time.Time.String()``."""
    if not value:
        return Raw("0001-01-01 00:00:00 +0000 UTC")
    t = datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc)
    frac = f".{t.microsecond:06d}".rstrip("0") if t.microsecond else ""
    return Raw(t.strftime("%Y-%m-%d %H:%M:%S") + frac + " +0000 UTC")


_REF_FIELDS = (("Kind", "kind"), ("Namespace", "namespace"), ("Name", "name"), ("UID", "uid"),
               ("APIVersion", "apiVersion"), ("ResourceVersion", "resourceVersion"),
               ("FieldPath", "fieldPath"))
_SOURCE_FIELDS = (("Component", "component"), ("Host", "host"))


def go_struct(type_name: str, fields, value) -> Raw:
    """``%#v`` of a struct of string fields (``core.EventSource{Component:"x", Host:""}``);
    a nil pointer prints ``null``."""
    if value is None:
        return Raw("null")
    inner = ", ".join(f"{go}:{go_string(str(value.get(key) or ''))}" for go, key in fields)
    return Raw(f"{type_name}{{{inner}}}")


def _plain(value):
    return value if value is not None else ""


#: (stored field, error path, how the new value prints), in upstream's order
_IMMUTABLE = (
    ("involvedObject", "involvedObject",
     lambda v: go_struct("core.ObjectReference", _REF_FIELDS, v or {})),
    ("reason", "reason", _plain), ("message", "message", _plain),
    ("source", "source", lambda v: go_struct("core.EventSource", _SOURCE_FIELDS, v or {})),
    ("firstTimestamp", "firstTimestamp", go_time), ("lastTimestamp", "lastTimestamp", go_time),
    ("count", "count", lambda v: v or 0), ("type", "type", _plain),
    ("eventTime", "eventTime", go_time), ("action", "action", _plain),
    ("related", "related", lambda v: go_struct("core.ObjectReference", _REF_FIELDS, v)),
    ("reportingComponent", "reportingController", _plain),
    ("reportingInstance", "reportingInstance", _plain),
)


def _normalized(obj: dict, path: str):
    """A field's value with the empty forms made equal (nil, "", {} and 0 are one value in Go);
    ``eventTime`` compared to the microsecond (upstream tolerates finer changes)."""
    value = obj.get(path)
    if path == "eventTime" and value:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    return value or None
