"""OpenAPI documents (``/openapi/v2`` and ``/openapi/v3``), generated from the resource registry.

kubectl reads them to learn that the server validates fields itself (the ``fieldValidation``
query parameter), and ``kubectl explain`` reads their schemas. Schemas come from
:mod:`labkit.minicluster.schema` when it describes a kind; otherwise an open object.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import orjson

from ..resources import REGISTRY
from ..upstream import KUBERNETES_VERSION
from .discovery import group_versions


def _gv_path(group, version):
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def _definition_name(rt):
    group = {"": "core", "apps": "apps", "batch": "batch"}.get(rt.group, rt.group.split(".")[0])
    return f"io.k8s.api.{group}.{rt.version}.{rt.kind}"


def _schema_for(rt, ref_prefix):
    try:
        from ..schema import openapi_schema
        schema = openapi_schema(rt, ref_prefix)
    except (ImportError, AttributeError):
        schema = None
    if schema is None:
        schema = {"type": "object", "description": f"{rt.kind} ({rt.api_version})",
                  "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                 "metadata": {"type": "object"},
                                 "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                 "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                  "x-kubernetes-preserve-unknown-fields": True}
    schema = dict(schema)
    schema["x-kubernetes-group-version-kind"] = [{"group": rt.group, "version": rt.version, "kind": rt.kind}]
    return schema


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
    paths, schemas = {}, {}
    for rt in REGISTRY.all():
        if rt.group != group or rt.version != version:
            continue
        name = _definition_name(rt)
        ref = f"#/components/schemas/{name}"
        schemas[name] = _schema_for(rt, "#/components/schemas/")
        base = "/" + _gv_path(group, version)
        coll = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
        collection, item = _operations(rt, ref)
        paths[coll] = collection
        paths[coll + "/{name}"] = item
    doc = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
           "paths": paths, "components": {"schemas": schemas}}
    return orjson.dumps(doc)


@lru_cache(maxsize=1)
def _v2() -> bytes:
    paths, definitions = {}, {}
    for rt in REGISTRY.all():
        name = _definition_name(rt)
        definitions[name] = _schema_for(rt, "#/definitions/")
        base = "/" + _gv_path(rt.group, rt.version)
        coll = f"{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"{base}/{rt.plural}"
        gvk = {"group": rt.group, "version": rt.version, "kind": rt.kind}
        paths[coll] = {"post": {"x-kubernetes-group-version-kind": gvk, "parameters": [
            {"name": "fieldValidation", "in": "query", "type": "string", "uniqueItems": True}],
            "responses": {"200": {"description": "OK"}}}}
    return orjson.dumps({"swagger": "2.0", "info": {"title": "Kubernetes", "version": KUBERNETES_VERSION},
                         "paths": paths, "definitions": definitions})


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
