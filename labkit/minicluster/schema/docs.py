"""The API documentation, and the types labkit's tables leave open, from upstream's definitions.

kube-apiserver serves the Go doc comments of every type and field in its OpenAPI documents;
``kubectl explain`` prints them. The package ``kubernetes-validate`` ships those definitions for
each Kubernetes minor version, converted to JSON Schema: ``kubernetes-json-schema/
v1.33.0-local/_definitions.json``, one entry per Go struct under ``$defs``::

    "io.k8s.api.core.v1.Pod": {"description": "Pod is a collection of containers ...",
      "properties": {"spec": {"$ref": "#/$defs/io.k8s.api.core.v1.PodSpec",
                              "description": "Specification of the desired behavior ..."}, ...},
      "x-kubernetes-group-version-kind": [{"group": "", "kind": "Pod", "version": "v1"}]}

labkit reads the v1.33 file (the version the cluster follows, :mod:`..upstream`), the texts
exactly as upstream wrote them (paragraph breaks kept).

:func:`documented` walks a copy of a kind's schema (the decoder's tables in :mod:`.kinds` and
:mod:`.pod`) side by side with the kind's definition and

- merges in the documentation: ``Obj.doc`` (the struct), ``Obj.descriptions`` (its fields,
  struct-typed ones included: ``Pod.spec``) and ``Obj.required`` (``-required-`` in ``explain``);
- types what the tables typed ``ANY`` (every ``status``, Node ``spec``, PersistentVolume
  ``spec``, the rarely used volume sources...) from the definitions: ``format`` tells ``int32``
  from ``int64``, references name ``Quantity``, ``IntOrString`` and ``Time``.

labkit's tables stay the authority on which fields exist: a field upstream has and the tables
do not is not added (the decoder would reject it anyway). A kind the tables do not type (Event,
Lease, Binding...) is built from its definition alone.

Nothing here runs at import, nor for the decoder's everyday checks: the definitions (1.4 MB of
JSON, a few tens of milliseconds) are read the first time the OpenAPI documents, ``explain`` or a
strict decoding of a request (the HTTP server's ``fieldValidation``) needs a kind.

Simplifications (what these definitions lose against a real v1.33 server's ``/openapi/v3``):
enums are absent (a real server lists them, and its descriptions end with "Possible enum
values: ...", so its ``kubectl explain pod.spec.restartPolicy`` prints an ``ENUM:`` section this
one does not), and ``Quantity``/``IntOrString`` carry no description of their own (a real
``kubectl explain`` adds "Quantity is a fixed-point representation of a number..." under a
quantity field). ``MicroTime`` is typed like ``Time``.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import orjson

from .types import (ANY, BOOL, FLOAT, INT32, INT64, INT_OR_STRING, QUANTITY, STRING, TIME,
                    ListOf, MapOf, Obj, Type)

#: the definitions of the release the cluster follows (upstream.KUBERNETES_VERSION's minor)
DEFINITIONS = "kubernetes-json-schema/v1.33.0-local/_definitions.json"
_REF = "#/$defs/"
#: definitions that are scalars on the wire (their own JSON type is not what the decoder checks)
SCALARS = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": QUANTITY,
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": TIME,
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": TIME,
}
_PLAIN = {"string": STRING, "boolean": BOOL, "number": FLOAT}

_DEFS: dict | None = None


def definitions() -> dict:
    """``{definition name: JSON schema}`` of Kubernetes v1.33, read once.

    The file is found next to the package's ``__init__.py`` without importing the package
    (importing it loads its validator, jsonschema: seconds, for a file read)."""
    global _DEFS
    if _DEFS is None:
        package = Path(importlib.util.find_spec("kubernetes_validate").origin).parent
        _DEFS = orjson.loads((package / DEFINITIONS).read_bytes())["$defs"]
    return _DEFS


def definition_of(rt) -> str | None:
    """The definition carrying a kind's ``x-kubernetes-group-version-kind``."""
    gvk = {"group": rt.group, "kind": rt.kind, "version": rt.version}
    for name, schema in definitions().items():
        if gvk in (schema.get("x-kubernetes-group-version-kind") or ()):
            return name
    return None


def go_name(definition: str) -> str:
    """``io.k8s.api.core.v1.NodeStatus`` → ``v1.NodeStatus`` (what Go's decoder prints)."""
    return ".".join(definition.rsplit(".", 2)[-2:])


#: id(Obj) → the definition it documents (the OpenAPI documents name components after it)
NAMES: dict[int, str] = {}


def component_name(obj: Obj) -> str | None:
    return NAMES.get(id(obj))


# -- types from the definitions ---------------------------------------------------------------
def _ref(schema: dict) -> str | None:
    ref = schema.get("$ref")
    return ref[len(_REF):] if isinstance(ref, str) and ref.startswith(_REF) else None


def _json_type(schema: dict) -> str | None:
    """``["string", "null"]`` → ``"string"`` (kubernetes-validate marks optional fields nullable)."""
    t = schema.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), None)
    return t


_BUILT: dict[str, Obj] = {}


def type_of(schema: dict) -> Type:
    """The decoder type of a property's JSON schema."""
    ref = _ref(schema)
    if ref is not None:
        return SCALARS.get(ref) or from_definition(ref)
    t = _json_type(schema)
    if t == "array":
        return ListOf(type_of(schema.get("items") or {}))
    if t == "integer":
        return INT64 if schema.get("format") == "int64" else INT32
    if t == "object" and isinstance(schema.get("additionalProperties"), dict):
        return MapOf(type_of(schema["additionalProperties"]))
    return _PLAIN.get(t, ANY)  # an object without properties is free-form JSON (FieldsV1)


def from_definition(name: str) -> Type:
    """A documented :class:`Obj` for a definition (one per name; recursive types allowed)."""
    if name in SCALARS:
        return SCALARS[name]
    obj = _BUILT.get(name)
    if obj is not None:
        return obj
    schema = definitions()[name]
    if not schema.get("properties"):
        return ANY  # RawExtension, FieldsV1: free-form objects
    obj = _BUILT[name] = Obj(go_name(name))
    for field, prop in schema["properties"].items():
        obj.fields[field] = type_of(prop)
    _describe(obj, name)
    return obj


# -- merging into labkit's tables -------------------------------------------------------------
def _describe(obj: Obj, name: str) -> None:
    schema = definitions()[name]
    props = schema.get("properties") or {}
    NAMES[id(obj)] = name
    obj.doc = schema.get("description", "")
    obj.descriptions = {f: props[f]["description"] for f in obj.fields
                        if props.get(f, {}).get("description")}
    obj.required = tuple(f for f in schema.get("required") or () if f in obj.fields)


def _open(t: Type) -> bool:
    """``ANY``, or a list/map of ``ANY``: a place the tables leave untyped."""
    while t.kind in ("list", "map"):
        t = t.elem
    return t.kind == "any"


def _inner(t: Type) -> Type:
    while t.kind in ("list", "map"):
        t = t.elem
    return t


def _inner_ref(schema: dict) -> str | None:
    """The struct a property holds, through arrays and maps."""
    while _ref(schema) is None and (schema.get("items") or schema.get("additionalProperties")):
        schema = schema.get("items") or schema.get("additionalProperties")
        if not isinstance(schema, dict):
            return None
    return _ref(schema)


def merge(obj: Obj, name: str, seen: set) -> None:
    """Document ``obj`` from definition ``name`` and type its open fields, recursively."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    props = definitions()[name].get("properties") or {}
    for field, t in list(obj.fields.items()):
        prop = props.get(field)
        if prop is None:
            continue
        if _open(t):
            typed = type_of(prop)
            if not _open(typed):
                obj.fields[field] = typed
            continue
        inner, ref = _inner(t), _inner_ref(prop)
        if isinstance(inner, Obj) and ref is not None and ref not in SCALARS:
            merge(inner, ref, seen)
    _describe(obj, name)


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
    kind the decoder does not type (Event, Lease, Binding...) its definition alone.

    The decoder's own tables are left as they are: the checks every internal write goes
    through (controllers, kubelets writing status) keep their cost and their behaviour."""
    key = (rt.api_version, rt.kind)
    if key not in _FULL:
        name = definition_of(rt)
        if table is None:
            built = None if name is None else from_definition(name)
            _FULL[key] = built if isinstance(built, Obj) else None
        else:
            full = _copy(table, {})
            if name is not None:
                merge(full, name, set())
            _FULL[key] = full
    return _FULL[key]
