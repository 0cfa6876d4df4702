"""VolumeRestrictions: volumes that only one pod (or one node) may use at a time.
Upstream: pkg/scheduler/framework/plugins/volumerestrictions/volume_restrictions.go (v1.33).

- **ReadWriteOncePod claims.** A PersistentVolumeClaim with the ``ReadWriteOncePod`` access
  mode may be used by a single pod in the whole cluster. PreFilter looks up each claim of the
  pod (a missing one fails the pod everywhere: ``persistentvolumeclaim "data" not found``) and
  counts its ReadWriteOncePod claims that a scheduled pod already uses. If any is, Filter
  rejects every node with ``node has pod using PersistentVolumeClaim with the same name and
  ReadWriteOncePod access mode``: *Unschedulable*, not unresolvable, because preempting the pod
  that holds the claim can help (preemption re-runs PreFilter without its victims, which is
  what upstream's AddPod/RemovePod extensions compute).
- **Disk conflicts** of inline volumes on one node: the same GCE PD (unless all mounts are
  read-only), the same AWS EBS volume, the same iSCSI IQN or Ceph RBD image (unless read-only):
  ``node(s) had no available disk``.

Pods with neither skip the plugin. Simplification: the claims in use are read from the
scheduler's snapshot each cycle (upstream keeps a per-node reference count).
"""
from __future__ import annotations

from .base import Plugin
from .volume_binding import informers_of
from ..status import SKIPPED, unresolvable, unschedulable

NAME = "VolumeRestrictions"
REASON_DISK_CONFLICT = "node(s) had no available disk"
REASON_RWOP_CONFLICT = ("node has pod using PersistentVolumeClaim with the same name and "
                        "ReadWriteOncePod access mode")
RWOP = "ReadWriteOncePod"
_CONFLICT_SOURCES = ("gcePersistentDisk", "awsElasticBlockStore", "rbd", "iscsi")


def needs_restrictions_check(volume: dict) -> bool:
    return any(volume.get(s) is not None for s in _CONFLICT_SOURCES)


def is_volume_conflict(volume: dict, other_pod: dict) -> bool:
    """isVolumeConflict: does ``volume`` clash with one of ``other_pod``'s volumes?"""
    for other in (other_pod.get("spec") or {}).get("volumes") or ():
        for source in _CONFLICT_SOURCES:
            a, b = volume.get(source), other.get(source)
            if a is not None and b is not None and _same_disk(source, a, b):
                return True
    return False


def _same_disk(source: str, a: dict, b: dict) -> bool:
    both_read_only = bool(a.get("readOnly")) and bool(b.get("readOnly"))
    if source == "gcePersistentDisk":
        return a.get("pdName") == b.get("pdName") and not both_read_only
    if source == "awsElasticBlockStore":
        return a.get("volumeID") == b.get("volumeID")
    if source == "iscsi":
        return a.get("iqn") == b.get("iqn") and not both_read_only
    overlap = set(a.get("monitors") or ()) & set(b.get("monitors") or ())  # rbd
    return bool(overlap) and (a.get("pool") or "rbd") == (b.get("pool") or "rbd") and \
        a.get("image") == b.get("image") and not both_read_only


def rwop_claims(pod: dict, claims) -> set | object:
    """readWriteOncePodPVCsForPod: the names of the pod's ReadWriteOncePod claims, or a
    rejecting Status for a claim that does not exist."""
    ns = pod["metadata"].get("namespace") or "default"
    out = set()
    for v in (pod.get("spec") or {}).get("volumes") or ():
        ref = v.get("persistentVolumeClaim")
        if ref is None:
            continue
        name = ref.get("claimName", "")
        claim = claims.get(name, ns)
        if claim is None:
            return unresolvable(f'persistentvolumeclaim "{name}" not found')
        if RWOP in ((claim.get("spec") or {}).get("accessModes") or ()):
            out.add(name)
    return out


def claims_in_use(snap, namespace: str, names: set) -> int:
    """calPreFilterState: how many of ``names`` scheduled pods of ``namespace`` use."""
    used, prefix = set(), namespace + "/"
    for key in snap.pod_node:
        if not key.startswith(prefix):
            continue
        pi = snap.pod(key)
        for v in (pi.pod.get("spec") or {}).get("volumes") or ():
            ref = v.get("persistentVolumeClaim")
            if ref is not None and ref.get("claimName") in names:
                used.add(ref["claimName"])
    return len(used)


class VolumeRestrictions(Plugin):
    name = NAME

    def pre_filter(self, state, pod, snap):
        volumes = (pod.pod.get("spec") or {}).get("volumes") or ()
        needs_check = any(needs_restrictions_check(v) for v in volumes)
        informers = informers_of(snap)
        conflicts = 0
        if informers is not None:
            names = rwop_claims(pod.pod, informers["persistentvolumeclaims"])
            if not isinstance(names, set):
                return names
            if names:
                conflicts = claims_in_use(snap, pod.namespace, names)
        if not needs_check and conflicts == 0:
            return SKIPPED
        state[NAME] = conflicts
        return None

    def filter(self, state, pod, ni):
        if NAME not in state:
            return None
        for v in (pod.pod.get("spec") or {}).get("volumes") or ():
            if needs_restrictions_check(v) and \
                    any(is_volume_conflict(v, other.pod) for other in ni.pods.values()):
                return unschedulable(REASON_DISK_CONFLICT)
        return unschedulable(REASON_RWOP_CONFLICT) if state[NAME] > 0 else None
