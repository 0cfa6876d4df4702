"""Hashes and ControllerRevisions: how workload controllers remember pod templates.

*Template hashes.* A Deployment names each ReplicaSet ``<deployment>-<hash of the pod
template>`` and labels its pods ``pod-template-hash=<hash>``; a DaemonSet labels its pods
``controller-revision-hash=<hash>``. Upstream ``controller.ComputeHash`` feeds a
go-spew dump of the Go struct to a 32-bit FNV-1a hash, then spells the number with
``rand.SafeEncodeString`` (digits mapped onto consonants and digits, so a hash is never a word).
**Deviation:** the spew dump of a Go struct cannot be reproduced from Python, so
:func:`compute_hash` hashes the canonical JSON of the template instead (sorted keys, compact).
The result has the same shape (up to 10 characters of ``bcdfghjklmnpqrstvwxz2456789``, e.g.
``7d4b9c8f6d``) and the same properties: same template, same hash; any change, a new hash.

*ControllerRevisions.* StatefulSets and DaemonSets keep each template they ever ran as an
immutable ``apps/v1 ControllerRevision`` object (``kubectl rollout history`` reads them).
Their names are ``<owner>-<hash>`` where the hash is FNV-1 over the revision's raw JSON data,
exactly as pkg/controller/history/controller_history.go ``HashControllerRevision`` does; since
the data is JSON encoded like Go's ``json.Marshal`` (sorted keys), these hashes can match a real
cluster's for the same (defaulted) template.
"""
from __future__ import annotations

import json

from ..errors import ApiError
from ..objects import clone, owner_reference
from ..upstream import CONTROLLER_REVISION_HASH_LABEL_CR

#: k8s.io/apimachinery/pkg/util/rand alphanums (the same alphabet as generated names)
ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
_FNV_OFFSET, _FNV_PRIME = 2166136261, 16777619


def safe_encode(s: str) -> str:
    """rand.SafeEncodeString: each character mapped onto the 27-letter alphabet."""
    return "".join(ALPHANUMS[ord(ch) % len(ALPHANUMS)] for ch in s)


def fnv32a(data: bytes, h: int = _FNV_OFFSET) -> int:
    for b in data:
        h = ((h ^ b) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def fnv32(data: bytes, h: int = _FNV_OFFSET) -> int:
    for b in data:
        h = ((h * _FNV_PRIME) & 0xFFFFFFFF) ^ b
    return h


def go_json(obj) -> bytes:
    """JSON the way Go's encoding/json writes a map: sorted keys, compact, HTML-safe escapes."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").encode()


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """controller.ComputeHash: FNV-1a of the template (see the module note), then the collision
    count as 8 little-endian bytes (only the low 4 are set, as upstream), SafeEncodeString'd."""
    h = fnv32a(go_json(template))
    if collision_count is not None:
        h = fnv32a(int(collision_count & 0xFFFFFFFF).to_bytes(4, "little") + b"\0\0\0\0", h)
    return safe_encode(str(h))


# -- ControllerRevisions (pkg/controller/history) ----------------------------------------------
def hash_revision(data: dict, collision_count: int | None = None) -> str:
    """HashControllerRevision: FNV-1 over the raw data bytes, then the collision count."""
    h = fnv32(go_json(data))
    if collision_count is not None:
        h = fnv32(str(int(collision_count)).encode(), h)
    return safe_encode(str(h))


def revision_name(prefix: str, hash_: str) -> str:
    """ControllerRevisionName: the owner name cut to 223 characters, then ``-<hash>``."""
    return f"{prefix[:223]}-{hash_}"


def new_revision(parent: dict, template_labels: dict | None, data: dict, revision: int,
                 collision_count: int | None) -> dict:
    """NewControllerRevision: the unsaved ControllerRevision for ``parent``."""
    h = hash_revision(data, collision_count)
    labels = dict(template_labels or {})
    labels[CONTROLLER_REVISION_HASH_LABEL_CR] = h
    meta = {"name": revision_name(parent["metadata"]["name"], h),
            "namespace": parent["metadata"].get("namespace"), "labels": labels,
            "ownerReferences": [owner_reference(parent)]}
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": meta,
            "data": clone(data), "revision": int(revision)}


def template_patch(obj: dict) -> dict:
    """The data StatefulSets and DaemonSets store: ``{"spec": {"template": {..., "$patch":
    "replace"}}}`` (getPatch). Templates carry ``creationTimestamp: null`` like a Go encoding."""
    tpl = clone(obj["spec"]["template"])
    tpl.setdefault("metadata", {}).setdefault("creationTimestamp", None)
    tpl["$patch"] = "replace"
    return {"spec": {"template": tpl}}


def template_of(revision: dict) -> dict:
    """The pod template a revision recorded (undoing :func:`template_patch`)."""
    tpl = clone(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    tpl.pop("$patch", None)
    if tpl.get("metadata", {}).get("creationTimestamp", 0) is None:
        del tpl["metadata"]["creationTimestamp"]
    return tpl


def sort_by_revision(revisions: list[dict]) -> list[dict]:
    """Oldest first; name breaks ties (history.SortControllerRevisions)."""
    return sorted(revisions, key=lambda r: (r.get("revision", 0),
                                            r["metadata"].get("creationTimestamp") or "",
                                            r["metadata"]["name"]))


def next_revision(revisions: list[dict]) -> int:
    return max((r.get("revision", 0) for r in revisions), default=0) + 1


def equal_revisions(revisions: list[dict], needle: dict) -> list[dict]:
    """Revisions holding exactly the same data (FindEqualRevisions)."""
    want = go_json(needle["data"])
    return [r for r in revisions if go_json(r.get("data")) == want]


def create_revision(ctrl, parent: dict, revision: dict, collision_count: list) -> dict:
    """Create ``revision``; on a name clash with *different* data, bump the collision count and
    try the next name (realHistory.CreateControllerRevision). ``collision_count`` is a one-item
    list so the caller sees the bump."""
    ns = parent["metadata"].get("namespace")
    while True:
        h = hash_revision(revision["data"], collision_count[0])
        revision["metadata"]["name"] = revision_name(parent["metadata"]["name"], h)
        revision["metadata"]["labels"][CONTROLLER_REVISION_HASH_LABEL_CR] = h
        try:
            return ctrl.api.create("controllerrevisions", revision, ns, user=ctrl.user)
        except ApiError as e:
            if e.code != 409:
                raise
            existing = ctrl.api.get("controllerrevisions", revision["metadata"]["name"], ns,
                                    user=ctrl.user)
            if go_json(existing.get("data")) == go_json(revision["data"]):
                return existing
            collision_count[0] += 1


def set_revision_number(ctrl, revision: dict, number: int) -> dict:
    """UpdateControllerRevision: only the revision number of a revision ever changes."""
    if revision.get("revision") == number:
        return revision
    r = clone(revision)
    r["revision"] = int(number)
    return ctrl.api.update("controllerrevisions", r, r["metadata"].get("namespace"),
                           user=ctrl.user)
