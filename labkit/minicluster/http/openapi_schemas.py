"""OpenAPI component schemas, generated from :mod:`labkit.minicluster.schema` (the decoder's
field tables), shaped like kube-apiserver's ``/openapi/v3`` documents.

kubectl reads them for two things:

- ``kubectl apply`` computes its three-way strategic merge patch by walking the schema of the
  kind: every object field it meets must be a declared property (otherwise it warns
  ``error calculating patch from openapi v3 spec: unable to find api field ...``), and lists
  merge item by item where the property carries ``x-kubernetes-patch-strategy: merge`` and
  ``x-kubernetes-patch-merge-key`` (the Go struct tags ``patchStrategy``/``patchMergeKey``);
- ``kubectl explain`` prints the fields and their types (``<[]Container>``, ``<IntOrString>``).

Like upstream, every Go struct is a named component (``io.k8s.api.core.v1.PodSpec``) used
through ``allOf: [{$ref}]``, and a kind's component carries ``x-kubernetes-group-version-kind``.
Structs and fields carry the API documentation (``description``, struct-typed fields included)
and ``required`` lists, taken from upstream's v1.33 definitions by
:mod:`labkit.minicluster.schema.docs`, which also types what labkit's tables leave open
(statuses, Node spec) and names each struct's component after its definition. In the v3
documents ``IntOrString`` and ``Quantity`` are ``oneOf`` a number and a string, as upstream
(kubectl explain prints ``<IntOrString>``). Simplifications: no enums (nor their "Possible enum
values" text), ``Quantity``/``IntOrString`` without their own description (the definitions lack
both); free-form fields (``fieldsV1``) are open objects (``x-kubernetes-preserve-unknown-fields``).
"""
from __future__ import annotations

from functools import lru_cache

from ..patch import MERGE_KEYS, SET_LISTS
from ..resources import REGISTRY
from ..schema.types import Obj, Type

META = "io.k8s.apimachinery.pkg.apis.meta.v1."
#: structs of k8s.io/apimachinery/pkg/apis/meta/v1 (shared by every group)
META_STRUCTS = {"ObjectMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference",
                "ManagedFieldsEntry", "Condition"}
#: API group → Go package name under io.k8s.api
PACKAGES = {"": "core", "apps": "apps", "batch": "batch", "autoscaling": "autoscaling",
            "policy": "policy"}
#: lists whose items are kept apart by ``retainKeys`` as well as merged (upstream tags)
RETAIN_KEYS = {"volumes", "resourceClaims"}
#: scalar types that upstream documents as their own components (OpenAPI v2 shapes)
NAMED_SCALARS = {
    "quantity": ("io.k8s.apimachinery.pkg.api.resource.Quantity", {"type": "string"}),
    "intorstring": ("io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                    {"type": "string", "format": "int-or-string"}),
    "v1.Time": (META + "Time", {"type": "string", "format": "date-time"}),
}
#: their OpenAPI v3 shapes where they differ (kube-openapi's ``OpenAPIV3OneOfTypes``)
V3_SCALARS = {
    "quantity": {"oneOf": [{"type": "string"}, {"type": "number"}]},
    "intorstring": {"format": "int-or-string", "oneOf": [{"type": "integer"}, {"type": "string"}]},
}
_SCALARS = {"string": {"type": "string"}, "bool": {"type": "boolean"},
            "float": {"type": "number", "format": "double"}}


def package(group: str) -> str:
    return PACKAGES.get(group, group.split(".")[0])


class Components:
    """Turns schema types into OpenAPI schemas, naming each struct once."""

    def __init__(self, ref_prefix: str = "#/components/schemas/"):
        self.ref_prefix = ref_prefix
        self.v3 = ref_prefix.startswith("#/components/")
        self.schemas: dict[str, dict] = {}
        self._names: dict[int, str] = {}

    def ref(self, name: str) -> dict:
        return {"$ref": self.ref_prefix + name}

    def name_of(self, obj: Obj, group: str) -> str:
        """``io.k8s.api.apps.v1.DeploymentSpec``: the upstream definition the struct documents,
        else (a struct upstream does not have) the package of the first kind that reaches it."""
        if id(obj) in self._names:
            return self._names[id(obj)]
        from ..schema.docs import component_name
        version, _, struct = obj.go.rpartition(".")
        name = component_name(obj) or (META + struct if struct in META_STRUCTS else
                                       f"io.k8s.api.{package(group)}.{version}.{struct}")
        self._names[id(obj)] = name
        return name

    def schema(self, t: Type, group: str) -> dict:
        """The schema of a field of type ``t`` (a ``$ref`` for structs and named scalars)."""
        kind = t.kind
        if isinstance(t, Obj):
            return {"allOf": [self.ref(self.struct(t, group))], "default": {}}
        if kind == "list":
            return {"type": "array", "items": self.schema(t.elem, group)}
        if kind == "map":
            return {"type": "object", "additionalProperties": self.schema(t.elem, group)}
        named = NAMED_SCALARS.get(kind) or NAMED_SCALARS.get(t.go)
        if named:
            shape = V3_SCALARS.get(kind) if self.v3 else None
            self.schemas.setdefault(named[0], dict(shape or named[1]))
            return {"allOf": [self.ref(named[0])]}
        if kind == "int":
            return {"type": "integer", "format": t.go}
        if kind == "any":
            return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        return dict(_SCALARS.get(kind, {}))

    def struct(self, obj: Obj, group: str) -> str:
        name = self.name_of(obj, group)
        if name in self.schemas:
            return name
        out: dict = {"type": "object", "properties": {}}
        if obj.doc:
            out["description"] = obj.doc
        if obj.required:
            out["required"] = list(obj.required)
        self.schemas[name] = out  # before the fields: structs may refer to themselves
        for field, ftype in obj.fields.items():
            prop = self.schema(ftype, group)
            prop.update(patch_extensions(obj, field, ftype))
            if field in obj.descriptions:
                prop["description"] = obj.descriptions[field]
            out["properties"][field] = prop
        return name


def patch_extensions(parent: Obj, field: str, ftype: Type) -> dict:
    """``x-kubernetes-patch-strategy``/``-merge-key`` for a list field (patch.MERGE_KEYS is the
    table of upstream ``patchMergeKey`` tags, by field name; a key applies only where the
    item struct has that field, so NetworkPolicy ``ports`` stay a replaced list)."""
    if ftype.kind != "list":
        return {}
    if field in SET_LISTS:
        return {"x-kubernetes-patch-strategy": "merge"}
    key = MERGE_KEYS.get(field)
    if field == "ports" and parent.struct == "ServiceSpec":
        key = "port"
    item = ftype.elem
    if key is None or (isinstance(item, Obj) and key not in item.fields) or \
            item.kind not in ("object", "any"):
        return {}
    strategy = "merge,retainKeys" if field in RETAIN_KEYS else "merge"
    return {"x-kubernetes-patch-merge-key": key, "x-kubernetes-patch-strategy": strategy}


def _kinds_in_discovery_order():
    from .discovery import GROUP_PRIORITY
    return sorted(REGISTRY.all(), key=lambda rt: -GROUP_PRIORITY.get(rt.group, 1000))


def kind_schema(components: Components, rt) -> str:
    """Add the component of one kind (with its GVK) and return its name."""
    from ..schema import full_schema
    obj = full_schema(rt)
    if obj is None:  # a kind upstream does not define either: metadata only, the rest open
        from ..schema.kinds import kind
        obj = kind(f"{rt.version}.{rt.kind}", spec=_ANY_TYPE(), status=_ANY_TYPE())
    name = components.struct(obj, rt.group)
    components.schemas[name]["x-kubernetes-group-version-kind"] = [
        {"group": rt.group, "kind": rt.kind, "version": rt.version}]
    return name


def _ANY_TYPE():  # noqa: N802 - reads like the schema module's constant
    from ..schema.types import ANY
    return ANY


@lru_cache(maxsize=2)
def all_components(ref_prefix: str) -> tuple[dict, dict]:
    """``(schemas, {(group, version, kind): component name})`` for every served kind."""
    comps = Components(ref_prefix)
    names = {}
    for rt in _kinds_in_discovery_order():
        names[(rt.group, rt.version, rt.kind)] = kind_schema(comps, rt)
    return comps.schemas, names


def closure(schemas: dict, roots, ref_prefix: str) -> dict:
    """The components reachable from ``roots`` (what one group-version document needs)."""
    out: dict = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out[name] = schemas[name]
        todo.extend(_refs(schemas[name], ref_prefix))
    return dict(sorted(out.items()))


def _refs(node, prefix):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(prefix):
            yield ref[len(prefix):]
        for v in node.values():
            yield from _refs(v, prefix)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v, prefix)
