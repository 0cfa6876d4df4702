"""Request handling: HTTP verb + path + query → an API server call → JSON (or a watch stream).

Verb mapping (https://kubernetes.io/docs/reference/access-authn-authz/authorization/#determine-the-request-verb):
GET one → get, GET collection → list (or watch with ``?watch=1``), POST → create, PUT → update,
PATCH → patch (by Content-Type), DELETE one → delete, DELETE collection → deletecollection.
"""
from __future__ import annotations

import asyncio
import collections
import re

import orjson
import tornado.web

from .. import errors
from . import discovery, openapi, paths, subresources, tables

APPLY = "application/apply-patch+yaml"


def _json(obj) -> bytes:
    return orjson.dumps(obj)


def _strict_message(unknown: list[str]) -> str:
    return "strict decoding error: " + ", ".join(f'unknown field "{f}"' for f in unknown)


def _drop_path(obj, path: str) -> None:
    """Remove the field at a decoder path like ``spec.containers[0].bogus``."""
    parts = [p for p in re.split(r"\.|(\[\d+\])", path) if p]
    for part in parts[:-1]:
        obj = obj[int(part[1:-1])] if part.startswith("[") and isinstance(obj, list) else \
            (obj.get(part) if isinstance(obj, dict) else None)
        if obj is None:
            return
    if isinstance(obj, dict):
        obj.pop(parts[-1], None)


class KubeHandler(tornado.web.RequestHandler):
    """One handler for every path; dispatches by path shape and verb."""

    def initialize(self, server):
        self.server = server
        self.cluster = server.cluster
        self.api = server.cluster.api

    # -- plumbing ---------------------------------------------------------------------------
    def check_xsrf_cookie(self):  # an API, not a browser form
        return None

    def send_json(self, obj, code: int = 200) -> None:
        self.set_status(code)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache, private")
        self.finish(_json(obj))

    def send_error_status(self, err: errors.ApiError) -> None:
        self.send_json(err.status, err.code)

    def q(self, name, default=None):
        return self.get_query_argument(name, default)

    def body_json(self):
        ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip()
        if ctype == "application/vnd.kubernetes.protobuf":
            from . import protobuf
            return protobuf.decode(self.request.body)
        try:
            return orjson.loads(self.request.body or b"null")
        except orjson.JSONDecodeError:
            import yaml
            try:
                return yaml.safe_load(self.request.body)
            except yaml.YAMLError as e:
                raise errors.bad_request(f"error decoding request body: {e}") from None

    def user(self):
        return self.server.auth.authenticate(self.request.headers.get("Authorization"))

    # -- verbs ------------------------------------------------------------------------------
    async def get(self):
        await self._dispatch("GET")

    async def post(self):
        await self._dispatch("POST")

    async def put(self):
        await self._dispatch("PUT")

    async def patch(self):
        await self._dispatch("PATCH")

    async def delete(self):
        await self._dispatch("DELETE")

    async def _dispatch(self, verb):
        path = self.request.path.rstrip("/") or "/"
        try:
            if path in ("/healthz", "/livez", "/readyz"):
                self.set_header("Content-Type", "text/plain; charset=utf-8")
                return self.finish("ok")
            if path == "/version":
                return self.send_json(discovery.version_info())
            user = self.user()
            if user is None:
                raise errors.unauthorized()
            if verb == "GET" and self._discovery(path):
                return
            if path.startswith("/openapi"):
                return self._openapi(path)
            target = paths.parse(path, self.api.registry)
            if target.subresource or (target.rt.kind in subresources.POST_ONLY and verb == "POST"):
                return await subresources.handle(self, verb, target, user)
            if verb == "GET" and (target.watch_prefix or self.q("watch") in ("1", "true")):
                return await self._watch(target, user)
            with self.cluster.lock:
                result, code = self._crud(verb, target, user)
            self._respond(target, result, code)
        except errors.ApiError as e:
            self.send_error_status(e)
        except Exception as e:  # a bug: answer like kube-apiserver does, keep serving
            import logging
            logging.getLogger("labkit.http").exception("internal error on %s %s", verb, path)
            if not self._finished:
                self.send_error_status(errors.internal(f"{type(e).__name__}: {e}"))

    def _respond(self, target, result, code):
        accept = self.request.headers.get("Accept", "")
        if "as=Table" in accept and self.request.method == "GET":
            result = tables.to_table(self.cluster, target.rt, result,
                                     include_object=self.q("includeObject", "Metadata"))
        self.send_json(result, code)

    # -- CRUD -------------------------------------------------------------------------------
    def _options(self, apply: bool = False):
        """dryRun and fieldManager. A write that names no manager is recorded under its
        client's user agent up to the first ``/`` (``kubectl``, ``OpenAPI-Generator``); an
        apply must name one."""
        manager = self.q("fieldManager")
        if not manager and not apply:
            manager = self.request.headers.get("User-Agent", "").split("/")[0][:128] or None
        return {"dry_run": self.q("dryRun") == "All", "field_manager": manager}

    def _crud(self, verb, t, user):
        api, rt = self.api, t.rt
        if verb == "GET" and t.name:
            return api.get(rt, t.name, t.namespace, user=user), 200
        if verb == "GET":
            lst = api.list(rt, t.namespace, self.q("labelSelector"), self.q("fieldSelector"),
                           self.q("resourceVersion"), self.q("limit"), self.q("continue"), user=user)
            for item in lst["items"]:  # list items carry no kind/apiVersion on the wire
                item.pop("kind", None)
                item.pop("apiVersion", None)
            return lst, 200
        if verb == "POST" and not t.name:
            body = self.body_json()
            self._strict_fields(rt, body)
            obj = api.create(rt, body, t.namespace, user=user, **self._options())
            self.server.after_write()
            return obj, 201
        if verb == "PUT" and t.name:
            body = self.body_json()
            self._strict_fields(rt, body)
            if isinstance(body, dict) and (body.get("metadata") or {}).get("name") not in (None, t.name):
                raise errors.bad_request("the name of the object does not match the name on the URL")
            obj = api.update(rt, body, t.namespace, user=user, **self._options())
            self.server.after_write()
            return obj, 200
        if verb == "PATCH" and t.name:
            ctype = self.request.headers.get("Content-Type", "").split(";")[0].strip()
            created = ctype == APPLY and api.store.get(api.key(rt, t.namespace, t.name)) is None
            obj = self._patch(t, self.body_json(), ctype, user)
            self.server.after_write()
            return obj, 201 if created else 200
        if verb == "DELETE" and t.name:
            opts = self.body_json() or {}
            obj = api.delete(rt, t.name, t.namespace, **self._delete_options(opts), user=user)
            self.server.after_write()
            return obj, 200
        if verb == "DELETE":
            return self._delete_collection(t, user), 200
        raise errors.method_not_allowed(f"the server does not allow this method on the requested resource")

    def _delete_options(self, opts):
        policy = self.q("propagationPolicy") or opts.get("propagationPolicy")
        if opts.get("orphanDependents") is True and policy is None:
            policy = "Orphan"
        grace = self.q("gracePeriodSeconds") or opts.get("gracePeriodSeconds")
        return {"propagation_policy": policy,
                "grace_period_seconds": None if grace is None else int(grace),
                "preconditions": opts.get("preconditions"),
                "dry_run": self.q("dryRun") == "All" or opts.get("dryRun") == ["All"]}

    def _delete_collection(self, t, user):
        with self.cluster.lock:
            self.api.authorize(user, "deletecollection", t.rt, t.namespace)
            lst = self.api.list(t.rt, t.namespace, self.q("labelSelector"), self.q("fieldSelector"),
                                user=user)
            opts = self._delete_options(self.body_json() or {})
            for item in lst["items"]:
                m = item["metadata"]
                self.api.delete(t.rt, m["name"], m.get("namespace"), user=user, **opts)
            self.server.after_write()
        return {"kind": t.rt.list_kind, "apiVersion": t.rt.api_version,
                "metadata": {}, "items": lst["items"]}

    def _field_validation(self) -> str:
        """``fieldValidation``: Strict (what kubectl sends), Warn (the server's default when the
        parameter is absent, e.g. the official Python client) or Ignore."""
        return self.q("fieldValidation", "Warn")

    def _strict_fields(self, rt, body):
        """Unknown fields in a POST/PUT body: a 400 under Strict, worded like the apiserver's
        ``transformDecodeError`` (``Deployment in version "v1" cannot be handled as a
        Deployment: strict decoding error: unknown field "spec.foo"``); under Warn a warning
        each, and the fields are dropped (decoding into the Go struct loses them)."""
        mode = self._field_validation()
        if mode == "Ignore" or not isinstance(body, dict):
            return
        unknown = self._unknown(rt, body, mode)
        if unknown:
            version = str(body.get("apiVersion", "")).rpartition("/")[2]
            raise errors.bad_request(f'{body.get("kind") or rt.kind} in version "{version}" cannot be '
                                     f"handled as a {rt.kind}: " + _strict_message(unknown))

    def _patch(self, t, body, ctype, user):
        """PATCH. Upstream decodes the patched object into the Go struct: unknown fields are
        ``strict decoding error: unknown field "spec.foo"`` (no kind prefix) under Strict, a
        warning and dropped under Warn."""
        api, mode = self.api, self._field_validation()
        if ctype == APPLY:  # the body is the object itself (server-side apply)
            if mode != "Ignore" and isinstance(body, dict):
                unknown = self._unknown(t.rt, body, mode)
                if unknown:
                    raise errors.bad_request(_strict_message(unknown))
            return api.patch(t.rt, t.name, body, ctype, t.namespace, user=user,
                             force=self.q("force"), **self._options(apply=True))
        if mode != "Ignore":
            from ..patch import apply_patch
            api._authorize(user, "patch", t.rt, t.namespace, t.name, None)
            current = api.get(t.rt, t.name, t.namespace)
            patched = apply_patch(current, body, ctype)
            if isinstance(patched, dict):
                unknown = self._unknown(t.rt, patched, mode)
                if unknown:
                    raise errors.bad_request(_strict_message(unknown))
                if self._dropped:  # Warn: store the patched object without them
                    patched["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                    return api.update(t.rt, patched, t.namespace, user=user, **self._options())
        return api.patch(t.rt, t.name, body, ctype, t.namespace, user=user, force=self.q("force"),
                         **self._options())

    def _unknown(self, rt, body, mode) -> list[str]:
        """Unknown field paths under Strict; under Warn, one ``Warning`` header each, the
        fields removed from ``body`` (``self._dropped`` says so), and []."""
        from ..schema import unknown_fields
        unknown = unknown_fields(rt, body)
        self._dropped = mode == "Warn" and bool(unknown)
        if mode == "Warn":
            for f in unknown:
                self.add_header("Warning", f'299 - "unknown field \\"{f}\\""')
                _drop_path(body, f)
            return []
        return unknown

    # -- discovery and openapi --------------------------------------------------------------
    def _discovery(self, path) -> bool:
        accept = self.request.headers.get("Accept", "")
        aggregated = "as=APIGroupDiscoveryList" in accept
        reg = self.api.registry  # with the groups of installed add-ons (metrics.k8s.io)
        if path == "/api":
            if aggregated:
                self._send_aggregated(discovery.aggregated(legacy=True, registry=reg))
            else:
                self.send_json(discovery.api_versions())
            return True
        if path == "/apis":
            if aggregated:
                self._send_aggregated(discovery.aggregated(legacy=False, registry=reg))
            else:
                self.send_json(discovery.api_group_list(reg))
            return True
        parts = path.strip("/").split("/")
        if parts == ["api", "v1"]:
            self.send_json(discovery.resource_list("", "v1", reg))
            return True
        if parts[0] == "apis" and len(parts) == 2:
            doc = discovery.api_group(parts[1], reg)
            if doc is None:
                raise errors.no_route()
            self.send_json(doc)
            return True
        if parts[0] == "apis" and len(parts) == 3:
            doc = discovery.resource_list(parts[1], parts[2], reg)
            if doc is None:
                raise errors.no_route()
            self.send_json(doc)
            return True
        return False

    def _send_aggregated(self, doc):
        self.set_header("Content-Type",
                        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
        self.finish(_json(doc))

    def _openapi(self, path):
        if "protobuf" in self.request.headers.get("Accept", "") and path.rstrip("/") == "/openapi/v2":
            # kubectl's client-side validation fallback asks for the v2 document in protobuf.
            # An empty message is a valid (empty) OpenAPI v2 document: no schemas, so kinds
            # the server does not serve reach discovery and fail there ("no matches for
            # kind"), as on a real cluster. Served kinds are validated server-side (v3 says
            # every operation accepts fieldValidation).
            self.set_header("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
            return self.finish(b"")
        doc = openapi.document(path)
        if doc is None:
            raise errors.no_route()
        self.send_json(doc)

    # -- watch ------------------------------------------------------------------------------
    async def _watch(self, t, user):
        """Stream watch events as newline-delimited JSON until timeoutSeconds or disconnect."""
        events: collections.deque = collections.deque()
        wake = asyncio.Event()
        ioloop = asyncio.get_running_loop()
        initial_end = self.q("sendInitialEvents") == "true"

        def on_event(etype, obj):
            events.append({"type": etype, "object": obj})
            ioloop.call_soon_threadsafe(wake.set)

        rv = self.q("resourceVersion")
        try:
            with self.cluster.lock:
                cancel = self.api.watch(t.rt, on_event, t.namespace,
                                        None if initial_end else rv,
                                        self.q("labelSelector"), self.q("fieldSelector"), user=user)
                current_rv = str(self.cluster.store.revision)
        except errors.ApiError as e:
            if e.code != 410:
                raise
            self.set_header("Content-Type", "application/json")
            self.finish(_json({"type": "ERROR", "object": e.status}) + b"\n")
            return
        if initial_end:
            events.append({"type": "BOOKMARK", "object": {
                "kind": t.rt.kind, "apiVersion": t.rt.api_version,
                "metadata": {"resourceVersion": current_rv,
                             "annotations": {"k8s.io/initial-events-end": "true"}}}})
        timeout = float(self.q("timeoutSeconds") or 1800)
        deadline = ioloop.time() + timeout
        self.set_header("Content-Type", "application/json")
        self.set_header("Transfer-Encoding", "chunked")
        as_table = "as=Table" in self.request.headers.get("Accept", "")
        try:
            while True:
                while events:
                    ev = events.popleft()
                    if as_table and ev["type"] in ("ADDED", "MODIFIED", "DELETED"):
                        ev, as_table = self._table_event(t, ev, as_table)
                    self.write(_json(ev) + b"\n")
                await self.flush()
                remaining = deadline - ioloop.time()
                if remaining <= 0:
                    break
                wake.clear()
                try:
                    await asyncio.wait_for(wake.wait(), timeout=min(remaining, 5.0))
                except asyncio.TimeoutError:
                    pass
        except tornado.iostream.StreamClosedError:
            pass
        finally:
            with self.cluster.lock:
                cancel()
        if not self._finished:
            self.finish()

    def _table_event(self, t, ev, state):
        """A watch event for ``kubectl get -w``: its object is a Table of one row; like the
        apiserver, only the first such event carries the column definitions."""
        with self.cluster.lock:
            table = tables.to_table(self.cluster, t.rt, ev["object"],
                                    include_object=self.q("includeObject", "Metadata"))
        if state == "sent-columns":
            table["columnDefinitions"] = None
        return {"type": ev["type"], "object": table}, "sent-columns"

    def on_connection_close(self):
        pass
