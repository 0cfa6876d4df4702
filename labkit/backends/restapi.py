"""The API-server interface of the mini cluster, implemented over a real cluster's REST API.

:class:`RestApi` offers the same methods as :class:`labkit.minicluster.apiserver.APIServer`
(``create/get/list/update/patch/delete/watch``, plain-dict objects in and out, failures raised
as :class:`~labkit.minicluster.errors.ApiError` carrying the server's own ``Status``), so
everything built on top of it - labkit's kubectl, the cluster facade, the graders - runs
unchanged against kind or any kubeconfig. It uses the official ``kubernetes`` client's
``ApiClient`` for transport, authentication and TLS.
"""
from __future__ import annotations

import json
import re
import threading

from labkit.minicluster import errors
from labkit.minicluster.resources import REGISTRY

_PATCH_TYPES = {"json": "application/json-patch+json", "merge": "application/merge-patch+json",
                "strategic": "application/strategic-merge-patch+json",
                "apply": "application/apply-patch+yaml"}


class RestApi:
    """APIServer-compatible methods over HTTP (one ``kubernetes.client.ApiClient``)."""

    def __init__(self, api_client, registry=REGISTRY):
        self.client = api_client
        self.registry = registry

    # -- plumbing ---------------------------------------------------------------------------
    def resource(self, resource):
        return self.registry.for_name(resource)

    def _path(self, rt, namespace=None, name=None, subresource=None):
        base = f"/api/{rt.version}" if not rt.group else f"/apis/{rt.group}/{rt.version}"
        if rt.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{rt.plural}"
        if name:
            base += f"/{name}"
        if subresource:
            base += f"/{subresource}"
        return base

    def _request(self, method, path, query=None, body=None, content_type="application/json"):
        """Send one request; returns the official client's RESTResponse (not yet read)."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        query = [(k, v) for k, v in (query or {}).items() if v not in (None, "")]
        method, url, headers, body, _ = self.client.param_serialize(
            method, path, query_params=query, header_params=headers, body=body,
            auth_settings=["BearerToken"])
        return self.client.call_api(method, url, header_params=headers, body=body)

    def _call(self, method, path, query=None, body=None, content_type="application/json",
              raw=False):
        resp = self._request(method, path, query, body, content_type)
        data = resp.read()
        if resp.status >= 400:
            raise _error_from_body(resp.status, resp.reason, data)
        if raw:
            return data.decode("utf-8", "replace")
        return json.loads(data) if data else None

    # -- CRUD -------------------------------------------------------------------------------
    def create(self, resource, obj, namespace=None, dry_run=False, user=None):
        rt = self.resource(resource)
        ns = (namespace or (obj.get("metadata") or {}).get("namespace") or "default") if rt.namespaced else None
        return self._call("POST", self._path(rt, ns), {"dryRun": "All" if dry_run else None,
                                                       "fieldValidation": "Strict"}, obj)

    def get(self, resource, name, namespace=None, user=None):
        rt = self.resource(resource)
        return self._with_kind(rt, self._call("GET", self._path(rt, namespace or "default", name)))

    def list(self, resource, namespace=None, label_selector=None, field_selector=None,
             resource_version=None, limit=None, continue_=None, user=None):
        rt = self.resource(resource)
        if isinstance(label_selector, dict):
            from labkit.minicluster.selectors import from_label_selector
            label_selector = str(from_label_selector(label_selector))
        out = self._call("GET", self._path(rt, namespace if rt.namespaced else None),
                         {"labelSelector": label_selector, "fieldSelector": field_selector,
                          "resourceVersion": resource_version, "limit": limit, "continue": continue_})
        for item in out.get("items", []):
            self._with_kind(rt, item)
        return out

    def update(self, resource, obj, namespace=None, subresource=None, dry_run=False, user=None):
        rt = self.resource(resource)
        meta = obj.get("metadata") or {}
        ns = (namespace or meta.get("namespace") or "default") if rt.namespaced else None
        return self._call("PUT", self._path(rt, ns, meta.get("name"), subresource),
                          {"dryRun": "All" if dry_run else None}, obj)

    def patch(self, resource, name, patch, patch_type="strategic", namespace=None,
              subresource=None, dry_run=False, user=None, field_manager=None, force=None):
        rt = self.resource(resource)
        ns = (namespace or "default") if rt.namespaced else None
        query = {"dryRun": "All" if dry_run else None, "fieldManager": field_manager,
                 "force": None if force is None else str(bool(force)).lower()}
        return self._call("PATCH", self._path(rt, ns, name, subresource), query, patch,
                          _PATCH_TYPES.get(patch_type, patch_type))

    def delete(self, resource, name, namespace=None, propagation_policy=None,
               grace_period_seconds=None, preconditions=None, dry_run=False, user=None):
        rt = self.resource(resource)
        ns = (namespace or "default") if rt.namespaced else None
        body = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if propagation_policy:
            body["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        if preconditions:
            body["preconditions"] = preconditions
        if dry_run:
            body["dryRun"] = ["All"]
        return self._call("DELETE", self._path(rt, ns, name), None, body)

    def bind(self, name, namespace, node_name, user=None):
        body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": name},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node_name}}
        return self._call("POST", self._path(self.resource("pods"), namespace, name, "binding"), None, body)

    def logs(self, name, namespace="default", container=None, previous=False, tail=None,
             timestamps=False):
        return self._call("GET", self._path(self.resource("pods"), namespace, name, "log"),
                          {"container": container, "previous": "true" if previous else None,
                           "tailLines": tail, "timestamps": "true" if timestamps else None}, raw=True)

    def exec(self, name, namespace, command, container=None, stdin=None):
        """``pods/exec`` through the official client's WebSocket ``stream()``:
        ``(exit_code, stdout, stderr)``; raises ApiError for a refused or failed exec."""
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException
        from kubernetes.stream import stream
        core = client.CoreV1Api(self.client)
        extra = {"container": container} if container else {}
        try:
            ws = stream(core.connect_get_namespaced_pod_exec, name, namespace, command=list(command),
                        stdin=stdin is not None, stdout=True, stderr=True, tty=False,
                        _preload_content=False, **extra)
        except ApiException as e:  # the handshake was refused: "... -+-+- headers -+-+- body"
            reason = str(e.reason or "")
            status = re.search(r"Handshake status (\d+)", reason)
            raise _error_from_body(int(status.group(1)) if status else 500, None,
                                   reason.rpartition("-+-+- ")[2].encode()) from None
        if stdin is not None:
            ws.write_stdin(stdin)
            ws.close_channel(0)  # v5: end of input
        ws.run_forever()
        out, err = ws.read_stdout() or "", ws.read_stderr() or ""
        status = json.loads(ws.read_channel(3) or '{"status": "Success"}')
        if status.get("status") == "Success":
            return 0, out, err
        if status.get("reason") == "NonZeroExitCode":
            return int(status["details"]["causes"][0]["message"]), out, err
        raise errors.ApiError({"kind": "Status", "apiVersion": "v1", **status})

    def watch(self, resource, callback, namespace=None, resource_version=None,
              label_selector=None, field_selector=None, user=None, timeout_seconds=None):
        """Stream events to ``callback(type, obj)`` from a background thread; returns cancel().

        The request is made here, so a refused watch raises ApiError at once, as
        APIServer.watch does; an ``ERROR`` event in the stream (410 Gone for a compacted
        resourceVersion) ends it. ``cancel()`` closes the connection: no callback runs after
        it returns, even while the server has nothing to send."""
        rt = self.resource(resource)
        stop = threading.Event()
        lock = threading.Lock()  # held while a callback runs, so cancel() waits for it
        path = self._path(rt, namespace if rt.namespaced else None)
        query = {"watch": "true", "resourceVersion": resource_version, "labelSelector": label_selector,
                 "fieldSelector": field_selector, "timeoutSeconds": timeout_seconds}
        resp = self._request("GET", path, query)
        if resp.status >= 400:
            raise _error_from_body(resp.status, resp.reason, resp.read())

        def deliver(line):
            ev = json.loads(line)
            if ev.get("type") not in ("ADDED", "MODIFIED", "DELETED"):
                return ev.get("type") != "ERROR"  # BOOKMARK: go on; ERROR: the stream is over
            with lock:
                if not stop.is_set():
                    callback(ev["type"], self._with_kind(rt, ev["object"]))
            return True

        def run():
            buf = b""
            try:
                for chunk in resp.response.stream(4096, decode_content=True):
                    buf += chunk
                    while b"\n" in buf and not stop.is_set():
                        line, buf = buf.split(b"\n", 1)
                        if line.strip() and not deliver(line):
                            return
                    if stop.is_set():
                        return
            except Exception:  # noqa: BLE001 - the connection was closed by cancel() or the server
                pass
            finally:
                resp.response.release_conn()

        threading.Thread(target=run, daemon=True, name=f"watch-{rt.plural}").start()

        def cancel():
            with lock:
                stop.set()
            try:
                resp.response.shutdown()
            except Exception:  # noqa: BLE001 - already closed
                pass

        return cancel

    @staticmethod
    def _with_kind(rt, obj):
        if isinstance(obj, dict) and obj.get("metadata") is not None:
            obj.setdefault("kind", rt.kind)
            obj.setdefault("apiVersion", rt.api_version)
        return obj


def _error_from_body(code, reason, data) -> errors.ApiError:
    """An error response → ApiError carrying the server's own Status object."""
    try:
        body = json.loads(data) if data else None
    except (ValueError, TypeError):
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        body.setdefault("code", code)
        body.setdefault("message", reason or "")
        return errors.ApiError(body)
    text = data.decode("utf-8", "replace").strip() if data else (reason or "")
    return errors.ApiError(errors.status(code, reason or "Unknown", text))
