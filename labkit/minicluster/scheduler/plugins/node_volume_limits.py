"""NodeVolumeLimits: a node can attach only so many volumes of each CSI driver.
Upstream: pkg/scheduler/framework/plugins/nodevolumelimits/csi.go (CSILimits, v1.33).

A cloud node has a limit on attached disks (e.g. 39 EBS volumes). Each CSI driver reports its
limit in the node's CSINode object (``spec.drivers[].allocatable.count``); older nodes list it as
the allocatable resource ``attachable-volumes-csi-<driver>``. The plugin counts, per driver, the
distinct volumes the node's pods already use plus the new pod's, and rejects the node with
``node(s) exceed max volume count`` (*Unschedulable*: preemption may free attachments).

Which driver a claim counts against: the ``spec.csi.driver`` of its bound PersistentVolume (the
volume's ``volumeHandle`` makes it distinct), or, for a claim not bound yet, the provisioner of
its StorageClass. Volumes of other kinds (hostPath, local, in-tree plugins) do not count.

What labkit models: the mini cluster has no CSINode objects (kind's nodes have them, but list no
driver with a limit, and local-path is not a CSI driver), so limits come only from a node's
``status.allocatable["attachable-volumes-csi-<driver>"]``; with none - the usual case - the
filter passes every node, as upstream does for a node without known limits. Pods without claims
(or generic ephemeral volumes) skip the plugin. Not modelled: CSI migration of in-tree volumes
(it needs the CSINode migrated-plugins annotation), the ownership check of ephemeral claims.
"""
from __future__ import annotations

import hashlib

from .base import Plugin
from .volume_binding import informers_of
from ..status import SKIPPED, unresolvable, unschedulable
from ...controllers.persistentvolume_util import claim_class, claims_of

NAME = "NodeVolumeLimits"
REASON_MAX_VOLUME_COUNT = "node(s) exceed max volume count"
ATTACHABLE_PREFIX = "attachable-volumes-"  # v1helper.IsAttachableVolumeResourceName
CSI_ATTACH_LIMIT_PREFIX = "attachable-volumes-csi-"  # volumeutil.CSIAttachLimitPrefix
RESOURCE_NAME_LENGTH_LIMIT = 63
#: stands for upstream's random 32-character prefix of unbound claims' volume handles
UNBOUND_HANDLE_PREFIX = "unbound"


def csi_attach_limit_key(driver: str) -> str:
    """volumeutil.GetCSIAttachLimitKey: long driver names are shortened with a SHA-1."""
    if len(CSI_ATTACH_LIMIT_PREFIX) + len(driver) >= RESOURCE_NAME_LENGTH_LIMIT:
        digest = hashlib.sha1(driver.encode()).hexdigest()[:16]
        return CSI_ATTACH_LIMIT_PREFIX + driver[:23] + digest
    return CSI_ATTACH_LIMIT_PREFIX + driver


def csi_driver_info(claim: dict, volumes, classes) -> tuple[str, str]:
    """getCSIDriverInfo: (driver, volume handle), or ("", "") when the claim does not count."""
    meta = claim["metadata"]
    volume_name = claim["spec"].get("volumeName")
    pv = volumes.get(volume_name) if volume_name else None
    if pv is not None:
        csi = (pv.get("spec") or {}).get("csi")
        return (csi.get("driver", ""), csi.get("volumeHandle", "")) if csi else ("", "")
    sc = classes.get(claim_class(claim)) if claim_class(claim) else None
    if sc is None:
        return "", ""
    return sc.get("provisioner", ""), f"{UNBOUND_HANDLE_PREFIX}-{meta.get('namespace')}/{meta['name']}"


def attachable_volumes(pod: dict, informers, new_pod: bool):
    """filterAttachableVolumes: {driver/handle: limit key}, or a Status for a new pod whose
    claim is missing (existing pods just skip such claims)."""
    ns = pod["metadata"].get("namespace") or "default"
    claims = informers["persistentvolumeclaims"]
    out = {}
    for name in claims_of(pod):
        claim = claims.get(name, ns)
        if claim is None:
            if new_pod:
                return unresolvable(f'looking up PVC {ns}/{name}: '
                                    f'persistentvolumeclaim "{name}" not found')
            continue
        driver, handle = csi_driver_info(claim, informers["persistentvolumes"],
                                         informers["storageclasses"])
        if driver and handle:
            out[f"{driver}/{handle}"] = csi_attach_limit_key(driver)
    return out


def node_volume_limits(ni) -> dict:
    """getVolumeLimits: the node's ``attachable-volumes-*`` allocatable (no CSINode here)."""
    return {k: v for k, v in ni.alloc_scalars.items() if k.startswith(ATTACHABLE_PREFIX)}


class NodeVolumeLimits(Plugin):
    name = NAME

    def pre_filter(self, state, pod, snap):
        informers = informers_of(snap)
        if informers is None or not claims_of(pod.pod):
            return SKIPPED
        state[NAME] = (informers, attachable_volumes(pod.pod, informers, True))
        return None

    def filter(self, state, pod, ni):
        if NAME not in state:
            return None
        informers, new = state[NAME]
        if not isinstance(new, dict):
            return new  # a missing claim
        limits = node_volume_limits(ni) if new else {}
        if not limits:
            return None
        attached: dict = {}
        for other in ni.pods.values():
            attached.update(attachable_volumes(other.pod, informers, False))
        counts: dict = {}
        for unique, key in attached.items():
            counts[key] = counts.get(key, 0) + 1
        adding: dict = {}
        for unique, key in new.items():
            if unique not in attached:
                adding[key] = adding.get(key, 0) + 1
        for key, n in adding.items():
            if key in limits and counts.get(key, 0) + n > limits[key]:
                return unschedulable(REASON_MAX_VOLUME_COUNT)
        return None
