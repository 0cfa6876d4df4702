"""StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection, v1.37).

Every new PersistentVolumeClaim gets the finalizer ``kubernetes.io/pvc-protection`` and every
new PersistentVolume ``kubernetes.io/pv-protection``. Deleting one then only marks it
(``Terminating``); the pvc-protection / pv-protection controllers
(:mod:`..controllers.persistentvolume_protection`) remove the finalizer once no pod uses the
claim / the volume is no longer bound, and only then is the object gone. This is why deleting the
claim of a running pod does not pull the disk from under it.
"""
from __future__ import annotations

from .common import Request

FINALIZERS = {"PersistentVolumeClaim": "kubernetes.io/pvc-protection",
              "PersistentVolume": "kubernetes.io/pv-protection"}


def in_use_protection(req: Request) -> None:
    """Admit: add the protection finalizer on CREATE (once)."""
    finalizer = FINALIZERS.get(req.rt.kind)
    if finalizer is None or req.operation != "CREATE" or req.rt.group:
        return
    meta = req.obj.setdefault("metadata", {})
    finalizers = meta.get("finalizers") or []
    if finalizer not in finalizers:
        meta["finalizers"] = finalizers + [finalizer]
