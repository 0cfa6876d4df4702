"""NamespaceLifecycle (k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle, v1.33).

- Nothing can be created (or updated) in a namespace that does not exist: the request fails with
  the namespace lookup's own 404, ``namespaces "team-a" not found``.
- Nothing new can be created in a namespace that is being deleted (403, with a
  ``NamespaceTerminating`` cause).
- ``default``, ``kube-system`` and ``kube-public`` can never be deleted.
"""
from __future__ import annotations

from .. import errors
from ..upstream import IMMORTAL_NAMESPACES
from .common import Request, cached_get, forbidden

#: access reviews are always allowed: a NotFound would leak which namespaces exist
_ACCESS_REVIEWS = {"localsubjectaccessreviews"}


def admit(api, req: Request) -> None:
    rt = req.rt
    if req.operation == "DELETE":
        if rt.kind == "Namespace" and rt.group == "" and \
                (req.obj.get("metadata") or {}).get("name") in IMMORTAL_NAMESPACES:
            raise forbidden(req, "this namespace may not be deleted")
        return
    if rt.kind == "Namespace" or not rt.namespaced or rt.plural in _ACCESS_REVIEWS:
        return
    ns = req.namespace
    namespace = cached_get(api, "namespaces", None, ns)
    if namespace is None:
        raise errors.not_found("namespaces", ns)
    if req.operation == "CREATE" and (namespace.get("status") or {}).get("phase") == "Terminating":
        raise forbidden(req, f"unable to create new content in namespace {ns} because it is "
                        "being terminated",
                        [{"reason": "NamespaceTerminating",
                          "message": f"namespace {ns} is being terminated",
                          "field": "metadata.namespace"}])
