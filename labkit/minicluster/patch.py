"""The three PATCH flavours of the Kubernetes API.

- **JSON patch** (RFC 6902, ``application/json-patch+json``): a list of operations
  (``add``/``remove``/``replace``/``move``/``copy``/``test``) on JSON pointers. We use the
  ``jsonpatch`` library.
- **JSON merge patch** (RFC 7386, ``application/merge-patch+json``): a partial object; maps are
  merged recursively, ``null`` deletes a key, and *lists are replaced whole*.
- **Strategic merge patch** (``application/strategic-merge-patch+json``, kubectl's default):
  like a merge patch, but lists that carry a *merge key* in the Go types are merged item by item
  (containers by ``name``, ports by ``containerPort``...), and ``$patch: delete|replace`` and
  ``$retainKeys``/``$setElementOrder`` directives are understood. This is why
  ``kubectl patch deploy web -p '{"spec":{"template":{"spec":{"containers":[{"name":"web",
  "image":"nginx:1.16"}]}}}}'`` changes one container's image instead of dropping the others.

Simplification: the merge keys are a fixed table of the common list fields (below) rather than
the full OpenAPI ``x-kubernetes-patch-merge-key`` metadata.
"""
from __future__ import annotations

import jsonpatch

from . import errors
from .objects import clone

#: field name → merge key, for lists merged item by item (from the Go struct tags
#: ``patchMergeKey`` in k8s.io/api/core/v1/types.go, apps/v1/types.go and metav1.ObjectMeta).
#: Lists without a ``patchStrategy`` tag are replaced whole by a strategic merge patch, as
#: upstream does: Node ``spec.taints``, ``readinessGates`` and the ``containerStatuses`` lists
#: are such lists, so they are deliberately absent here.
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "env": "name", "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath",
    "ports": "containerPort", "imagePullSecrets": "name", "conditions": "type",
    "ownerReferences": "uid", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
    "addresses": "type", "secrets": "name", "schedulingGates": "name",
    "resourceClaims": "name", "podIPs": "ip", "hostIPs": "ip",
}
#: lists merged as sets of scalars (patchStrategy "merge" without a key)
SET_LISTS = {"finalizers"}
#: service ports merge on "port" instead of containerPort
_SERVICE_PORT_KEY = "port"


def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (neither argument is changed)."""
    return _merge_in_place(clone(target), clone(patch))


def _merge_in_place(result, patch):
    if not isinstance(patch, dict):
        return patch
    if not isinstance(result, dict):
        result = {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            result[k] = _merge_in_place(result.get(k), v)
        else:
            result[k] = v
    return result


#: what kube-apiserver answers for any JSON patch that does not apply (handlers/patch.go
#: ``applyJSPatch``: ``NewGenericServerResponse(422, ...)`` keeps only its generic message and an
#: empty ``details``; the json-patch library's own text, ``doc is missing path``, is dropped)
JSON_PATCH_REJECTED = "the server rejected our request due to an error in our request"


def json_patch(target, ops):
    """RFC 6902 JSON patch. A patch that is not a list is the decoder's 400; one whose
    operations do not apply (a missing path, a failed ``test``, an unknown ``op``) is the
    API server's generic 422 ``Invalid``, which says nothing about which operation failed."""
    if not isinstance(ops, list):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    try:
        return jsonpatch.apply_patch(target, ops)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, KeyError, IndexError,
            TypeError, ValueError, AttributeError):
        raise errors.ApiError(errors.status(422, "Invalid", JSON_PATCH_REJECTED, {})) from None


def strategic_merge_patch(target, patch, path: str = ""):
    """Strategic merge patch for Kubernetes objects (see module docstring). Neither argument is
    changed: both are copied once, then merged in place."""
    return _merge(clone(target), clone(patch), path)


def _merge(target, patch, path: str):
    """Merge ``patch`` into ``target`` in place (both are the caller's own copies)."""
    if not isinstance(patch, dict):
        return patch
    if patch.get("$patch") == "replace":
        return {k: v for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = target if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k[:1] == "$":
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            merged = _merge(result.get(k), v, f"{path}.{k}")
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        elif isinstance(v, list):
            result[k] = _merge_list(k, result.get(k), v, path)
        else:
            result[k] = v
    for k, v in patch.items():
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            result[field] = [x for x in result.get(field) or [] if x not in v]
        elif k.startswith("$setElementOrder/") and isinstance(result.get(k.split("/", 1)[1]), list):
            field = k.split("/", 1)[1]
            result[field] = _set_element_order(result[field], v, MERGE_KEYS.get(field))
    if retain is not None:
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _set_element_order(items: list, order: list, key) -> list:
    """``$setElementOrder/<field>``: the listed elements come in the listed order. Simplified:
    elements the directive does not list keep their relative order after the listed ones
    (upstream interleaves them by their former positions)."""
    ident = (lambda x: x.get(key) if isinstance(x, dict) else x) if key else (lambda x: x)
    rank = {ident(x): i for i, x in enumerate(order)}
    listed = sorted((x for x in items if ident(x) in rank), key=lambda x: rank[ident(x)])
    return listed + [x for x in items if ident(x) not in rank]


def _merge_list(field, current, items, path):
    key = MERGE_KEYS.get(field)
    if field == "ports" and path.endswith(".spec") and items and isinstance(items[0], dict) \
            and "port" in items[0] and "containerPort" not in items[0]:
        key = _SERVICE_PORT_KEY
    if field in SET_LISTS:
        out = list(current or [])
        for x in items:
            if x not in out:
                out.append(x)
        return out
    if key is None or not all(isinstance(x, dict) for x in items):
        return [x for x in items if not (isinstance(x, dict) and x.get("$patch"))]
    out = list(current or [])
    index = {x.get(key): i for i, x in enumerate(out) if isinstance(x, dict)}
    for item in items:
        k = item.get(key)
        if item.get("$patch") == "delete":
            out = [x for x in out if x.get(key) != k]
            index = {x.get(key): i for i, x in enumerate(out)}
            continue
        if k in index:
            out[index[k]] = _merge(out[index[k]], item, f"{path}.{field}")
        else:
            index[k] = len(out)
            out.append({kk: vv for kk, vv in item.items() if not kk.startswith("$")})
    return out


def apply_patch(target: dict, patch, patch_type: str):
    """Dispatch on the patch type name or content type."""
    t = {"application/json-patch+json": "json", "application/merge-patch+json": "merge",
         "application/strategic-merge-patch+json": "strategic",
         "application/apply-patch+yaml": "apply"}.get(patch_type, patch_type)
    if t == "json":
        return json_patch(target, patch)
    if t == "merge":
        if not isinstance(patch, dict):
            raise errors.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        return merge_patch(target, patch)
    if t in ("strategic", "apply"):
        if not isinstance(patch, dict):
            raise errors.bad_request("json: cannot unmarshal array into Go value of type map[string]interface {}")
        return strategic_merge_patch(target, patch)
    raise errors.unsupported_media(f'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json')


# -- creating a patch -------------------------------------------------------------------------
def two_way_patch(old: dict, new: dict) -> dict:
    """strategicpatch.CreateTwoWayMergePatch, for what the kubelet sends: the fields of ``new``
    that differ from ``old``; a field that is gone becomes ``null``; lists with a merge key are
    diffed item by item (changed items carry their key, removed ones ``$patch: delete``, and
    ``$setElementOrder/<field>`` gives the new order); other lists are sent whole. A missing
    field and a ``null`` one are the same (they are in Go's JSON)."""
    out = {}
    for k, v in new.items():
        before = old.get(k)
        if v == before or (v is None and k not in old):
            continue
        if isinstance(v, dict) and isinstance(before, dict):
            out[k] = two_way_patch(before, v)
        elif isinstance(v, list) and isinstance(before, list) and MERGE_KEYS.get(k) and \
                all(isinstance(x, dict) for x in v + before):
            out.update(_list_diff(k, MERGE_KEYS[k], before, v))
        else:
            out[k] = v
    out.update({k: None for k, v in old.items() if k not in new and v is not None})
    return out


def _list_diff(field: str, key: str, before: list, after: list) -> dict:
    was = {x.get(key): x for x in before}
    now = {x.get(key) for x in after}
    items = [x if x.get(key) not in was else {key: x.get(key), **two_way_patch(was[x.get(key)], x)}
             for x in after if was.get(x.get(key)) != x]
    items += [{key: k, "$patch": "delete"} for k in was if k not in now]
    out = {field: items} if items else {}
    if [x.get(key) for x in before] != [x.get(key) for x in after]:
        out[f"$setElementOrder/{field}"] = [{key: x.get(key)} for x in after]
    return out
