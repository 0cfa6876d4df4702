"""Storage object in-use protection: a claim in use, or a bound volume, is not removed at once.

When a PersistentVolumeClaim or PersistentVolume is created, the API server's admission plugin
``StorageObjectInUseProtection`` adds a finalizer (``kubernetes.io/pvc-protection``,
``kubernetes.io/pv-protection``). ``kubectl delete pvc data`` then only sets
``deletionTimestamp``: the claim shows ``Terminating`` and stays until one of these controllers
removes the finalizer (v1.37):

* **pvc-protection** (pkg/controller/volume/pvcprotection): removes it once no *scheduled* pod
  in the namespace refers to the claim any more (a pod that finished still counts until it is
  deleted; a generic ephemeral claim stops counting when its pod has shut down). So deleting the
  claim of a running StatefulSet pod waits for that pod to go.
* **pv-protection** (pkg/controller/volume/pvprotection): removes it once the volume is no
  longer ``Bound``.
"""
from __future__ import annotations

from ..apiserver import UserInfo
from ..objects import clone, key_of
from .base import Controller
from .persistentvolume_util import PV_PROTECTION_FINALIZER, PVC_PROTECTION_FINALIZER


def _system_sa(name: str) -> UserInfo:
    return UserInfo(f"system:serviceaccount:kube-system:{name}",
                    ("system:serviceaccounts", "system:serviceaccounts:kube-system",
                     "system:authenticated"))


def _pod_shut_down(pod: dict) -> bool:
    """podIsShutDown: terminated, or being deleted and no longer running anything."""
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_uses_claim(pod: dict, claim: dict) -> bool:
    """podUsesPVC: only scheduled pods count (the kubelet refuses to start a pod whose claim is
    being deleted, so an unscheduled pod never will)."""
    if not (pod.get("spec") or {}).get("nodeName"):
        return False
    name = claim["metadata"]["name"]
    for v in pod["spec"].get("volumes") or ():
        if (v.get("persistentVolumeClaim") or {}).get("claimName") == name:
            return True
        if v.get("ephemeral") is not None and not _pod_shut_down(pod) and \
                f"{pod['metadata']['name']}-{v.get('name')}" == name:
            return True
    return False


def _without(obj: dict, finalizer: str) -> dict:
    new = clone(obj)
    new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers") or ()
                                     if f != finalizer]
    if not new["metadata"]["finalizers"]:
        del new["metadata"]["finalizers"]
    return new


def _deleting_with(obj: dict, finalizer: str) -> bool:
    meta = obj["metadata"]
    return bool(meta.get("deletionTimestamp")) and finalizer in (meta.get("finalizers") or ())


class PVCProtectionController(Controller):
    name = "pvc-protection-controller"

    def setup(self) -> None:
        self.user = _system_sa(self.name)
        self.claims = self.informers["persistentvolumeclaims"]
        self.pods = self.informers["pods"]
        self.claims.add_handler(self._claim, lambda o, n: self._claim(n), None)
        self.pods.add_handler(None, lambda o, n: self._pod(n), self._pod)

    def _claim(self, claim: dict) -> None:
        if _deleting_with(claim, PVC_PROTECTION_FINALIZER):
            self.queue.add(key_of(claim))

    def _pod(self, pod: dict) -> None:
        """A pod went (or finished): re-check the claims it used that are being deleted."""
        ns = pod["metadata"].get("namespace")
        for v in (pod.get("spec") or {}).get("volumes") or ():
            name = (v.get("persistentVolumeClaim") or {}).get("claimName")
            if name is None and v.get("ephemeral") is not None:
                name = f"{pod['metadata']['name']}-{v.get('name')}"
            claim = self.claims.get(name, ns) if name else None
            if claim is not None:
                self._claim(claim)

    def reconcile(self, key: str) -> None:
        claim = self.claims.get(key)
        if claim is None or not _deleting_with(claim, PVC_PROTECTION_FINALIZER):
            return
        ns = claim["metadata"]["namespace"]
        if any(pod_uses_claim(p, claim) for p in self.pods.list(ns)):
            return  # a pod event brings the claim back
        self.api.update("persistentvolumeclaims", _without(claim, PVC_PROTECTION_FINALIZER), ns,
                        user=self.user)


class PVProtectionController(Controller):
    name = "pv-protection-controller"

    def setup(self) -> None:
        self.user = _system_sa(self.name)
        self.volumes = self.informers["persistentvolumes"]
        self.volumes.add_handler(self._volume, lambda o, n: self._volume(n), None)

    def _volume(self, pv: dict) -> None:
        if _deleting_with(pv, PV_PROTECTION_FINALIZER):
            self.queue.add(key_of(pv))

    def reconcile(self, key: str) -> None:
        pv = self.volumes.get(key)
        if pv is None or not _deleting_with(pv, PV_PROTECTION_FINALIZER):
            return
        if (pv.get("status") or {}).get("phase") == "Bound":
            return  # still used: the PV controller's phase change brings it back
        self.api.update("persistentvolumes", _without(pv, PV_PROTECTION_FINALIZER), user=self.user)
