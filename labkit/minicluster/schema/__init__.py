"""What the API server's decoder knows about each kind: field names and their types.

Two checks happen when a request body is decoded into the Go structs, before defaulting,
admission and validation (k8s.io/apimachinery/pkg/runtime/serializer/json, sigs.k8s.io/json):

- :func:`check_types` - a value of the wrong JSON type is a hard decode error, HTTP 400:
  ``Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal array into Go struct
  field NodeAffinity.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution of
  type v1.NodeSelector``. Quantities are parsed here too (``quantities must match the regular
  expression ...``).
- :func:`unknown_fields` - fields the structs do not have. With ``fieldValidation=Strict``
  (kubectl's default since v1.27) they fail the request, HTTP 400:
  ``strict decoding error: unknown field "spec.foo"``. A type error wins over unknown fields.

Object keys are walked in sorted order: kubectl converts YAML to JSON through Go maps, so the
server sees every object's keys sorted, and reports unknown fields in that order.

:func:`explain` renders a kind's page as ``kubectl explain`` does; :func:`full_schema` is the
kind as the API documents it (descriptions and typed statuses from upstream's v1.33
definitions, :mod:`.docs`).
"""
from __future__ import annotations

import orjson

from .. import errors
# the submodule is loaded before ``def explain`` below, so that the function, not the module,
# is what ``schema.explain`` names (loading a submodule later would rebind the attribute)
from . import explain as _explain_page  # noqa: F401
from .docs import documented
from .kinds import BY_VERSION, KINDS
from .quantity import QuantityError, parse
from .types import INT32, Obj, Type

_INT_RANGES = {"int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1)}


class _Decode(Exception):
    """A hard decode error (message as Go prints it)."""


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _type_error(value, t: Type, struct: str, gopath: list[str]) -> _Decode:
    kind = _json_kind(value)
    if kind == "number" and t.kind == "int":
        kind = f"number {value!r}" if not isinstance(value, float) else f"number {value:g}"
    where = f"Go struct field {struct}.{'.'.join(gopath)}" if gopath else "Go value"
    return _Decode(f"json: cannot unmarshal {kind} into {where} of type {t.go}")


def _scalar(value, t: Type, struct, gopath) -> None:
    k = t.kind
    if k == "string":
        if not isinstance(value, str):
            raise _type_error(value, t, struct, gopath)
    elif k == "bool":
        if not isinstance(value, bool):
            raise _type_error(value, t, struct, gopath)
    elif k == "int":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(value, t, struct, gopath)
        lo, hi = _INT_RANGES[t.go]
        if (isinstance(value, float) and not value.is_integer()) or not lo <= value <= hi:
            raise _type_error(value, t, struct, gopath)
    elif k == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(value, t, struct, gopath)
    elif k == "quantity":
        try:
            parse(value if not isinstance(value, (list, dict)) else None)
        except (QuantityError, TypeError) as e:
            raise _Decode(str(e)) from None
    elif k == "intorstring":
        if isinstance(value, str):
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (isinstance(value, float) and not value.is_integer()):
            kind = _json_kind(value) if not isinstance(value, float) else f"number {value:g}"
            raise _Decode(f"json: cannot unmarshal {kind} into Go value of type int32")


def _walk(value, t: Type, struct: str, gopath: list[str], path: str, unknown: list[str]) -> None:
    """Check ``value`` against ``t``. ``gopath``/``struct`` name the field as Go's decoder does
    (struct fields only, no list indexes); ``path`` is the strict-decoding path
    (``spec.containers[0].image``)."""
    if value is None or t.kind == "any":
        return  # JSON null decodes to the zero value; ANY takes whatever comes
    k = t.kind
    if k == "object":
        if not isinstance(value, dict):
            raise _type_error(value, t, struct, gopath)
        fields = t.fields
        for key in sorted(value):
            ft = fields.get(key)
            sub = f"{path}.{key}" if path else key
            if ft is None:
                unknown.append(sub)
                continue
            _walk(value[key], ft, t.struct, gopath + [key], sub, unknown)
    elif k == "list":
        if not isinstance(value, list):
            raise _type_error(value, t, struct, gopath)
        elem = t.elem
        if elem.kind in ("any",):
            return
        for i, item in enumerate(value):
            _walk(item, elem, struct, gopath, f"{path}[{i}]", unknown)
    elif k == "map":
        if not isinstance(value, dict):
            raise _type_error(value, t, struct, gopath)
        elem = t.elem
        for key in sorted(value):
            _walk(value[key], elem, struct, gopath, f"{path}[{key}]", unknown)
    else:
        _scalar(value, t, struct, gopath)


_STR, _NUM = (str,), (int, float)


def _clean(value, t: Type) -> bool:
    """Fast path: True when ``value`` has no type error and no unknown field (no paths built;
    :func:`_walk` runs only when this says something is wrong)."""
    if value is None:
        return True
    k = t.kind
    if k == "object":
        if value.__class__ is not dict:
            return False
        fields = t.fields
        for key, v in value.items():
            ft = fields.get(key)
            if ft is None or (v is not None and not _clean(v, ft)):
                return False
        return True
    if k == "string":
        return value.__class__ is str
    if k == "list":
        if value.__class__ is not list:
            return False
        elem = t.elem
        if elem.kind == "string":
            return all(x.__class__ is str for x in value)
        return all(_clean(x, elem) for x in value)
    if k == "map":
        if value.__class__ is not dict:
            return False
        elem = t.elem
        if elem.kind == "string":
            return all(x.__class__ is str for x in value.values())
        return all(_clean(x, elem) for x in value.values())
    if k == "any":
        return True
    if k == "bool":
        return value.__class__ is bool
    if k == "int":
        return value.__class__ is int and -(1 << 63) <= value < (1 << 63) and \
            (t is not INT32 or -(1 << 31) <= value < (1 << 31))
    if k == "intorstring":
        return value.__class__ in (str, int)
    try:
        _scalar(value, t, "", [])
        return True
    except _Decode:
        return False


_CLEAN_MEMO: dict = {}  # serialized objects known to decode cleanly (pods of one template...)
_MEMO_LIMIT = 4096


def _known_clean(schema: Obj, obj: dict) -> bool:
    """:func:`_clean`, remembered per serialized value (a controller creates many identical
    pods; only their generated names differ, and those are added later)."""
    try:
        key = (id(schema), orjson.dumps(obj))
    except TypeError:
        return False
    if key in _CLEAN_MEMO:
        return True
    if not _clean(obj, schema):
        return False
    if len(_CLEAN_MEMO) >= _MEMO_LIMIT:
        _CLEAN_MEMO.clear()
    _CLEAN_MEMO[(key[0], bytes(memoryview(key[1])))] = True  # exact size, not orjson's buffer
    return True


def schema_for(rt) -> Obj | None:
    """The decoder's table of a kind (None for kinds it does not check)."""
    return BY_VERSION.get((rt.api_version, rt.kind)) or KINDS.get(rt.kind)


def full_schema(rt) -> Obj | None:
    """The kind as the API documents it: the decoder's table, documented, with what it leaves
    open (statuses, Node spec...) typed from upstream's definitions (:mod:`.docs`)."""
    return documented(rt, schema_for(rt))


def _decode(rt, obj, schema) -> list[str]:
    unknown: list[str] = []
    if schema is None or not isinstance(obj, dict) or _known_clean(schema, obj):
        return unknown
    try:
        _walk(obj, schema, schema.struct, [], "", unknown)
    except _Decode as e:
        raise errors.bad_request(f'{rt.kind} in version "{rt.version}" cannot be handled as a '
                                 f'{rt.kind}: {e}') from None
    return [u for u in unknown if u not in ("apiVersion", "kind")]


def check_types(rt, obj, fields=None) -> None:
    """Raise 400 BadRequest, worded as the decoder words it, if a value has the wrong type.
    ``fields`` limits the check to some top-level fields (a status write ignores the spec)."""
    if fields is not None and isinstance(obj, dict):
        obj = {k: v for k, v in obj.items() if k in fields}
    _decode(rt, obj, schema_for(rt))


def unknown_fields(rt, obj) -> list[str]:
    """Paths of fields the kind does not have (``["spec.foo", "spec.containers[0].bar"]``),
    statuses included (:func:`full_schema`).

    Raises the decoder's 400 first if a value has the wrong type (a hard error wins)."""
    full = full_schema(rt) if schema_for(rt) is not None else None
    return _decode(rt, obj, full)


#: The name the API-machinery brief uses; same function.
strict_unknown_fields = unknown_fields


def strict_error(unknown: list[str]) -> errors.ApiError:
    """The 400 the server answers for ``fieldValidation=Strict`` with unknown fields."""
    return errors.bad_request("strict decoding error: " +
                              ", ".join(f'unknown field "{f}"' for f in unknown))


# -- explain ------------------------------------------------------------------------------------
def resolve(kind: str, path: str = "") -> Type | None:
    """The type at a dotted path of a kind (``resolve("Pod", "spec.containers")``)."""
    t: Type | None = KINDS.get(kind)
    for part in [p for p in path.split(".") if p]:
        while t is not None and t.kind in ("list", "map"):
            t = t.elem
        if t is None or t.kind != "object":
            return None
        t = t.fields.get(part)
    return t


def explain(kind: str, path: str = "", recursive: bool = False) -> str:
    """The page ``kubectl explain <kind>.<path>`` prints against labkit's server (the served
    OpenAPI v3 document rendered by :mod:`.explain`)."""
    from ..http.openapi import group_version_document
    from ..resources import REGISTRY
    from .explain import ExplainError, render
    rt = REGISTRY.for_name(kind)
    try:
        return render(group_version_document(rt.group, rt.version), rt.group, rt.version,
                      rt.kind, [p for p in path.split(".") if p], recursive)
    except ExplainError as e:
        raise errors.bad_request(str(e)) from None


__all__ = ["KINDS", "check_types", "full_schema", "schema_for", "unknown_fields", "strict_unknown_fields", "strict_error",
           "explain", "resolve"]
