"""Admission control: plugins that may change (mutating) or refuse (validating) a request after
authorization and before storage.

The mini API server runs, in upstream's order, the subset of kube-apiserver's default plugins
(pkg/kubeapiserver/options/plugins.go, v1.33) that matter without webhooks:

====================  =========  ============================================================
plugin                phase      what it does
====================  =========  ============================================================
NamespaceLifecycle    mutating   no content in missing or terminating namespaces; the system
                                 namespaces cannot be deleted (:mod:`.lifecycle`)
LimitRanger           both       default requests/limits, enforce min/max (:mod:`.limitranger`)
ServiceAccount        both       default ``serviceAccountName``, mount the API token
                                 (:mod:`.serviceaccount`)
Priority              both       ``spec.priority`` from the PriorityClass (:mod:`.podplugins`)
DefaultToleration-    mutating   tolerate not-ready/unreachable nodes for 300 s
Seconds
DefaultStorageClass   mutating   claims without a class get the default class
StorageObjectInUse-   mutating   claims and volumes get a protection finalizer (:mod:`.storage`)
Protection
DefaultIngressClass   mutating   Ingresses without a class get the default class
ResourceQuota         validating usage within quota, constraints (:mod:`.resourcequota`)
====================  =========  ============================================================

Not run: TaintNodesByCondition, PodSecurity (no namespace labels enforce anything by default),
webhooks and admission policies, certificate plugins, PersistentVolumeClaimResize,
RuntimeClass. Service cluster IPs and node ports are allocated in the mutating phase too (:mod:`.services`), where upstream's Service storage does it.
"""
from __future__ import annotations

import random

from . import (lifecycle, limitranger, podplugins, resourcequota, serviceaccount, services,
               storage)
from .common import Request


class Admission:
    """The admission chain of the mini API server."""

    MUTATING = ("NamespaceLifecycle", "LimitRanger", "ServiceAccount", "Priority",
                "DefaultTolerationSeconds", "DefaultStorageClass", "StorageObjectInUseProtection",
                "DefaultIngressClass")
    VALIDATING = ("LimitRanger", "ServiceAccount", "Priority", "ResourceQuota")

    def __init__(self, api):
        self.api = api
        # Random names (kube-api-access-xxxxx), IPs and ports come from an RNG derived from the
        # API server's without drawing from it, so other components' random streams are intact.
        self.rng = random.Random(repr(api.rng.getstate()[1][:8]))

    def mutating_names(self) -> list[str]:
        return list(self.MUTATING)

    def validating_names(self) -> list[str]:
        return list(self.VALIDATING)

    def mutate(self, operation, rt, obj, old, user):
        """The mutating phase; returns the (possibly changed) object."""
        api, req = self.api, Request(operation, rt, obj, old, user)
        lifecycle.admit(api, req)
        limitranger.admit(api, req)
        serviceaccount.admit(api, req, self.rng)
        podplugins.priority(api, req)
        podplugins.default_toleration_seconds(req)
        podplugins.default_storage_class(api, req)
        storage.in_use_protection(req)
        podplugins.default_ingress_class(api, req)
        services.allocate(api, req, self.rng)
        return obj

    def validate(self, operation, rt, obj, old, user, dry_run: bool = False) -> None:
        """The validating phase (after schema validation); raises ApiError to refuse."""
        api, req = self.api, Request(operation, rt, obj, old, user, dry_run)
        limitranger.validate(api, req)
        serviceaccount.validate(api, req)
        podplugins.validate_priority_class(api, req)
        resourcequota.validate(api, req)

    def admit_delete(self, rt, obj, user) -> None:
        """Admission of a DELETE (NamespaceLifecycle keeps the system namespaces)."""
        lifecycle.admit(self.api, Request("DELETE", rt, obj, None, user))

    def sync_quota_status(self, namespace: str, name: str | None = None) -> None:
        """Recompute ResourceQuota status from stored objects (for a quota controller)."""
        resourcequota.sync_status(self.api, namespace, name)


__all__ = ["Admission", "Request"]
