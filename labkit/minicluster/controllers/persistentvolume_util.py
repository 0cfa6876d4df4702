"""What the PV controller and the scheduler's VolumeBinding plugin both need to know about storage.

Upstream keeps these rules in pkg/controller/volume/persistentvolume (``index.go`` for matching,
``util/util.go`` for classes and binding modes) and k8s.io/component-helpers/storage/volume; the
scheduler imports them from there, so both components always agree on "which volume fits which
claim". (v1.37)

**Matching a claim to a volume** (``findMatchingVolume``): a PersistentVolume fits a
PersistentVolumeClaim when

* it is not already taken (``spec.claimRef`` empty), or it is *pre-bound* to this very claim
  (``claimRef`` names it: then it wins at once, whatever its size);
* it has the claim's StorageClass (``""`` matches ``""``) and the same ``volumeMode``;
* it offers every access mode the claim asks for, and at least the requested capacity;
* its labels match the claim's ``spec.selector``; it is not being deleted;
* with ``node`` given (the scheduler's question), its ``nodeAffinity`` admits that node.

Among the fitting volumes the **smallest** wins (ties: the first by name), so a 1Gi claim does
not eat a 100Gi disk when a 5Gi one is free.
"""
from __future__ import annotations

from ..quantity import parse_memory
from ..selectors import from_label_selector

# -- annotations and finalizers (names as upstream spells them) -----------------------------
ANN_BIND_COMPLETED = "pv.kubernetes.io/bind-completed"
ANN_BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller"
ANN_DYNAMICALLY_PROVISIONED = "pv.kubernetes.io/provisioned-by"
ANN_SELECTED_NODE = "volume.kubernetes.io/selected-node"
ANN_STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner"
ANN_BETA_STORAGE_CLASS = "volume.beta.kubernetes.io/storage-class"
ANN_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"
ANN_BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"
PV_PROTECTION_FINALIZER = "kubernetes.io/pv-protection"
NO_PROVISIONER = "kubernetes.io/no-provisioner"
WAIT_FOR_FIRST_CONSUMER = "WaitForFirstConsumer"
HOSTNAME_LABEL = "kubernetes.io/hostname"


def annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def claim_class(claim: dict) -> str:
    """GetPersistentVolumeClaimClass: the beta annotation wins over ``spec.storageClassName``."""
    ann = annotations(claim)
    if ANN_BETA_STORAGE_CLASS in ann:
        return ann[ANN_BETA_STORAGE_CLASS]
    return (claim.get("spec") or {}).get("storageClassName") or ""


def volume_class(pv: dict) -> str:
    """GetPersistentVolumeClass (same rule for volumes)."""
    ann = annotations(pv)
    if ANN_BETA_STORAGE_CLASS in ann:
        return ann[ANN_BETA_STORAGE_CLASS]
    return (pv.get("spec") or {}).get("storageClassName") or ""


def is_delay_binding_mode(claim: dict, get_class) -> bool:
    """IsDelayBindingMode: the claim's class exists and says ``WaitForFirstConsumer``.
    A claim without a class, or whose class does not exist, binds immediately."""
    name = claim_class(claim)
    if not name:
        return False
    sc = get_class(name)
    return bool(sc) and sc.get("volumeBindingMode") == WAIT_FOR_FIRST_CONSUMER


def is_delay_binding_provisioning(claim: dict) -> bool:
    """The scheduler picked a node for a WaitForFirstConsumer claim: provisioning may start."""
    return bool(annotations(claim).get(ANN_SELECTED_NODE))


def storage_bytes(resources: dict | None) -> int:
    try:
        return parse_memory(str((resources or {}).get("storage", 0)))
    except (ValueError, TypeError):
        return 0


def requested_bytes(claim: dict) -> int:
    return storage_bytes(((claim.get("spec") or {}).get("resources") or {}).get("requests"))


def capacity_bytes(pv: dict) -> int:
    return storage_bytes((pv.get("spec") or {}).get("capacity"))


def is_volume_bound_to_claim(pv: dict, claim: dict) -> bool:
    """IsVolumeBoundToClaim: the volume's claimRef names the claim (and its UID, once set)."""
    ref = (pv.get("spec") or {}).get("claimRef")
    meta = claim["metadata"]
    if not ref or ref.get("name") != meta["name"] or ref.get("namespace") != meta.get("namespace"):
        return False
    return not ref.get("uid") or ref.get("uid") == meta.get("uid")


def node_affinity_ok(pv: dict, node_labels: dict, node_name: str) -> bool:
    """CheckNodeAffinity: the volume's ``nodeAffinity.required`` admits the node."""
    from ..scheduler.helpers import node_selector_matches  # late: the scheduler imports us
    required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required")
    return node_selector_matches(required, node_labels or {}, node_name)


def local_volume_node_names(pv: dict) -> set | None:
    """GetLocalPersistentVolumeNodeNames: the node names a volume's affinity pins it to with
    ``kubernetes.io/hostname In [...]`` in every term (None: not pinned that way)."""
    required = ((pv.get("spec") or {}).get("nodeAffinity") or {}).get("required") or {}
    names = None
    for term in required.get("nodeSelectorTerms") or ():
        term_names = None
        for r in term.get("matchExpressions") or ():
            if r.get("key") == HOSTNAME_LABEL and r.get("operator") == "In":
                term_names = set(r.get("values") or ())
        if term_names is None:
            return None
        names = term_names if names is None else names | term_names
    return names


def _fits_basic(pv: dict, claim: dict) -> bool:
    """The checks FindMatchingVolume applies to every candidate, pre-bound ones included:
    enough capacity, the same volumeMode, not being deleted."""
    spec, cspec = pv.get("spec") or {}, claim.get("spec") or {}
    return capacity_bytes(pv) >= requested_bytes(claim) and \
        (spec.get("volumeMode") or "Filesystem") == (cspec.get("volumeMode") or "Filesystem") \
        and not pv["metadata"].get("deletionTimestamp")


def _fits_free(pv: dict, claim: dict) -> bool:
    """The extra checks for a volume not pre-bound to the claim: Available, selector, class."""
    cspec = claim.get("spec") or {}
    if (pv.get("status") or {}).get("phase") != "Available":
        return False  # e.g. a Released volume keeps its old claimRef... or is not synced yet
    if cspec.get("selector") is not None and \
            not from_label_selector(cspec["selector"]).matches(pv["metadata"].get("labels")):
        return False
    return volume_class(pv) == claim_class(claim)


def find_matching_volume(claim: dict, volumes, delay_binding: bool, node=None) -> dict | None:
    """FindMatchingVolume over one group of volumes: the one pre-bound to the claim (if it
    suits the node), else the smallest free one that fits. ``node`` is ``(labels, name)``."""
    best = None
    for pv in volumes:
        if not _fits_basic(pv, claim):
            continue
        affinity_ok = node is None or node_affinity_ok(pv, node[0], node[1])
        if is_volume_bound_to_claim(pv, claim):
            return pv if affinity_ok else None
        if (pv.get("spec") or {}).get("claimRef") or (node is None and delay_binding):
            continue  # taken; or: the scheduler chooses volumes for WaitForFirstConsumer claims
        if not _fits_free(pv, claim) or not affinity_ok:
            continue
        if node is not None and not set((claim.get("spec") or {}).get("accessModes") or ()) \
                <= set((pv.get("spec") or {}).get("accessModes") or ()):
            continue
        if best is None or capacity_bytes(pv) < capacity_bytes(best):
            best = pv
    return best


def find_best_match(claim: dict, volumes, delay_binding: bool, node=None) -> dict | None:
    """findByClaim (index.go): volumes are grouped by their set of access modes; the groups
    that offer all the claim's modes are searched fewest-modes first, and the first group with
    a match wins. So a ReadWriteOnce claim takes an RWO-only volume before an RWO+RWX one,
    even a larger one."""
    wanted = set((claim.get("spec") or {}).get("accessModes") or ())
    groups: dict = {}
    for pv in sorted(volumes, key=lambda v: v["metadata"]["name"]):
        modes = frozenset((pv.get("spec") or {}).get("accessModes") or ())
        if wanted <= modes:
            groups.setdefault(modes, []).append(pv)
    for modes in sorted(groups, key=lambda m: (len(m), sorted(m))):
        found = find_matching_volume(claim, groups[modes], delay_binding, node)
        if found is not None:
            return found
    return None


def claims_of(pod: dict) -> list[str]:
    """Names of the PersistentVolumeClaims a pod uses (generic ephemeral volumes included:
    their claim is named ``<pod>-<volume>``)."""
    out = []
    for v in (pod.get("spec") or {}).get("volumes") or ():
        if v.get("persistentVolumeClaim") is not None:
            out.append(v["persistentVolumeClaim"].get("claimName", ""))
        elif v.get("ephemeral") is not None:
            out.append(f"{pod['metadata']['name']}-{v.get('name', '')}")
    return out
