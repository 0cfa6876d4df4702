"""StatefulSet claims and ``persistentVolumeClaimRetentionPolicy`` (GA in v1.32).

Upstream: pkg/controller/statefulset/stateful_set_utils.go (getPersistentVolumeClaimRetentionPolicy,
isClaimOwnerUpToDate, updateClaimOwnerRefForSetAndPod, hasUnexpectedController, hasStaleOwnerRef)
and stateful_pod_control.go (createPersistentVolumeClaims, ClaimsMatchRetentionPolicy,
UpdatePodClaimForRetentionPolicy, PodClaimIsStale).

The controller never deletes a claim itself. It sets **ownerReferences** on each claim and lets the
garbage collector delete the claim when its owner goes away:

================  ================  ==========================================================
``whenScaled``    ``whenDeleted``   owner of claim ``www-web-N``
================  ================  ==========================================================
Retain            Retain            nobody (the default: claims outlive everything)
Retain            Delete            the StatefulSet (deleting the set deletes its claims)
Delete            Retain            the pod, once the pod is scaled away (ordinal >= replicas)
Delete            Delete            the set while the pod is in range, the pod once scaled away
================  ================  ==========================================================

A claim with an owner reference to an older pod of the same name (the UID differs) is *stale*:
the controller does not recreate that pod until the garbage collector has removed the claim.
A claim with another controller is left alone (``ConflictingController`` event).
"""
from __future__ import annotations

from ..errors import ApiError
from ..objects import clone, owner_reference

RETAIN, DELETE = "Retain", "Delete"
SET_KIND, POD_KIND = ("apps/v1", "StatefulSet"), ("v1", "Pod")


def retention_policy(s: dict) -> tuple[str, str]:
    """(whenScaled, whenDeleted); Retain for what is unset."""
    p = s["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    return p.get("whenScaled") or RETAIN, p.get("whenDeleted") or RETAIN


def ordinal_range(s: dict) -> range:
    start = (s["spec"].get("ordinals") or {}).get("start", 0)
    return range(start, start + s["spec"].get("replicas", 1))


def _refs(obj: dict) -> list:
    return (obj.get("metadata") or {}).get("ownerReferences") or []


def _uid(obj: dict) -> str:
    return obj["metadata"].get("uid", "")


def _matches(ref: dict, obj: dict, kind: tuple) -> bool:
    """matchesRef: same group/version, kind and name (whatever the UID)."""
    return (ref.get("apiVersion"), ref.get("kind")) == kind and ref.get("name") == obj["metadata"]["name"]


def has_owner_ref(target: dict, owner: dict) -> bool:
    return any(ref.get("uid") == _uid(owner) for ref in _refs(target))


def has_stale_owner_ref(target: dict, obj: dict, kind: tuple) -> bool:
    """A reference to an object of that name whose UID is not ``obj``'s (an older incarnation)."""
    for ref in _refs(target):
        if _matches(ref, obj, kind):
            return ref.get("uid") != _uid(obj)
    return False


def has_unexpected_controller(claim: dict, s: dict, pod: dict) -> bool:
    """Another controller manages the claim (irrelevant when everything is retained)."""
    if retention_policy(s) == (RETAIN, RETAIN):
        return False
    for ref in _refs(claim):
        for obj, kind in ((s, SET_KIND), (pod, POD_KIND)):
            if _matches(ref, obj, kind):
                if ref.get("uid") != _uid(obj):
                    return True
                break
        else:
            if ref.get("controller"):
                return True
    return False


def has_non_controller_owner(claim: dict, s: dict, pod: dict) -> bool:
    return any(ref.get("uid") in (_uid(s), _uid(pod)) and not ref.get("controller")
               for ref in _refs(claim))


def wanted_owners(s: dict, pod: dict) -> tuple[bool, bool]:
    """(set should own, pod should own) under the policy, for this pod's claims."""
    scaled, deleted = retention_policy(s)
    scaled_down = _ordinal(s, pod) not in ordinal_range(s)
    return deleted == DELETE and not (scaled == DELETE and scaled_down), scaled == DELETE and scaled_down


def _ordinal(s: dict, pod: dict) -> int:
    from .statefulset import get_ordinal
    return get_ordinal(s["metadata"]["name"], pod)


def is_claim_owner_up_to_date(claim: dict, s: dict, pod: dict) -> bool:
    """isClaimOwnerUpToDate: do the claim's owner references follow the policy?"""
    if has_stale_owner_ref(claim, s, SET_KIND) or has_stale_owner_ref(claim, pod, POD_KIND):
        return True  # managed by an older set or pod: not ours to touch
    if has_unexpected_controller(claim, s, pod):
        return not (has_owner_ref(claim, s) or has_owner_ref(claim, pod))
    if has_non_controller_owner(claim, s, pod):
        return False
    want_set, want_pod = wanted_owners(s, pod)
    return has_owner_ref(claim, s) == want_set and has_owner_ref(claim, pod) == want_pod


def update_claim_owner_refs(claim: dict, s: dict, pod: dict) -> None:
    """updateClaimOwnerRefForSetAndPod: drop our references, add the ones the policy wants."""
    unexpected = has_unexpected_controller(claim, s, pod)
    refs = [r for r in _refs(claim) if not (_matches(r, s, SET_KIND) or _matches(r, pod, POD_KIND))]
    if not unexpected:
        want_set, want_pod = wanted_owners(s, pod)
        for wanted, owner, (api_version, kind) in ((want_pod, pod, POD_KIND), (want_set, s, SET_KIND)):
            if wanted and all(r.get("uid") != _uid(owner) for r in refs):
                refs.append(owner_reference({**owner, "apiVersion": api_version, "kind": kind}))
    if refs:
        claim["metadata"]["ownerReferences"] = refs
    else:
        claim["metadata"].pop("ownerReferences", None)


class ClaimControl:
    """The claim half of StatefulPodControl, for one controller (reads through its PVC informer)."""

    def __init__(self, ctrl):
        self.ctrl = ctrl
        self.claims = ctrl.informers["persistentvolumeclaims"]

    def get(self, namespace: str, name: str) -> dict | None:
        return self.claims.get(name, namespace)

    def create_missing(self, s: dict, pod: dict) -> list[str]:
        """createPersistentVolumeClaims: create absent claims (event each); errors as text."""
        errs = []
        ns, set_name, pod_name = s["metadata"]["namespace"], s["metadata"]["name"], pod["metadata"]["name"]
        for claim in self.ctrl.claims_for(s, _ordinal(s, pod)).values():
            cname = claim["metadata"]["name"]
            existing = self.get(ns, cname)
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    errs.append(f"pvc {cname} is being deleted")
                continue
            try:
                self.ctrl.api.create("persistentvolumeclaims", claim, ns, user=self.ctrl.user)
            except ApiError as e:
                errs.append(f"failed to create PVC {cname}: {e.message}")
                if e.code == 409:
                    continue
                self.ctrl.event(s, "Warning", "FailedCreate", f"create Claim {cname} for Pod {pod_name} "
                                f"in StatefulSet {set_name} failed error: {e.message}")
                continue
            self.ctrl.event(s, "Normal", "SuccessfulCreate",
                            f"create Claim {cname} Pod {pod_name} in StatefulSet {set_name} success")
        return errs

    def _pod_claims(self, s: dict, pod: dict):
        ns = s["metadata"]["namespace"]
        for claim in self.ctrl.claims_for(s, _ordinal(s, pod)).values():
            found = self.get(ns, claim["metadata"]["name"])
            if found is not None:
                yield found

    def match_retention_policy(self, s: dict, pod: dict) -> bool:
        """ClaimsMatchRetentionPolicy (missing claims are picked up later)."""
        return all(is_claim_owner_up_to_date(c, s, pod) for c in self._pod_claims(s, pod))

    def update_for_retention_policy(self, s: dict, pod: dict) -> None:
        """UpdatePodClaimForRetentionPolicy: rewrite the owner references of the pod's claims."""
        for claim in list(self._pod_claims(s, pod)):
            name = claim["metadata"]["name"]
            if has_unexpected_controller(claim, s, pod):
                self.ctrl.event(s, "Warning", "ConflictingController",
                                f"PersistentVolumeClaim {name} has a conflicting OwnerReference that "
                                "acts as a manging controller, the retention policy is ignored for "
                                "this claim")
            if is_claim_owner_up_to_date(claim, s, pod):
                continue
            claim = clone(claim)
            update_claim_owner_refs(claim, s, pod)
            try:
                self.ctrl.api.update("persistentvolumeclaims", claim, claim["metadata"]["namespace"],
                                     user=self.ctrl.user)
            except ApiError as e:
                raise ApiError({**e.status, "message": f"could not update claim {name} for delete "
                                f"policy ownerRefs: {e.message}"}) from None

    def pod_claim_is_stale(self, s: dict, pod: dict) -> bool:
        """PodClaimIsStale: with ``whenScaled: Delete``, a claim still owned by an older pod of
        this name blocks the new pod until the garbage collector deletes the claim."""
        if retention_policy(s)[0] == RETAIN:
            return False
        return any(has_stale_owner_ref(c, pod, POD_KIND) for c in self._pod_claims(s, pod))
