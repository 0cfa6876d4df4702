"""ObjectMeta, labels, annotations and label selectors (apimachinery pkg/api/validation and
pkg/apis/meta/v1/validation, v1.33)."""
from __future__ import annotations

import orjson

from .fields import Raw, forbidden, go_string, immutable, invalid, nonnegative, required
from .names import is_qualified_name, is_valid_label_value, name_is_dns_label

ANNOTATIONS_SIZE_LIMIT = 256 * (1 << 10)  # TotalAnnotationSizeLimitB


def validate_label_name(key: str, path: str) -> list[dict]:
    return [invalid(path, key, m) for m in is_qualified_name(str(key))]


_MEMO: dict = {}
_MEMO_LIMIT = 8192


def memo(key, compute):
    """Remember a pure validation result (a controller's pods share labels, owners, specs)."""
    hit = _MEMO.get(key)
    if hit is None:
        hit = compute()
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[_exact(key)] = hit
    return list(hit)


def _exact(key):
    """``key`` with its encoded parts copied to exactly sized bytes: orjson's output buffer can
    be several times larger than what it holds, and 8,192 remembered keys of nodes (each node's
    metadata differs) would keep ~8 KB each."""
    if type(key) is tuple:
        return tuple(bytes(memoryview(k)) if type(k) is bytes else k for k in key)
    return bytes(memoryview(key)) if type(key) is bytes else key


def known_valid(key) -> bool:
    """Was the object behind ``key`` found valid before (see :func:`remember_valid`)?"""
    return _MEMO.get(key) == ()


def remember_valid(key) -> None:
    memo(key, tuple)


def _memo_map(kind: str, mapping, path: str, check) -> list[dict]:
    """``check(mapping, path)``, remembered per (kind, path, content)."""
    if not mapping:
        return []
    try:
        key = (kind, path, tuple(sorted(mapping.items())))
    except (AttributeError, TypeError):
        return check(mapping, path)
    return memo(key, lambda: check(mapping, path))


def validate_labels(labels, path: str) -> list[dict]:
    """ValidateLabels: every key a qualified name, every value a label value. Errors carry the
    map's path (``metadata.labels``), not the key's."""
    return _memo_map("labels", labels, path, _labels)


def _labels(labels, path: str) -> list[dict]:
    out = []
    for k, v in sorted((labels or {}).items()):
        out += validate_label_name(k, path)
        out += [invalid(path, v, m) for m in is_valid_label_value(str(v))]
    return out


def validate_annotations(annotations, path: str) -> list[dict]:
    return _memo_map("annotations", annotations, path, _annotations)


def _annotations(annotations, path: str) -> list[dict]:
    out = []
    total = 0
    for k, v in sorted((annotations or {}).items()):
        out += [invalid(path, k, m) for m in is_qualified_name(str(k).lower())]
        total += len(str(k)) + len(str(v))
    if total > ANNOTATIONS_SIZE_LIMIT:
        out.append({"reason": "FieldValueTooLong", "field": path,
                    "message": f"Too long: may not be more than {ANNOTATIONS_SIZE_LIMIT} bytes"})
    return out


def _owner_reference_repr(ref: dict) -> Raw:
    return Raw("v1.OwnerReference{" + ", ".join(
        f"{k[0].upper()}{k[1:]}:{go_string(str(ref.get(k, '')))}"
        for k in ("apiVersion", "kind", "name", "uid")) + "}")


def validate_owner_references(refs, path: str) -> list[dict]:
    out = []
    first = ""
    for ref in refs or ():
        ref = ref or {}
        api_version = str(ref.get("apiVersion") or "")
        if not api_version.rpartition("/")[2]:
            out.append(invalid(f"{path}.apiVersion", api_version, "version must not be empty"))
        if not ref.get("kind"):
            out.append(invalid(f"{path}.kind", ref.get("kind", ""), "kind must not be empty"))
        if not ref.get("name"):
            out.append(invalid(f"{path}.name", ref.get("name", ""), "name must not be empty"))
        if not ref.get("uid"):
            out.append(invalid(f"{path}.uid", ref.get("uid", ""), "uid must not be empty"))
        if api_version == "v1" and ref.get("kind") == "Event":
            out.append(invalid(path, _owner_reference_repr(ref),
                               "/v1, Kind=Event is disallowed from being an owner"))
        if ref.get("controller"):
            current = f"{ref.get('kind')}/{ref.get('name')}"
            if first:
                out.append(invalid(path, Raw("[]v1.OwnerReference{...}"),
                                   'Only one reference can have Controller set to true. Found '
                                   f'"true" in references for {first} and {current}'))
            else:
                first = current
    return out


def validate_finalizers(finalizers, path: str) -> list[dict]:
    out = []
    for f in finalizers or ():
        out += [invalid(path, f, m) for m in is_qualified_name(str(f))]
    if "orphan" in (finalizers or ()) and "foregroundDeletion" in (finalizers or ()):
        out.append(invalid(path, Raw("[]string{" + ", ".join(go_string(f) for f in finalizers)
                                     + "}"),
                           "finalizer orphan and foregroundDeletion cannot be both set"))
    return out


_VOLATILE = ("name", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
             "managedFields")


def validate_object_meta(meta: dict, namespaced: bool, name_fn, path: str = "metadata") -> list:
    """ValidateObjectMetaAccessor (the part shared by many objects is remembered)."""
    name = meta.get("name")
    if not name:
        name_errs = [required(f"{path}.name", "name or generateName is required")]
    else:
        name_errs = [invalid(f"{path}.name", name, m) for m in name_fn(str(name), False)]
    rest = {k: v for k, v in meta.items() if k not in _VOLATILE}
    try:
        key = ("meta", namespaced, name_fn, path, orjson.dumps(rest))
    except TypeError:
        return _meta_rest(rest, namespaced, name_fn, path, name_errs)
    gen_errs, other = memo(key, lambda: _meta_rest(rest, namespaced, name_fn, path, None))
    return gen_errs + name_errs + other


def _meta_rest(meta: dict, namespaced: bool, name_fn, path: str, name_errs):
    """Everything but the name; returns (generateName errors, the others), or the full list
    when ``name_errs`` is given."""
    gen = []
    gen_name = meta.get("generateName")
    if gen_name:
        gen = [invalid(f"{path}.generateName", gen_name, m) for m in name_fn(str(gen_name), True)]
    out = []
    ns = meta.get("namespace")
    if namespaced:
        if not ns:
            out.append(required(f"{path}.namespace"))
        else:
            out += [invalid(f"{path}.namespace", ns, m) for m in name_is_dns_label(str(ns))]
    elif ns:
        out.append(forbidden(f"{path}.namespace", "not allowed on this type"))
    out += nonnegative(f"{path}.generation", meta.get("generation"))
    out += validate_labels(meta.get("labels"), f"{path}.labels")
    out += validate_annotations(meta.get("annotations"), f"{path}.annotations")
    out += validate_owner_references(meta.get("ownerReferences"), f"{path}.ownerReferences")
    out += validate_finalizers(meta.get("finalizers"), f"{path}.finalizers")
    return (gen, out) if name_errs is None else gen + name_errs + out


def validate_object_meta_update(new: dict, old: dict, path: str = "metadata") -> list[dict]:
    """ValidateObjectMetaAccessorUpdate: identity fields are immutable, no new finalizers once
    deleting, labels/annotations/ownerReferences still well formed."""
    out = []
    if old.get("deletionTimestamp"):
        extra = sorted(set(new.get("finalizers") or ()) - set(old.get("finalizers") or ()))
        if extra:
            out.append(forbidden(f"{path}.finalizers",
                                 "no new finalizers can be added if the object is being deleted, "
                                 "found new finalizers []string{" +
                                 ", ".join(go_string(f) for f in extra) + "}"))
    if (new.get("generation") or 0) < (old.get("generation") or 0):
        out.append(invalid(f"{path}.generation", new.get("generation", 0),
                           "must not be decremented"))
    for f in ("name", "namespace", "uid"):
        out += immutable(f"{path}.{f}", new.get(f, ""), old.get(f, ""))
    out += validate_labels(new.get("labels"), f"{path}.labels")
    out += validate_annotations(new.get("annotations"), f"{path}.annotations")
    out += validate_owner_references(new.get("ownerReferences"), f"{path}.ownerReferences")
    return out


def validate_label_selector(sel, path: str, allow_invalid_values: bool = False) -> list[dict]:
    """ValidateLabelSelector."""
    out = []
    if not isinstance(sel, dict):
        return out
    out += validate_labels(sel.get("matchLabels"), f"{path}.matchLabels")
    for i, e in enumerate(sel.get("matchExpressions") or ()):
        e = e or {}
        p = f"{path}.matchExpressions[{i}]"
        values = e.get("values") or []
        out += validate_operator(e.get("operator"), values, p)
        out += validate_label_name(str(e.get("key", "")), f"{p}.key")
        if not allow_invalid_values:
            for j, v in enumerate(values):
                out += [invalid(f"{p}.values[{j}]", v, m) for m in is_valid_label_value(str(v))]
    return out



def validate_operator(op, values: list, path: str, numeric: bool = False) -> list[dict]:
    """The operator/values rules of a selector requirement (label selectors, and node
    selectors, which also know ``Gt``/``Lt`` with a single value: ``numeric``)."""
    if op in ("In", "NotIn"):
        if not values:
            return [required(f"{path}.values",
                             "must be specified when `operator` is 'In' or 'NotIn'")]
    elif op in ("Exists", "DoesNotExist"):
        if values:
            return [forbidden(f"{path}.values", "may not be specified when `operator` is "
                              "'Exists' or 'DoesNotExist'")]
    elif numeric and op in ("Gt", "Lt"):
        if len(values) != 1:
            return [required(f"{path}.values", "must be specified single value when "
                             "`operator` is 'Lt' or 'Gt'")]
    else:
        return [invalid(f"{path}.operator", op or "", "not a valid selector operator")]
    return []

def selector_matches(sel: dict, labels: dict | None) -> bool:
    """metav1.LabelSelectorAsSelector(sel).Matches(labels) for a valid selector."""
    from ..selectors import from_label_selector
    return from_label_selector(sel).matches(labels or {})
