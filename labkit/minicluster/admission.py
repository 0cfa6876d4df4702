"""Admission control: plugins that may change (mutating) or refuse (validating) a request after
authorization and before storage.

(Initial version: NamespaceLifecycle only; extended by the API machinery work.)
"""
from __future__ import annotations

from . import errors


class Admission:
    """The admission chain of the mini API server."""

    def __init__(self, api):
        self.api = api

    def mutating_names(self):
        return ["NamespaceLifecycle"]

    def validating_names(self):
        return []

    def mutate(self, operation, rt, obj, old, user):
        if operation == "CREATE" and rt.namespaced:
            self._namespace_lifecycle(obj["metadata"]["namespace"], rt)
        return obj

    def validate(self, operation, rt, obj, old, user):
        return None

    def _namespace_lifecycle(self, ns, rt):
        kv = self.api.store.get(f"/registry/namespaces/{ns}")
        if kv is None:
            raise errors.not_found("namespaces", ns)
        ns_obj = self.api._decode(kv)
        if ns_obj["metadata"].get("deletionTimestamp") and rt.kind not in ("Event",):
            raise errors.ApiError(errors.status(
                403, "Forbidden",
                f'{rt.plural} "{""}" is forbidden: unable to create new content in namespace {ns} '
                "because it is being terminated"))
