"""The API documentation, and the types labkit's tables leave open, from the official client.

kube-apiserver serves the Go doc comments of every type and field in its OpenAPI documents;
``kubectl explain`` prints them. The official Python client (``kubernetes``, generated from the
same documents) carries them on its pydantic models: ``V1PodSpec.model_fields[
"active_deadline_seconds"].description``, with the JSON name as ``serialization_alias``.

:func:`documented` walks a copy of a kind's schema (the decoder's tables in :mod:`.kinds` and :mod:`.pod`)
side by side with the client's model of the kind and

- merges in the descriptions: ``Obj.doc`` (the struct), ``Obj.descriptions`` (its fields) and
  ``Obj.required`` (fields the API marks required, ``-required-`` in ``kubectl explain``);
- types what the tables typed ``ANY`` (every ``status``, Node ``spec``, PersistentVolume
  ``spec``, the rarely used volume sources...) from the client's model, so that the decoder
  checks them and the OpenAPI documents describe them.

labkit's tables stay the authority on which fields exist: a field the client knows and the
tables do not is not added (the decoder would reject it anyway).

Nothing here runs at import, nor for the decoder's everyday checks: importing the client's
models costs about half a second, paid once, the first time the OpenAPI documents, ``explain``
or a strict decoding of a request (the HTTP server's ``fieldValidation``) needs a kind.

Simplifications (the client's models lose some of what the OpenAPI documents say): the
description of a field whose type is a struct (``Pod.spec``) is missing from the client, so it
is missing here too (``kubectl explain`` prints ``<no description>`` for it, and only the
struct's description under ``DESCRIPTION``); line breaks inside descriptions were turned into
spaces by the client; enum values are not known. The client does not tell int32 from int64
(a table of the int64 field names below decides) nor a Quantity from a string (a table of
the resource-list and quantity fields decides).
"""
from __future__ import annotations

import re
import typing
from datetime import datetime

from .types import (ANY, BOOL, FLOAT, INT32, INT64, INT_OR_STRING, QUANTITY, STRING, TIME,
                    ListOf, MapOf, Obj, Type)

#: map fields of ``ResourceList`` type (``map[ResourceName]resource.Quantity``)
RESOURCE_LISTS = {"capacity", "allocatable", "allocatedResources", "hard", "used", "limits",
                  "requests", "overhead", "max", "min", "default", "defaultRequest",
                  "maxLimitRequestRatio"}
#: single ``resource.Quantity`` fields: by name, or (struct, name) where the name is common
QUANTITIES = {"sizeLimit", "divisor", "averageValue", ("MetricTarget", "value"),
              ("MetricValueStatus", "value")}
#: integer fields that are ``int64`` in the Go structs (the others are ``int32``)
INT64_FIELDS = {"observedGeneration", "generation", "activeDeadlineSeconds",
                "terminationGracePeriodSeconds", "tolerationSeconds", "startingDeadlineSeconds",
                "runAsUser", "runAsGroup", "fsGroup", "supplementalGroups", "expirationSeconds",
                "seconds", "deletionGracePeriodSeconds", "uid", "gid", "capacity"}

_VERSION_PREFIX = re.compile(r"^(?:[A-Z][a-z]+)*?(V\d+(?:alpha\d+|beta\d+)?)(?=[A-Z])")


# -- the client's models ------------------------------------------------------------------------
def model_for(rt) -> type | None:
    """The client's model of a kind: ``CoreV1Event`` for core Events, ``EventsV1Event`` for
    events.k8s.io, else ``V1Pod``/``V2HorizontalPodAutoscaler``."""
    import kubernetes.client as client
    version = rt.version[0].upper() + rt.version[1:]
    group = (rt.group.split(".")[0] or "core").capitalize()
    return getattr(client, f"{group}{version}{rt.kind}", None) or \
        getattr(client, f"{version}{rt.kind}", None)


def go_name(model: type) -> str:
    """``V1NodeStatus`` → ``v1.NodeStatus``, ``CoreV1ResourceClaim`` → ``v1.ResourceClaim``."""
    m = _VERSION_PREFIX.match(model.__name__)
    if not m:
        return model.__name__
    return f"{m.group(1).lower()}.{model.__name__[m.end():]}"


def struct_doc(model: type) -> str:
    return " ".join((model.__doc__ or "").split("Attributes:")[0].split())


def json_fields(model: type) -> dict:
    """``{json name: pydantic FieldInfo}`` of a model."""
    return {(f.serialization_alias or name): f for name, f in model.model_fields.items()}


def _unwrap(annotation):
    """Strip ``Optional``/``Annotated``; ``("list"|"dict"|"union"|"plain", inner)``."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Union:
        rest = [a for a in args if a is not type(None)]
        return _unwrap(rest[0]) if len(rest) == 1 else ("union", rest)
    if origin is typing.Annotated:
        return _unwrap(args[0])
    if origin is list:
        return "list", args[0]
    if origin is dict:
        return "dict", args[1]
    return "plain", annotation


def _is_model(t) -> bool:
    return isinstance(t, type) and hasattr(t, "model_fields")


def inner_model(annotation) -> type | None:
    """The model a field holds, through lists and maps (``List[V1Container]`` → V1Container)."""
    kind, inner = _unwrap(annotation)
    while kind in ("list", "dict"):
        kind, inner = _unwrap(inner)
    return inner if _is_model(inner) else None


# -- types from the client's models ---------------------------------------------------------------
_GENERATED: dict[type, Obj] = {}


def type_of(annotation, struct: str, field: str) -> Type:
    """The decoder type of a client field annotation (``struct``/``field`` pick quantities)."""
    kind, inner = _unwrap(annotation)
    if kind == "list":
        return ListOf(type_of(inner, struct, field))
    if kind == "dict":
        if field in RESOURCE_LISTS and _unwrap(inner) == ("plain", str):
            return MapOf(QUANTITY)
        return MapOf(type_of(inner, struct, ""))
    if kind == "union":
        plain = {_unwrap(a)[1] for a in inner}
        return INT_OR_STRING if plain == {int, str} else STRING if str in plain else ANY
    if _is_model(inner):
        return from_model(inner)
    if inner is str:
        return QUANTITY if field in QUANTITIES or (struct, field) in QUANTITIES else STRING
    if inner is bool:
        return BOOL
    if inner is int:
        return INT64 if field in INT64_FIELDS else INT32
    if inner is float:
        return FLOAT
    if inner is datetime:
        return TIME
    return ANY  # Dict[str, Any], object: free-form JSON (FieldsV1, RawExtension)


def from_model(model: type) -> Obj:
    """A documented :class:`Obj` for a client model (one per model, recursive types allowed)."""
    obj = _GENERATED.get(model)
    if obj is not None:
        return obj
    obj = _GENERATED[model] = Obj(go_name(model), struct_doc(model))
    struct = obj.struct
    for name, f in json_fields(model).items():
        obj.fields[name] = type_of(f.annotation, struct, name)
    _describe(obj, model)
    return obj


# -- merging into labkit's tables -----------------------------------------------------------------
def _describe(obj: Obj, model: type) -> None:
    fields = json_fields(model)
    obj.doc = struct_doc(model)
    obj.descriptions = {n: fields[n].description for n in obj.fields
                        if n in fields and fields[n].description}
    obj.required = tuple(n for n in obj.fields if n in fields and fields[n].is_required())


def _open(t: Type) -> bool:
    """``ANY``, or a list/map of ``ANY``: a place the tables leave untyped."""
    while t.kind in ("list", "map"):
        t = t.elem
    return t.kind == "any"


def _inner_obj(t: Type) -> Obj | None:
    while t.kind in ("list", "map"):
        t = t.elem
    return t if isinstance(t, Obj) else None


def merge(obj: Obj, model: type, seen: set) -> None:
    """Document ``obj`` from ``model`` and type its open fields, recursively."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    fields = json_fields(model)
    for name, t in list(obj.fields.items()):
        f = fields.get(name)
        if f is None:
            continue
        if _open(t):
            typed = type_of(f.annotation, obj.struct, name)
            if not _open(typed):
                obj.fields[name] = typed
            continue
        sub, inner = inner_model(f.annotation), _inner_obj(t)
        if sub is not None and inner is not None:
            merge(inner, sub, seen)
    _describe(obj, model)


def _copy(t: Type, memo: dict) -> Type:
    """A copy of a schema graph (shared and recursive structs stay shared); scalars are kept,
    the decoder compares some of them by identity."""
    if id(t) in memo:
        return memo[id(t)]
    if isinstance(t, Obj):
        out = memo[id(t)] = Obj(t.go, t.doc)
        out.fields = {k: _copy(v, memo) for k, v in t.fields.items()}
        return out
    if isinstance(t, ListOf):
        out = memo[id(t)] = ListOf(_copy(t.elem, memo))
        return out
    if isinstance(t, MapOf):
        out = memo[id(t)] = MapOf(_copy(t.elem, memo))
        return out
    return t


_FULL: dict[tuple, Obj | None] = {}


def documented(rt, table: Obj | None) -> Obj | None:
    """A kind's schema as the OpenAPI documents and ``explain`` show it and as strict decoding
    checks it: a documented copy of the decoder's ``table`` with its open fields typed, or for a
    kind the decoder does not type (Event, Lease, Binding...) the client's model alone.

    The decoder's own tables are left as they are: the checks every internal write goes
    through (controllers, kubelets writing status) keep their cost and their behaviour."""
    key = (rt.api_version, rt.kind)
    if key not in _FULL:
        model = model_for(rt)
        if table is None:
            _FULL[key] = None if model is None else from_model(model)
        else:
            full = _copy(table, {})
            if model is not None:
                merge(full, model, set())
            _FULL[key] = full
    return _FULL[key]
