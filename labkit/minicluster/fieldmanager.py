"""Server-side apply: the field manager, and who owns which field (``metadata.managedFields``).

``kubectl apply --server-side`` sends the manifest itself as a PATCH of type
``application/apply-patch+yaml``, naming a *field manager* (``?fieldManager=kubectl``). The
API server, not kubectl, then works out the result:

1. the manifest is merged into the live object: maps field by field, lists with keys
   (``containers`` by ``name``, ``ports`` by ``containerPort`` and ``protocol``) item by item,
   other lists replaced whole;
2. a field the manager applied last time and leaves out now is *removed*, unless another
   manager owns it too (this is what the last-applied annotation did for client-side apply);
3. a field the manifest would *change* while another manager owns it is a **conflict**: 409,
   ``Apply failed with 1 conflict: conflict with "kubectl-edit" using apps/v1: .spec.replicas``,
   unless the request says ``force=true`` (``--force-conflicts``), which takes the field over.
   Applying the value a field already has is not a conflict: the two managers share it.

Each manager's fields are recorded in ``metadata.managedFields`` as a *field set*, the
``fieldsV1`` format of sigs.k8s.io/structured-merge-diff: ``f:<name>`` a field, ``k:{...}`` a
list item by its keys, ``v:<json>`` a set member, ``.`` the node itself::

    {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
        "k:{\\"name\\":\\"web\\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}

Ordinary writes (create, update, patch) are *Update* operations: the writer takes over the
fields it changed (``kube-controller-manager`` owns a Deployment's status, ``kubectl`` with
subresource ``scale`` its replicas after ``kubectl scale``).

Simplifications (see docs/fidelity.md): Update operations are recorded only on objects that
already carry managedFields, i.e. once they were server-side applied (upstream records every
write of every object; at 150,000 pods that bookkeeping is a cost this cluster does not pay).
An object that is server-side applied for the first time is taken as owned by the manager
``before-first-apply``, upstream's own rule for an object without managedFields, where a real
cluster would name its earlier writers (``kubectl-create``, ``kubectl-client-side-apply``).
List keys come from a table of the common lists, not from the OpenAPI ``x-kubernetes-list-*``
metadata. Upstream: staging/src/k8s.io/apimachinery/pkg/util/managedfields, structured-merge-diff
``merge/update.go``, ``fieldpath``.
"""
from __future__ import annotations

import json

from . import errors
from .objects import clone

#: list field → its item keys (``x-kubernetes-list-map-keys`` of k8s.io/api, v1.33)
LIST_KEYS = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "env": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",), "imagePullSecrets": ("name",), "conditions": ("type",),
    "ownerReferences": ("uid",), "hostAliases": ("ip",), "schedulingGates": ("name",),
    "resourceClaims": ("name",), "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
}
#: ``ports`` of a container and of a Service are keyed with their protocol (default TCP)
_PORT_KEYS = {"containerPort": ("containerPort", "protocol"), "port": ("port", "protocol")}
_KEY_DEFAULTS = {"protocol": "TCP"}
#: lists of scalars that are sets (``+listType=set``)
SET_LISTS = {"finalizers"}
#: maps owned and replaced as one value (``+structType=atomic``: LabelSelector;
#: ``+mapType=atomic``: a Service's selector, a pod's nodeSelector)
ATOMIC = {"selector", "nodeSelector", "labelSelector", "namespaceSelector"}
#: never owned by anyone (upstream's fieldmanager strips them from every set)
IGNORED = {("f:apiVersion",), ("f:kind",)} | {("f:metadata", f"f:{f}") for f in (
    "name", "namespace", "creationTimestamp", "selfLink", "uid", "generation", "managedFields",
    "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds")}
_COMPOSITE = object()  # the value of a map or list item node in a flattened object
MISSING = object()


# -- path elements -----------------------------------------------------------------------------
def _item_keys(field: str, items: list) -> tuple | None:
    if field == "ports":
        first = next((i for i in items if isinstance(i, dict)), {})
        return next((keys for k, keys in _PORT_KEYS.items() if k in first), None)
    return LIST_KEYS.get(field)


def _key_element(item: dict, keys: tuple) -> str:
    return "k:" + json.dumps({k: item.get(k, _KEY_DEFAULTS.get(k)) for k in sorted(keys)},
                             separators=(",", ":"))


def _children(value, field: str | None):
    """(path element, child value) of a map or of a keyed/set list; [] for a leaf."""
    if field in ATOMIC:
        return []
    if isinstance(value, dict):
        return [(f"f:{k}", v) for k, v in value.items() if v is not None]
    if isinstance(value, list):
        if field in SET_LISTS:
            return [("v:" + json.dumps(v, separators=(",", ":")), v) for v in value]
        keys = _item_keys(field, value)
        if keys and all(isinstance(i, dict) for i in value):
            return [(_key_element(i, keys), i) for i in value]
    return []


def _field(element: str) -> str | None:
    return element[2:] if element.startswith("f:") else None


def flatten(obj: dict) -> dict:
    """{path: value} for every node under ``obj``: leaves (scalars, atomic lists, empty maps)
    with their value, maps and list items as ``_COMPOSITE``."""
    out: dict = {}

    def walk(value, path, field):
        kids = _children(value, field)
        if not kids:
            out[path] = value
            return
        out[path] = _COMPOSITE
        for el, child in kids:
            walk(child, path + (el,), _field(el))
    walk(obj, (), None)
    del out[()]
    return out


def applied_set(config: dict) -> set:
    """The fields a manifest sets (structured-merge-diff ``ToFieldSet``): its leaves and its
    list items; maps are only the way to their fields."""
    flat = flatten(config)
    return {p for p, v in flat.items() if v is not _COMPOSITE or p[-1][0] in "kv"} - _ignored(flat)


def _ignored(paths) -> set:
    return {p for p in paths if p[:2] in IGNORED or p[:1] in IGNORED}


# -- fieldsV1 <-> sets of paths ----------------------------------------------------------------
def to_fields_v1(paths: set) -> dict:
    root: dict = {}
    for path in paths:
        node = root
        for el in path:
            node = node.setdefault(el, {})
    for path in paths:
        node = root
        for el in path:
            node = node[el]
        if node:
            node["."] = {}
    return _sorted(root)


def _sorted(node: dict) -> dict:
    return {k: _sorted(node[k]) for k in sorted(node)}


def from_fields_v1(fields: dict) -> set:
    out: set = set()

    def walk(node, path):
        for el, child in node.items():
            if el == ".":
                out.add(path)
            elif not child:
                out.add(path + (el,))
            elif isinstance(child, dict):
                walk(child, path + (el,))
    if isinstance(fields, dict):  # anything else a client wrote there owns nothing
        walk(fields, ())
    return out


def path_string(path: tuple) -> str:
    """fieldpath.Path.String(): ``.spec.template.spec.containers[name="web"].image``."""
    out = []
    for el in path:
        kind, rest = el[0], el[2:]
        if kind == "f":
            out.append("." + rest)
        elif kind == "k":
            out.append("[" + ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}"
                                      for k, v in json.loads(rest).items()) + "]")
        else:
            out.append(f"[={rest}]")
    return "".join(out)


# -- managers ------------------------------------------------------------------------------------
def _identity(entry: dict) -> tuple:
    return (entry.get("manager"), entry.get("operation"), entry.get("apiVersion"),
            entry.get("subresource", ""))


def _describe(entry: dict) -> str:
    """printManager of conflict.go: Apply managers by name, Update ones with their version."""
    out = json.dumps(entry.get("manager", ""))
    if entry.get("subresource"):
        out += f" with subresource {json.dumps(entry['subresource'])}"
    if entry.get("operation") == "Update":
        out += f" using {entry.get('apiVersion')}"
    return out


def _entries(managed) -> list[list]:
    """[[entry without fieldsV1, set of paths]] from ``metadata.managedFields``."""
    if not isinstance(managed, list):
        return []
    return [[{k: v for k, v in e.items() if k != "fieldsV1"}, from_fields_v1(e.get("fieldsV1"))]
            for e in managed if isinstance(e, dict)]


def _encode(entries: list, time: str, touched: tuple) -> list:
    """Back to ``managedFields``: empty sets dropped, the touched entry stamped with ``time``,
    sorted as upstream's sortEncodedManagedFields (Apply before Update, then time, manager)."""
    out = []
    for meta, paths in entries:
        if not paths:
            continue
        if _identity(meta) == touched:
            meta = dict(meta, time=time)
        e = {"apiVersion": meta.get("apiVersion"), "fieldsType": "FieldsV1",
             "fieldsV1": to_fields_v1(paths), "manager": meta.get("manager"),
             "operation": meta.get("operation")}
        if meta.get("subresource"):
            e["subresource"] = meta["subresource"]
        e["time"] = meta.get("time")
        out.append(e)
    out.sort(key=lambda e: (e["operation"], e["time"] or "", e["manager"], e["apiVersion"],
                            e.get("subresource", "")))
    return out


def manager_entry(entries: list, manager: str, operation: str, api_version: str,
                  subresource: str | None) -> list:
    meta = {"manager": manager, "operation": operation, "apiVersion": api_version}
    if subresource:
        meta["subresource"] = subresource
    for e in entries:
        if _identity(e[0]) == _identity(meta):
            return e
    entries.append([meta, set()])
    return entries[-1]


# -- the request --------------------------------------------------------------------------------

def check_patch_options(applying: bool, field_manager, force) -> None:
    """ValidatePatchOptions: an apply names its manager; only an apply may force."""
    if applying and not field_manager:
        raise errors.invalid("PatchOptions", "", [{"reason": "FieldValueRequired",
                             "message": "Required value: is required for apply patch",
                             "field": "fieldManager"}], "meta.k8s.io")
    if not applying and force not in (None, False, "", "false"):
        raise errors.invalid("PatchOptions", "", [{"reason": "FieldValueForbidden",
                             "message": "Forbidden: may not be specified for non-apply patch",
                             "field": "force"}], "meta.k8s.io")


def config_of(patch) -> dict:
    """The body of an apply patch: one object (YAML is JSON's superset; kubectl sends JSON)."""
    if isinstance(patch, (str, bytes)):
        import yaml
        try:
            patch = yaml.safe_load(patch)
        except yaml.YAMLError as e:
            raise errors.bad_request(f"error decoding YAML: {e}") from None
    if not isinstance(patch, dict) or not isinstance(patch.get("metadata", {}), dict):
        raise errors.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
    return patch


# -- apply ---------------------------------------------------------------------------------------
def merge(live, config, field: str | None = None):
    """The manifest merged into the live object (neither is changed)."""
    if isinstance(config, dict) and isinstance(live, dict) and field not in ATOMIC:
        out = dict(live)
        for k, v in config.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = merge(live[k], v, k) if k in live else clone(v)
        return out
    if isinstance(config, list) and isinstance(live, list):
        if field in SET_LISTS:
            return list(live) + [clone(v) for v in config if v not in live]
        keys = _item_keys(field, config or live)
        if keys and all(isinstance(i, dict) for i in config + live):
            index = {_key_element(i, keys): n for n, i in enumerate(live)}
            out = list(live)
            for item in config:
                n = index.get(_key_element(item, keys))
                if n is None:
                    out.append(clone(item))
                else:
                    out[n] = merge(live[n], item)
            return out
    return clone(config)


def remove(obj: dict, path: tuple) -> None:
    """Delete the node at ``path`` from ``obj`` in place (nothing if it is not there), then
    the maps and lists it leaves empty: Go's ``omitempty`` does not write them back."""
    parent, field = obj, None
    for el in path[:-1]:
        parent = _step(parent, el, field)
        field = _field(el)
        if parent is MISSING:
            return
    el = path[-1]
    if el.startswith("f:") and isinstance(parent, dict):
        parent.pop(el[2:], None)
    elif isinstance(parent, list):
        parent[:] = [i for e, i in _children(parent, field) if e != el]
    if len(path) > 1 and parent in ({}, []):
        remove(obj, path[:-1])


def _step(node, el: str, field: str | None):
    if el.startswith("f:"):
        return node.get(el[2:], MISSING) if isinstance(node, dict) else MISSING
    for e, child in _children(node, field):
        if e == el:
            return child
    return MISSING


def apply(live: dict, config: dict, managed, manager: str, api_version: str, force: bool,
          time: str, subresource: str | None = None) -> dict:
    """The object after ``manager`` applies ``config`` to ``live``, with its new
    managedFields; raises the 409 of an unforced conflict. ``managed`` is the live
    ``metadata.managedFields`` (``None``: never applied, see the module docstring)."""
    entries = _entries(managed) if managed else _before_first_apply(live, api_version)
    mine = manager_entry(entries, manager, "Apply", api_version, subresource)
    want = applied_set(config)
    merged = merge(live, config)
    others = set().union(*(p for e, p in entries if e is not mine[0]))
    for path in sorted(mine[1] - want - others, key=len, reverse=True):
        remove(merged, path)
    before, after = flatten(live), flatten(merged)
    changed = {p for p in want if before.get(p, MISSING) != after.get(p, MISSING)}
    conflicts = [(meta, p) for meta, paths in entries if meta is not mine[0]
                 for p in sorted(paths & changed)]
    if conflicts and not force:
        raise conflict_error(conflicts)
    for meta, paths in entries:
        if meta is not mine[0]:
            paths -= changed
    mine[1].clear()
    mine[1].update(want)
    gone = set(before) - set(after)
    for _, paths in entries:
        paths -= gone
    managed = _encode(entries, time, _identity(mine[0]))
    meta = merged.setdefault("metadata", {})
    if managed:
        meta["managedFields"] = managed
    else:
        meta.pop("managedFields", None)
    return merged


def _before_first_apply(live: dict, api_version: str) -> list:
    """Upstream's rule for an object without managedFields: what exists is owned by the
    Update manager ``before-first-apply``."""
    owned = applied_set({k: v for k, v in live.items() if k != "status"})
    return [[{"manager": "before-first-apply", "operation": "Update", "apiVersion": api_version},
             owned]] if owned else []


def conflict_error(conflicts: list) -> errors.ApiError:
    """NewConflictError of managedfields/internal/conflict.go: 409 Conflict, one cause each."""
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {_describe(m)}",
               "field": path_string(p)} for m, p in conflicts]
    if len(conflicts) == 1:
        m, p = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {_describe(m)}: {path_string(p)}"
    else:
        lines = []
        for who in sorted({_describe(m) for m, _ in conflicts}):
            lines.append(f"conflicts with {who}:")
            lines += [f"- {path_string(p)}" for m, p in conflicts if _describe(m) == who]
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.ApiError(errors.status(409, "Conflict", message, {"causes": causes}))


# -- updates ---------------------------------------------------------------------------------------
def update(old: dict, new: dict, manager: str, api_version: str, subresource: str | None,
           time: str) -> None:
    """An ordinary write of an object that has managedFields: ``manager`` takes the fields it
    changed, everyone loses the fields that are gone. ``new``'s managedFields are set in place
    (kept from ``old`` when the request carried none)."""
    meta = new.setdefault("metadata", {})
    if "managedFields" not in meta:
        meta["managedFields"] = (old.get("metadata") or {}).get("managedFields")
    if not meta.get("managedFields"):
        meta.pop("managedFields", None)
        return
    strip = lambda o: {k: v for k, v in o.items() if k != "metadata"} | \
        {"metadata": {k: v for k, v in (o.get("metadata") or {}).items() if k != "managedFields"}}
    before, after = flatten(strip(old)), flatten(strip(new))
    changed = {p for p, v in after.items() if before.get(p, MISSING) != v
               and (v is not _COMPOSITE or p not in before)} - _ignored(after)
    gone = set(before) - set(after)
    entries = _entries(meta["managedFields"])
    if not changed and not gone:
        return
    mine = manager_entry(entries, manager, "Update", api_version, subresource) if changed else None
    for e, paths in entries:
        paths -= changed | gone
    if mine is not None:
        mine[1] |= changed
    meta["managedFields"] = _encode(entries, time, _identity(mine[0]) if mine else None)


def manager_for(user_name: str) -> str:
    """The field manager of a write that names none: upstream takes the client's user agent
    up to its first ``/`` (``kube-controller-manager/v1.33.0 ...``); here the identity of the
    in-process component stands for it."""
    if user_name.startswith("system:serviceaccount:kube-system:") and user_name.endswith("-controller"):
        return "kube-controller-manager"
    if user_name.startswith("system:node:"):
        return "kubelet"
    if user_name == "system:kube-scheduler":
        return "kube-scheduler"
    return "kubectl"
