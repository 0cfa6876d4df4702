"""OpenAPI documents (``/openapi/v2`` and ``/openapi/v3``), generated from the resource registry.

kubectl reads them to learn that the server validates fields itself (the ``fieldValidation``
query parameter), ``kubectl apply`` reads the patch strategies and merge keys of each field,
and ``kubectl explain`` reads the fields. The schemas are built by :mod:`.openapi_schemas`
from :mod:`labkit.minicluster.schema`.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import orjson

from ..resources import REGISTRY
from ..upstream import KUBERNETES_VERSION
from .discovery import group_versions
from .openapi_schemas import all_components, closure

# The documents are built on the first request for them (reading upstream's definitions to
# document them takes a few tens of milliseconds) and cached: cluster start pays nothing.


def _gv_path(group, version):
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _operations(rt, ref):
    gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
    body = {"content": {"application/json": {"schema": {"$ref": ref}}}}
    ok = {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}}
    fv = {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    dry = {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}}
    op = lambda action, **extra: {"operationId": f"{action}{rt.kind}", "responses": ok,
                                  "x-kubernetes-action": action,
                                  "x-kubernetes-group-version-kind": gvk, **extra}
    item = {"get": op("get"), "put": op("put", requestBody=body, parameters=[fv, dry]),
            "patch": op("patch", parameters=[fv, dry],
                        requestBody={"content": {t: {"schema": {"type": "object"}} for t in (
                            "application/json-patch+json", "application/merge-patch+json",
                            "application/strategic-merge-patch+json", "application/apply-patch+yaml")}}),
            "delete": op("delete")}
    collection = {"get": op("list"), "post": op("post", requestBody=body, parameters=[fv, dry])}
    return collection, item


@lru_cache(maxsize=64)
def _v3_gv(group, version) -> bytes:
    prefix = "#/components/schemas/"
    all_schemas, kind_names = all_components(prefix)
    paths, roots = {}, []
    for rt in REGISTRY.all():
        if rt.group != group or rt.version != version:
            continue
        name = kind_names[(rt.group, rt.version, rt.kind)]
        roots.append(name)
        ref = prefix + name
        base = "/" + _gv_path(group, version)
        coll = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
        collection, item = _operations(rt, ref)
        paths[coll] = collection
        paths[coll + "/{name}"] = item
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
           "paths": paths, "components": {"schemas": closure(all_schemas, roots, prefix)}}
    return orjson.dumps(doc)


@lru_cache(maxsize=1)
def _v2() -> bytes:
    definitions, kind_names = all_components("#/definitions/")
    paths = {}
    for rt in REGISTRY.all():
        base = "/" + _gv_path(rt.group, rt.version)
        coll = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        paths[coll] = {"post": {"x-kubernetes-group-version-kind": gvk, "parameters": [
            {"name": "fieldValidation", "in": "query", "type": "string", "uniqueItems": True}],
            "responses": {"200": {"description": "OK"}}}}
    return orjson.dumps({"swagger": "2.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
                         "paths": paths, "definitions": definitions})


def group_version_document(group: str, version: str) -> dict:
    """The ``/openapi/v3/api/v1`` (or ``apis/<group>/<version>``) document, as a fresh dict."""
    return orjson.loads(_v3_gv(group, version))


def document(path: str):
    """The OpenAPI document for a request path, or None."""
    path = path.rstrip("/")
    if path == "/openapi/v2":
        return orjson.loads(_v2())
    if path == "/openapi/v3":
        out = {}
        for group, versions in group_versions().items():
            for v in versions:
                gv = _gv_path(group, v)
                digest = hashlib.sha512(_v3_gv(group, v)).hexdigest()[:64].upper()
                out[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest}"}
        return {"paths": out}
    if path.startswith("/openapi/v3/"):
        parts = path[len("/openapi/v3/"):].split("/")
        if parts[:1] == ["api"] and len(parts) == 2:
            return orjson.loads(_v3_gv("", parts[1]))
        if parts[:1] == ["apis"] and len(parts) == 3:
            if (parts[1], parts[2]) in {(g, v) for g, vs in group_versions().items() for v in vs}:
                return orjson.loads(_v3_gv(parts[1], parts[2]))
    return None
