"""Validation: the API server's checks of an object, reported as field-path errors (422 Invalid).

After defaulting and mutating admission, and before validating admission and storage, the
API server validates the object (the registry strategy's ``Validate`` / ``ValidateUpdate``,
which call pkg/apis/*/validation, v1.33). Every problem becomes one *cause*; they are reported
together, like upstream's ``[cause1, cause2]``::

    Deployment.apps "web" is invalid: [spec.selector: Required value,
    spec.template.spec.containers[0].image: Required value]

One module per API area: :mod:`.meta` (ObjectMeta, labels, selectors), :mod:`.pods` and
:mod:`.containers` (PodSpec), :mod:`.workloads` (apps, batch), :mod:`.core` (Service,
ConfigMap, Secret, PVC, LimitRange, ResourceQuota...), :mod:`.others` (networking, RBAC,
autoscaling, policy, scheduling, StorageClass), :mod:`.storage` (PersistentVolume, claim
access modes), :mod:`.events` (Events, whose rules depend on the API the request came
through: ``rt.group``). :mod:`.fields` words the errors, :mod:`.names`
holds the name/label syntax rules.

``strict_unknown_fields(rt, obj)`` (from :mod:`..schema`) lists fields a kind does not have, for
``fieldValidation=Strict``.
"""
from __future__ import annotations

from ..schema import strict_unknown_fields, unknown_fields  # noqa: F401 (re-exported)
from . import core, events, others, pods, storage, workloads
from .meta import validate_object_meta, validate_object_meta_update
from .names import name_is_dns_label, name_is_dns_subdomain

_CREATE = {"Pod": pods.validate_pod, **workloads.CREATES, **core.CREATES, **others.CREATES,
           **storage.CREATES}
_UPDATE = {"Pod": pods.validate_pod_update, **workloads.UPDATES, **core.UPDATES,
           **others.UPDATES, **storage.UPDATES}
#: fields whose change means "the desired state changed" (the rest is metadata or status)
_STATUS_ONLY_SKIP = ("status", "metadata")


def _dedup(causes: list[dict]) -> list[dict]:
    """field.ErrorList.ToAggregate drops repeated messages (the same field and text)."""
    seen, out = set(), []
    for c in causes:
        key = (c.get("field"), c.get("message"))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


def _generic_create(rt, obj: dict) -> list[dict]:
    name_fn = name_is_dns_label if rt.kind == "Namespace" else name_is_dns_subdomain
    return validate_object_meta(obj.get("metadata") or {}, rt.namespaced, name_fn)


def _unchanged_spec(obj: dict, old: dict) -> bool:
    """True for a status- or metadata-only write: everything but metadata/status is equal."""
    keys = (set(obj) | set(old)) - set(_STATUS_ONLY_SKIP)
    return all(obj.get(k) == old.get(k) for k in keys)


def validate(rt, obj: dict, old: dict | None) -> list[dict]:
    """All problems with ``obj`` as a list of causes (empty when valid). ``old`` is the stored
    object on updates (None on create)."""
    if rt.kind == "Event":
        causes = events.validate_event_create(rt, obj) if old is None else \
            events.validate_event_update(rt, obj, old)
    elif old is None:
        fn = _CREATE.get(rt.kind)
        causes = fn(obj) if fn else _generic_create(rt, obj)
    elif _unchanged_spec(obj, old) and rt.kind != "Pod":
        # the spec was validated when stored: only the metadata rules can fail
        causes = validate_object_meta_update(obj.get("metadata") or {}, old.get("metadata") or {})
    else:
        fn = _UPDATE.get(rt.kind)
        if fn is not None:
            causes = fn(obj, old)
        else:
            causes = validate_object_meta_update(obj.get("metadata") or {},
                                                 old.get("metadata") or {})
            create = _CREATE.get(rt.kind)
            if create is not None:
                causes += [c for c in create(obj) if not c["field"].startswith("metadata.")]
    return _dedup(causes)
