"""``kubectl describe`` for storage: PersistentVolumes, PersistentVolumeClaims, StorageClasses
(upstream staging/src/k8s.io/kubectl/pkg/describe/describe.go: describePersistentVolume,
describePersistentVolumeClaim with getPodsForPVC, describeStorageClass).

The class of a volume or claim is read as upstream's storageutil does: the old beta annotation
``volume.beta.kubernetes.io/storage-class`` wins over ``spec.storageClassName``.

Simplification: a PersistentVolume's ``Source:`` block is printed for the volume types a course
cluster uses (hostPath, local, nfs, csi, gcePersistentDisk, awsElasticBlockStore); other in-tree
types print ``<unknown>``.
"""
from __future__ import annotations

from labkit.minicluster.controllers.persistentvolume_util import (  # storageutil helpers
    ANN_BETA_DEFAULT_CLASS, ANN_DEFAULT_CLASS, annotations, claim_class, volume_class)

from ..columns.cluster import access_modes
from ..formatting import format_labels, quantity_string, rfc1123z, since
from .writer import PrefixWriter, annotations_multiline, events_section, labels_multiline


def is_default_text(sc: dict) -> str:
    """storageutil.IsDefaultAnnotationText: ``Yes`` / ``No``."""
    ann = annotations(sc)
    return "Yes" if "true" in (ann.get(ANN_DEFAULT_CLASS), ann.get(ANN_BETA_DEFAULT_CLASS)) else "No"


def _go_list(values) -> str:
    """``%v`` of a Go string slice: ``[a b]``."""
    return "[" + " ".join(values or []) + "]"


def _quantity(v) -> str:
    """``resource.Quantity.String()``; a missing quantity is ``0``."""
    return quantity_string(v) if v is not None else "0"


def _status_line(w: PrefixWriter, meta: dict, phase, now) -> None:
    if meta.get("deletionTimestamp"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
    else:
        w.write(0, f"Status:\t{phase or ''}\n")


# -- persistent volumes ---------------------------------------------------------------------------

def _node_affinity(w: PrefixWriter, affinity: dict | None) -> None:
    """printVolumeNodeAffinity: ``Term 0:  kubernetes.io/hostname in [kind-worker]``."""
    w.write(0, "Node Affinity:\t")
    required = (affinity or {}).get("required")
    if required is None:
        w.line("<none>")
        return
    w.line("")
    w.write(1, "Required Terms:\t")
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        w.line("<none>")
        return
    w.line("")
    for i, term in enumerate(terms):
        _term(w, 2, i, [(f"{r.get('key', '')} {str(r.get('operator', '')).lower()}", r.get("values"))
                        for r in term.get("matchExpressions") or []])


def _term(w: PrefixWriter, level: int, i: int, reqs: list) -> None:
    """printNodeSelectorTermsMultilineWithIndent / printTopologySelectorTermsMultilineWithIndent:
    ``Term 0:`` then one ``key op [v1, v2]`` per line."""
    w.write(level, f"Term {i}:\t")
    if not reqs:
        w.line("<none>")
    for j, (text, values) in enumerate(reqs):
        if j:
            w.write(level, "\t")
        w.write(0, (f"{text} [{', '.join(values)}]" if values else text) + "\n")


def _bool(v) -> str:
    return "true" if v else "false"


def _source(w: PrefixWriter, spec: dict) -> None:
    """The ``Source:`` block (printHostPathVolumeSource, printLocalVolumeSource...)."""
    if "hostPath" in spec:
        hp = spec["hostPath"] or {}
        kind = hp.get("type") if hp.get("type") is not None else "<none>"
        w.write(2, f"Type:\tHostPath (bare host directory volume)\n    Path:\t{hp.get('path', '')}\n"
                   f"    HostPathType:\t{kind}\n")
    elif "gcePersistentDisk" in spec:
        g = spec["gcePersistentDisk"] or {}
        w.write(2, "Type:\tGCEPersistentDisk (a Persistent Disk resource in Google Compute Engine)\n"
                   f"    PDName:\t{g.get('pdName', '')}\n    FSType:\t{g.get('fsType', '')}\n"
                   f"    Partition:\t{g.get('partition', 0)}\n    ReadOnly:\t{_bool(g.get('readOnly'))}\n")
    elif "awsElasticBlockStore" in spec:
        a = spec["awsElasticBlockStore"] or {}
        w.write(2, "Type:\tAWSElasticBlockStore (a Persistent Disk resource in AWS)\n"
                   f"    VolumeID:\t{a.get('volumeID', '')}\n    FSType:\t{a.get('fsType', '')}\n"
                   f"    Partition:\t{a.get('partition', 0)}\n    ReadOnly:\t{_bool(a.get('readOnly'))}\n")
    elif "nfs" in spec:
        n = spec["nfs"] or {}
        w.write(2, "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n"
                   f"    Server:\t{n.get('server', '')}\n    Path:\t{n.get('path', '')}\n"
                   f"    ReadOnly:\t{_bool(n.get('readOnly'))}\n")
    elif "local" in spec:
        w.write(2, "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n"
                   f"    Path:\t{(spec['local'] or {}).get('path', '')}\n")
    elif "csi" in spec:
        c = spec["csi"] or {}
        w.write(2, "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n"
                   f"    Driver:\t{c.get('driver', '')}\n    FSType:\t{c.get('fsType', '')}\n"
                   f"    VolumeHandle:\t{c.get('volumeHandle', '')}\n"
                   f"    ReadOnly:\t{_bool(c.get('readOnly'))}\n")
        _csi_attributes(w, c.get("volumeAttributes"))
    else:
        w.write(1, "<unknown>\n")


def _csi_attributes(w: PrefixWriter, attributes: dict | None) -> None:
    """printCSIPersistentVolumeAttributesMultilineIndent (every line at level 2)."""
    w.write(2, "VolumeAttributes:\t")
    if not attributes:
        w.line("<none>")
        return
    for i, key in enumerate(sorted(attributes)):
        if i:
            w.write(2, "")
            w.write(2, "\t")
        line = f"{key}={attributes[key]}"
        w.write(2, f"{line[:140]}...\n" if len(line) > 140 else f"{line}\n")


def describe_pv(pv: dict, api, events, now) -> str:
    """describePersistentVolume."""
    w = PrefixWriter()
    meta, spec, st = pv["metadata"], pv.get("spec") or {}, pv.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_go_list(meta.get('finalizers'))}\n")
    w.write(0, f"StorageClass:\t{volume_class(pv)}\n")
    _status_line(w, meta, st.get("phase"), now)
    ref = spec.get("claimRef")
    w.write(0, f"Claim:\t{ref.get('namespace', '') + '/' + ref.get('name', '') if ref else ''}\n")
    w.write(0, f"Reclaim Policy:\t{spec.get('persistentVolumeReclaimPolicy', '')}\n")
    w.write(0, f"Access Modes:\t{access_modes(spec.get('accessModes'))}\n")
    if spec.get("volumeMode") is not None:
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    w.write(0, f"Capacity:\t{_quantity((spec.get('capacity') or {}).get('storage'))}\n")
    _node_affinity(w, spec.get("nodeAffinity"))
    w.write(0, f"Message:\t{st.get('message', '')}\n")
    w.write(0, "Source:\n")
    _source(w, spec)
    events_section(w, events, now)
    return w.text()


# -- persistent volume claims ---------------------------------------------------------------------

def pods_for_claim(api, pvc: dict) -> list[dict]:
    """getPodsForPVC: the namespace's pods with a volume naming the claim (once per such
    volume, as upstream), then pods that own the claim (generic ephemeral volumes)."""
    meta = pvc["metadata"]
    pods = api.list("pods", meta.get("namespace"))["items"]
    users = [p for p in pods for v in (p.get("spec") or {}).get("volumes") or ()
             if (v.get("persistentVolumeClaim") or {}).get("claimName") == meta["name"]]
    for ref in meta.get("ownerReferences") or ():
        if ref.get("kind") != "Pod":
            continue
        owner = next((p for p in pods if p["metadata"].get("uid") == ref.get("uid")), None)
        if owner is not None and all(u["metadata"].get("uid") != ref.get("uid") for u in users):
            users.append(owner)
    return users


def describe_pvc(pvc: dict, api, events, now) -> str:
    """describePersistentVolumeClaim: printPersistentVolumeClaim, ``Used By``, conditions."""
    w = PrefixWriter()
    meta, spec, st = pvc["metadata"], pvc.get("spec") or {}, pvc.get("status") or {}
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"StorageClass:\t{claim_class(pvc)}\n")
    _status_line(w, meta, st.get("phase"), now)
    w.write(0, f"Volume:\t{spec.get('volumeName', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Finalizers:\t{_go_list(meta.get('finalizers'))}\n")
    capacity = modes = ""
    if spec.get("volumeName"):
        modes = access_modes(st.get("accessModes"))
        capacity = _quantity((st.get("capacity") or {}).get("storage"))
    w.write(0, f"Capacity:\t{capacity}\n")
    w.write(0, f"Access Modes:\t{modes}\n")
    if spec.get("volumeMode") is not None:
        w.write(0, f"VolumeMode:\t{spec['volumeMode']}\n")
    if spec.get("dataSource"):
        ds = spec["dataSource"]
        w.write(0, "DataSource:\n")
        if ds.get("apiGroup") is not None:
            w.write(1, f"APIGroup:\t{ds['apiGroup']}\n")
        w.write(1, f"Kind:\t{ds.get('kind', '')}\n")
        w.write(1, f"Name:\t{ds.get('name', '')}\n")
    _used_by(w, pods_for_claim(api, pvc))
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastProbeTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t"
                       f"{c.get('message', '')}\n")
    events_section(w, events, now)
    return w.text()


def _used_by(w: PrefixWriter, pods: list[dict]) -> None:
    """printPodsMultiline: pod names sorted, one per line."""
    w.write(0, "Used By:\t")
    if not pods:
        w.line("<none>")
        return
    for i, name in enumerate(sorted(p["metadata"]["name"] for p in pods)):
        if i:
            w.write(0, "\t")
        w.write(0, f"{name}\n")


# -- storage classes ------------------------------------------------------------------------------

def describe_storageclass(sc: dict, api, events, now) -> str:
    """describeStorageClass: annotations and parameters as one ``k=v,k=v`` line each."""
    w = PrefixWriter()
    meta = sc["metadata"]
    w.write(0, f"Name:\t{meta['name']}\n")
    w.write(0, f"IsDefaultClass:\t{is_default_text(sc)}\n")
    w.write(0, f"Annotations:\t{format_labels(meta.get('annotations'))}\n")
    w.write(0, f"Provisioner:\t{sc.get('provisioner', '')}\n")
    w.write(0, f"Parameters:\t{format_labels(sc.get('parameters'))}\n")
    expand = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{'<unset>' if expand is None else ('True' if expand else 'False')}\n")
    if sc.get("mountOptions"):
        w.write(0, "MountOptions:\n")
        for option in sc["mountOptions"]:
            w.write(1, f"{option}\n")
    else:
        w.write(0, "MountOptions:\t<none>\n")
    if sc.get("reclaimPolicy") is not None:
        w.write(0, f"ReclaimPolicy:\t{sc['reclaimPolicy']}\n")
    if sc.get("volumeBindingMode") is not None:
        w.write(0, f"VolumeBindingMode:\t{sc['volumeBindingMode']}\n")
    if sc.get("allowedTopologies") is not None:
        _allowed_topologies(w, sc["allowedTopologies"])
    events_section(w, events, now)
    return w.text()


def _allowed_topologies(w: PrefixWriter, terms: list) -> None:
    """printAllowedTopologies: ``Term 0:  topology.kubernetes.io/zone in [a, b]``."""
    w.write(0, "AllowedTopologies:\t")
    if not terms:
        w.line("<none>")
        return
    w.line("")
    for i, term in enumerate(terms):
        _term(w, 1, i, [(f"{r.get('key', '')} in", r.get("values"))
                        for r in term.get("matchLabelExpressions") or []])
