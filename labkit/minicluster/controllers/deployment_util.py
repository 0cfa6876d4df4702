"""Deployment arithmetic, as pure functions (upstream pkg/controller/deployment/util).

Everything a rollout decides comes from a handful of numbers:

* ``maxSurge`` - how many pods *above* ``replicas`` may exist. A percentage **rounds up**.
* ``maxUnavailable`` - how many pods *below* ``replicas`` may be unavailable. A percentage
  **rounds down**. If both resolve to 0 (``maxSurge: 0`` and ``maxUnavailable: 25%`` of 3
  replicas rounds down to 0), ``maxUnavailable`` becomes 1, or the rollout could never move
  (the "fencepost" rule of ResolveFenceposts).

With 10 replicas and the 25 %/25 % defaults: surge = ceil(2.5) = 3, unavailable = floor(2.5) = 2:
at most 13 pods exist and at least 8 are available at every step.

Objects are plain dicts; ReplicaSets are sorted with names as tie-breakers so every run is the
same. Functions that upstream take a Go pointer and mutate it mutate the dict they are given.
"""
from __future__ import annotations

import math

from ..clock import parse_rfc3339
from ..objects import clone
from ..upstream import (DEPLOYMENT_DESIRED_REPLICAS_ANNOTATION as DESIRED,
                        DEPLOYMENT_MAX_REPLICAS_ANNOTATION as MAX_REPLICAS,
                        DEPLOYMENT_MAX_REVISION_HISTORY_CHARS,
                        DEPLOYMENT_REVISION_ANNOTATION as REVISION,
                        DEPLOYMENT_REVISION_HISTORY_ANNOTATION as REVISION_HISTORY,
                        LAST_APPLIED_ANNOTATION, POD_TEMPLATE_HASH_LABEL as HASH_LABEL)

#: Deployment annotations never copied onto its ReplicaSets (annotationsToSkip)
ANNOTATIONS_TO_SKIP = {LAST_APPLIED_ANNOTATION, REVISION, REVISION_HISTORY, DESIRED, MAX_REPLICAS,
                       "deprecated.deployment.rollback.to"}

# Progressing / Available condition reasons (deployment_util.go)
REASON_RS_UPDATED = "ReplicaSetUpdated"
REASON_RS_CREATE_ERROR = "ReplicaSetCreateError"
REASON_NEW_RS = "NewReplicaSetCreated"
REASON_FOUND_NEW_RS = "FoundNewReplicaSet"
REASON_NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
REASON_TIMED_OUT = "ProgressDeadlineExceeded"
REASON_PAUSED = "DeploymentPaused"
REASON_RESUMED = "DeploymentResumed"
REASON_MIN_AVAILABLE = "MinimumReplicasAvailable"
REASON_MIN_UNAVAILABLE = "MinimumReplicasUnavailable"

MAX_INT32 = 2 ** 31 - 1


# -- int-or-percent ---------------------------------------------------------------------------
def scaled_value(value, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: ``"25%"`` of ``total``, rounded up or down."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    s = str(value)
    if not s.endswith("%"):
        raise ValueError(f"invalid value for IntOrString: invalid type: string is not a percentage")
    pct = int(s[:-1])
    exact = pct * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(max_surge, max_unavailable, desired: int) -> tuple[int, int]:
    """(surge, unavailable) for ``desired`` replicas; both 0 becomes (0, 1)."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def replicas(obj: dict) -> int:
    return int((obj.get("spec") or {}).get("replicas", 1))


def is_rolling_update(d: dict) -> bool:
    return ((d["spec"].get("strategy") or {}).get("type") or "RollingUpdate") == "RollingUpdate"


def _rolling(d: dict) -> dict:
    ru = (d["spec"].get("strategy") or {}).get("rollingUpdate")
    return ru if ru is not None else {"maxSurge": "25%", "maxUnavailable": "25%"}


def max_unavailable(d: dict) -> int:
    """MaxUnavailable: 0 for Recreate or 0 replicas; never more than ``replicas``."""
    n = replicas(d)
    if not is_rolling_update(d) or n == 0:
        return 0
    ru = _rolling(d)
    return min(resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), n)[1], n)


def max_surge(d: dict) -> int:
    if not is_rolling_update(d):
        return 0
    ru = _rolling(d)
    return resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas(d))[0]


# -- ReplicaSet lists -------------------------------------------------------------------------
def revision(obj: dict) -> int:
    """The ``deployment.kubernetes.io/revision`` annotation as a number (0 if absent)."""
    v = (obj["metadata"].get("annotations") or {}).get(REVISION)
    try:
        return int(v) if v is not None else 0
    except ValueError:
        return 0


def max_revision(rss: list[dict]) -> int:
    return max((revision(rs) for rs in rss), default=0)


def by_creation(rss: list[dict]) -> list[dict]:
    """ReplicaSetsByCreationTimestamp (oldest first, name breaks ties)."""
    return sorted(rss, key=lambda r: (r["metadata"].get("creationTimestamp") or "",
                                      r["metadata"]["name"]))


def by_revision(rss: list[dict]) -> list[dict]:
    """ReplicaSetsByRevision (oldest revision first; creation time breaks ties)."""
    return sorted(rss, key=lambda r: (revision(r), r["metadata"].get("creationTimestamp") or "",
                                      r["metadata"]["name"]))


def by_size(rss: list[dict], newer_first: bool) -> list[dict]:
    """ReplicaSetsBySizeNewer / BySizeOlder: largest first; equal sizes newer (or older) first."""
    out = by_creation(rss)
    if newer_first:
        out.reverse()
    return sorted(out, key=lambda r: -replicas(r))


def active(rss: list[dict]) -> list[dict]:
    """FilterActiveReplicaSets: those with ``spec.replicas > 0``."""
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def replica_count(rss) -> int:
    return sum(replicas(rs) for rs in rss if rs is not None)


def _status_sum(rss, field: str) -> int:
    return sum((rs.get("status") or {}).get(field, 0) for rs in rss if rs is not None)


def actual_count(rss) -> int:
    return _status_sum(rss, "replicas")


def ready_count(rss) -> int:
    return _status_sum(rss, "readyReplicas")


def available_count(rss) -> int:
    return _status_sum(rss, "availableReplicas")


def equal_ignore_hash(t1: dict, t2: dict) -> bool:
    """Templates equal apart from the ``pod-template-hash`` label (EqualIgnoreHash)."""
    a, b = clone(t1 or {}), clone(t2 or {})
    for t in (a, b):
        labels = (t.get("metadata") or {}).get("labels")
        if labels is not None:
            labels.pop(HASH_LABEL, None)
            if not labels:
                del t["metadata"]["labels"]
        if t.get("metadata") == {}:
            del t["metadata"]
    return a == b


def find_new_rs(d: dict, rss: list[dict]) -> dict | None:
    """The oldest ReplicaSet whose template equals the Deployment's (FindNewReplicaSet)."""
    for rs in by_creation(rss):
        if equal_ignore_hash(rs["spec"].get("template"), d["spec"].get("template")):
            return rs
    return None


def find_old_rss(d: dict, rss: list[dict]) -> tuple[list[dict], list[dict]]:
    """(old ReplicaSets with pods, all old ReplicaSets) (FindOldReplicaSets)."""
    new = find_new_rs(d, rss)
    old = [rs for rs in rss if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]
    return [rs for rs in old if replicas(rs) != 0], old


# -- scaling decisions ------------------------------------------------------------------------
def new_rs_new_replicas(d: dict, all_rss: list[dict], new_rs: dict) -> int:
    """How far the new ReplicaSet may grow now (NewRSNewReplicas).

    RollingUpdate: up to ``replicas + maxSurge`` pods in total, never more than ``replicas`` in
    the new ReplicaSet. Recreate: straight to ``replicas``."""
    if not is_rolling_update(d):
        return replicas(d)
    surge = scaled_value(_rolling(d).get("maxSurge"), replicas(d), True)
    current, max_total = replica_count(all_rss), replicas(d) + surge
    if current >= max_total:
        return replicas(new_rs)
    scale_up = min(max_total - current, replicas(d) - replicas(new_rs))
    return replicas(new_rs) + scale_up


def is_saturated(d: dict, rs: dict | None) -> bool:
    """The new ReplicaSet runs all ``replicas``, all available (IsSaturated)."""
    if rs is None:
        return False
    desired = (rs["metadata"].get("annotations") or {}).get(DESIRED)
    n = replicas(d)
    return desired == str(n) and replicas(rs) == n and \
        (rs.get("status") or {}).get("availableReplicas", 0) == n


def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    """The only active ReplicaSet, or the newest one if none is active; None if several are
    active (FindActiveOrLatest)."""
    if new_rs is None and not old_rss:
        return None
    olds = list(reversed(by_creation(old_rss)))
    act = active(olds + [new_rs])
    if not act:
        return new_rs if new_rs is not None else olds[0]
    return act[0] if len(act) == 1 else None


def _max_replicas_annotation(rs: dict) -> int | None:
    try:
        return int((rs["metadata"].get("annotations") or {})[MAX_REPLICAS])
    except (KeyError, ValueError):
        return None


def rs_fraction(rs: dict, d: dict) -> int:
    """getReplicaSetFraction: this ReplicaSet's share of the new Deployment size, judged from
    the ``max-replicas`` annotation written at the previous size."""
    if replicas(d) == 0:
        return -replicas(rs)
    deployment_replicas = replicas(d) + max_surge(d)
    annotated = _max_replicas_annotation(rs)
    if annotated is None:
        annotated = (d.get("status") or {}).get("replicas", 0)
    if not annotated:
        return 0
    new_size = replicas(rs) * deployment_replicas / annotated
    return int(math.floor(new_size + 0.5)) - replicas(rs)  # integer.RoundToInt32: half up


def get_proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
    """GetProportion: the replicas this ReplicaSet gains (or loses) in a proportional scale."""
    if rs is None or replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction, allowed = rs_fraction(rs, d), to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


# -- annotations ------------------------------------------------------------------------------
def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    changed = ann.get(DESIRED) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)
    ann[DESIRED], ann[MAX_REPLICAS] = str(desired), str(max_replicas)
    return changed


def replicas_annotations_need_update(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = rs["metadata"].get("annotations") or {}
    return ann.get(DESIRED) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)


def set_new_rs_annotations(d: dict, rs: dict, new_revision: str, exists: bool,
                           limit: int = DEPLOYMENT_MAX_REVISION_HISTORY_CHARS) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations (change-cause...), raise
    the revision, and when an *old* ReplicaSet becomes new again (a rollback) remember its
    previous revisions in ``deployment.kubernetes.io/revision-history``."""
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for k, v in (d["metadata"].get("annotations") or {}).items():
        if k in ANNOTATIONS_TO_SKIP or ann.get(k) == v:
            continue
        ann[k] = v
        changed = True
    old = ann.get(REVISION)
    try:
        old_int = int(old) if old else 0
    except ValueError:
        return False
    new_int = int(new_revision)
    if old_int < new_int:
        ann[REVISION] = new_revision
        changed = True
        if old is not None:
            history = ann.get(REVISION_HISTORY, "")
            olds = history.split(",") if history else []
            while olds and len(",".join(olds + [old])) > limit:
                olds.pop(0)
            if len(",".join(olds + [old])) <= limit:
                ann[REVISION_HISTORY] = ",".join(olds + [old])
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def set_deployment_revision(d: dict, rev: str) -> bool:
    ann = d["metadata"].setdefault("annotations", {})
    if ann.get(REVISION) == rev:
        return False
    ann[REVISION] = rev
    return True


# -- conditions -------------------------------------------------------------------------------
def get_condition(status: dict, ctype: str) -> dict | None:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def new_condition(ctype: str, cstatus: str, reason: str, message: str, now: str) -> dict:
    return {"type": ctype, "status": cstatus, "lastUpdateTime": now, "lastTransitionTime": now,
            "reason": reason, "message": message}


def set_condition(status: dict, cond: dict) -> None:
    """SetDeploymentCondition: no-op if status and reason are unchanged; keeps
    ``lastTransitionTime`` when only the reason changes; the condition moves to the end."""
    current = get_condition(status, cond["type"])
    if current and current["status"] == cond["status"] and current.get("reason") == cond["reason"]:
        return
    if current and current["status"] == cond["status"]:
        cond["lastTransitionTime"] = current["lastTransitionTime"]
    remove_condition(status, cond["type"])
    status.setdefault("conditions", []).append(cond)


def remove_condition(status: dict, ctype: str) -> None:
    conds = [c for c in status.get("conditions") or () if c.get("type") != ctype]
    if conds:
        status["conditions"] = conds
    else:
        status.pop("conditions", None)


def has_progress_deadline(d: dict) -> bool:
    pds = d["spec"].get("progressDeadlineSeconds")
    return pds is not None and pds != MAX_INT32


def deployment_complete(d: dict, status: dict) -> bool:
    """All replicas updated and available, nothing old left, status observed the spec."""
    n = replicas(d)
    return status.get("updatedReplicas", 0) == n and status.get("replicas", 0) == n and \
        status.get("availableReplicas", 0) == n and \
        status.get("observedGeneration", 0) >= d["metadata"].get("generation", 0)


def deployment_progressing(d: dict, new: dict) -> bool:
    """Any sign of progress since the last recorded status (DeploymentProgressing)."""
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0) or new_old < old_old or \
        new.get("readyReplicas", 0) > old.get("readyReplicas", 0) or \
        new.get("availableReplicas", 0) > old.get("availableReplicas", 0)


def deployment_timed_out(d: dict, status: dict, now: float) -> bool:
    """No progress for ``progressDeadlineSeconds`` since the Progressing condition's
    ``lastUpdateTime`` (DeploymentTimedOut)."""
    if not has_progress_deadline(d):
        return False
    c = get_condition(status, "Progressing")
    if c is None or c.get("reason") == REASON_NEW_RS_AVAILABLE:
        return False
    if c.get("reason") == REASON_TIMED_OUT:
        return True
    return parse_rfc3339(c["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"] < now
