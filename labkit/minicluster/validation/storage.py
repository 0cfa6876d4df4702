"""Validation of PersistentVolumes, and the storage rules for PersistentVolumeClaims
(pkg/apis/core/validation/validation.go ValidatePersistentVolume*, v1.37).

A volume needs **access modes**, a **capacity** holding only ``storage`` (a positive size) and
exactly **one volume source** (``hostPath``, ``local``, ``nfs``, ``csi``...); a ``local`` volume
must say which node it lives on (``nodeAffinity``). ``ReadWriteOncePod`` cannot be combined
with other modes, on volumes and on claims. After creation the volume source may not change.

Claims (the rest of their checks are in :mod:`.core`): since v1.28 a claim created without a
class may later *get* one (the retroactive default StorageClass); any other spec change except
a bigger ``resources.requests`` of a bound claim is refused.
"""
from __future__ import annotations

from ..objects import clone
from ..schema.quantity import text_of, value_or_none
from . import core
from .fields import Raw, forbidden, invalid, not_supported, required
from .meta import validate_object_meta, validate_object_meta_update
from .names import is_dns1123_subdomain, name_is_dns_subdomain

ACCESS_MODES = core.ACCESS_MODES
RECLAIM_POLICIES = ("Delete", "Recycle", "Retain")
#: PersistentVolumeSource members (the volume types a PV may use)
SOURCES = ("awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc",
           "flexVolume", "flocker", "gcePersistentDisk", "glusterfs", "hostPath", "iscsi",
           "local", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd",
           "scaleIO", "storageos", "vsphereVolume")
RWOP_ALONE = "may not use ReadWriteOncePod with other access modes"


def access_modes(modes, path: str) -> list[dict]:
    """ValidatePersistentVolumeSpec/ClaimSpec access modes (RWOP must stand alone)."""
    out = []
    if not modes:
        return [required(path, "at least 1 access mode is required")]
    for m in modes:
        if m not in ACCESS_MODES:
            out.append(not_supported(path, m, ACCESS_MODES))
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        out.append(forbidden(path, RWOP_ALONE))
    return out


def _capacity(cap, path: str) -> list[dict]:
    out = []
    if not cap:
        out.append(required(path))
    if not isinstance(cap, dict) or "storage" not in cap or len(cap) > 1:
        shown = cap if cap else Raw("core.ResourceList(nil)")  # Go's %#v of the internal type
        out.append(not_supported(path, shown, ("storage",)))
    for k, q in (cap or {}).items() if isinstance(cap, dict) else ():
        v = value_or_none(q)
        if v is not None and v <= 0:
            out.append(invalid(f"{path}[{k}]", text_of(q), "must be greater than zero"))
    return out


def _source(spec: dict) -> list[dict]:
    present = [s for s in SOURCES if spec.get(s) is not None]
    if not present:
        return [required("spec", "must specify a volume type")]
    out = []
    if len(present) > 1:
        out.append(forbidden(f"spec.{present[1]}", "may not specify more than 1 volume type"))
    if "hostPath" in present and not (spec["hostPath"] or {}).get("path"):
        out.append(required("spec.hostPath.path"))
    if "local" in present:
        if not (spec["local"] or {}).get("path"):
            out.append(required("spec.local.path"))
        if not ((spec.get("nodeAffinity") or {}).get("required")):
            out.append(required("spec.nodeAffinity", "Local volume requires node affinity"))
    if "nfs" in present:
        nfs = spec["nfs"] or {}
        if not nfs.get("server"):
            out.append(required("spec.nfs.server"))
        if not nfs.get("path"):
            out.append(required("spec.nfs.path"))
    return out


def validate_pv(pv: dict) -> list[dict]:
    out = validate_object_meta(pv.get("metadata") or {}, False, name_is_dns_subdomain)
    spec = pv.get("spec") or {}
    out += access_modes(spec.get("accessModes") or [], "spec.accessModes")
    out += _capacity(spec.get("capacity"), "spec.capacity")
    out += _source(spec)
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        out.append(not_supported("spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES))
    if spec.get("storageClassName"):
        out += [invalid("spec.storageClassName", spec["storageClassName"], m)
                for m in is_dns1123_subdomain(str(spec["storageClassName"]))]
    mode = spec.get("volumeMode")
    if mode is not None and mode not in ("Block", "Filesystem"):
        out.append(not_supported("spec.volumeMode", mode, ("Block", "Filesystem")))
    return out


def validate_pv_update(new: dict, old: dict) -> list[dict]:
    out = validate_object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
    out += [c for c in validate_pv(new) if not c["field"].startswith("metadata.")]
    new_spec, old_spec = new.get("spec") or {}, old.get("spec") or {}
    if any(new_spec.get(s) != old_spec.get(s) for s in SOURCES):
        out.append(forbidden("spec.persistentvolumesource",
                             "spec.persistentvolumesource is immutable after creation"))
    return out


def validate_pvc(pvc: dict) -> list[dict]:
    out = core.validate_pvc(pvc)
    modes = (pvc.get("spec") or {}).get("accessModes") or []
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        out.append(forbidden("spec.accessModes", RWOP_ALONE))
    return out


def validate_pvc_update(new: dict, old: dict) -> list[dict]:
    """A claim without a class may be given one (RetroactiveDefaultStorageClass)."""
    old_spec = old.get("spec") or {}
    new_class = (new.get("spec") or {}).get("storageClassName")
    if "storageClassName" not in old_spec and new_class is not None and \
            "volume.beta.kubernetes.io/storage-class" not in \
            ((old.get("metadata") or {}).get("annotations") or {}):
        old = clone(old)
        old.setdefault("spec", {})["storageClassName"] = new_class
    return core.validate_pvc_update(new, old)


CREATES = {"PersistentVolume": validate_pv, "PersistentVolumeClaim": validate_pvc}
UPDATES = {"PersistentVolume": validate_pv_update, "PersistentVolumeClaim": validate_pvc_update}
