"""Job helpers as pure functions (upstream pkg/controller/job: indexed_job_utils.go,
backoff_utils.go, pod_failure_policy.go, util/utils.go, pkg/apis/batch/v1/defaults.go).

* :func:`spec_view` - a Job's spec with the API defaults filled in (parallelism 1,
  completions 1 when both are unset, backoffLimit 6, NonIndexed, podReplacementPolicy).
* Pod failure back-off: after the n-th consecutive failure a replacement waits
  ``10 s * 2^(n-1)``, capped at 10 minutes (v1.33 code; the documentation still says six).
* Indexed Jobs: completion indexes, their ``"0-2,4"`` interval notation.
* ``podFailurePolicy``: which rule a failed pod matches (FailJob / Ignore / Count).
"""
from __future__ import annotations

from ..clock import parse_rfc3339
from .podcontrol import count_terminating, is_pod_active, is_pod_ready, is_terminating
from ..upstream import (JOB_COMPLETION_INDEX_ANNOTATION, JOB_DEFAULT_BACKOFF_LIMIT,
                        JOB_MAX_POD_FAILURE_BACKOFF_SECONDS, JOB_POD_FAILURE_BACKOFF_SECONDS,
                        JOB_TRACKING_FINALIZER)

MAX_INT32 = 2 ** 31 - 1


def spec_view(job: dict) -> dict:
    """SetDefaults_Job applied to a copy of the spec (the API server normally does this)."""
    spec = dict(job.get("spec") or {})
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"], spec["parallelism"] = 1, 1
    spec.setdefault("parallelism", 1)
    if spec.get("parallelism") is None:
        spec["parallelism"] = 1
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = MAX_INT32 if spec.get("backoffLimitPerIndex") is not None \
            else JOB_DEFAULT_BACKOFF_LIMIT
    spec["completionMode"] = spec.get("completionMode") or "NonIndexed"
    spec["suspend"] = bool(spec.get("suspend"))
    if not spec.get("podReplacementPolicy"):
        spec["podReplacementPolicy"] = "Failed" if spec.get("podFailurePolicy") \
            else "TerminatingOrFailed"
    return spec


def is_indexed(spec: dict) -> bool:
    return spec.get("completionMode") == "Indexed"


def only_replace_failed(spec: dict) -> bool:
    return spec.get("podReplacementPolicy") == "Failed" or bool(spec.get("podFailurePolicy"))


def finished_condition(job: dict) -> str | None:
    """"Complete" or "Failed" if the Job has that condition True (IsJobFinished)."""
    for c in (job.get("status") or {}).get("conditions") or ():
        if c.get("type") in ("Complete", "Failed") and c.get("status") == "True":
            return c["type"]
    return None


def find_condition(status: dict, ctype: str) -> dict | None:
    for c in status.get("conditions") or ():
        if c.get("type") == ctype:
            return c
    return None


def new_condition(ctype: str, status: str, reason: str, message: str, now: str) -> dict:
    c = {"type": ctype, "status": status, "lastProbeTime": now, "lastTransitionTime": now}
    if reason:
        c["reason"] = reason
    if message:
        c["message"] = message
    return c


def ensure_condition(status: dict, ctype, cstatus, reason, message, now) -> bool:
    """ensureJobConditionStatus: update in place, or append (never append a False one)."""
    c = find_condition(status, ctype)
    if c is not None:
        if (c.get("status"), c.get("reason", ""), c.get("message", "")) != (cstatus, reason, message):
            c.clear()
            c.update(new_condition(ctype, cstatus, reason, message, now))
            return True
        return False
    if cstatus != "False":
        status.setdefault("conditions", []).append(new_condition(ctype, cstatus, reason, message, now))
        return True
    return False


def has_finalizer(pod: dict) -> bool:
    return JOB_TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ())


def is_pod_failed(pod: dict, spec: dict) -> bool:
    """Failed phase, or (unless only failed pods are replaced) deleted before succeeding."""
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Failed":
        return True
    if only_replace_failed(spec):
        return False
    return bool(pod["metadata"].get("deletionTimestamp")) and phase != "Succeeded"


# -- failure back-off (backoff_utils.go) ------------------------------------------------------
def finished_time(pod: dict) -> float:
    """getFinishedTime: last container finish, else Ready=False time, else deletion time minus
    grace, else creation time."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    times = []
    for cs in statuses:
        term = (cs.get("state") or {}).get("terminated")
        if not term or not term.get("finishedAt"):
            times = None
            break
        times.append(parse_rfc3339(term["finishedAt"]))
    if times:
        return max(times)
    for c in (pod.get("status") or {}).get("conditions") or ():
        if c.get("type") == "Ready" and c.get("status") == "False" and c.get("lastTransitionTime"):
            return parse_rfc3339(c["lastTransitionTime"])
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return parse_rfc3339(meta["deletionTimestamp"]) - (meta.get("deletionGracePeriodSeconds") or 0)
    return parse_rfc3339(meta["creationTimestamp"])


def new_backoff_record(old: tuple[int, float | None], succeeded: list, failed: list):
    """(failures since the last success, time of the last failure) after these pods."""
    failures, last = old
    failed = sorted(failed, key=finished_time)
    if not succeeded:
        if not failed:
            return failures, last
        return failures + len(failed), finished_time(failed[-1])
    last_success = max(finished_time(p) for p in succeeded)
    failures, last = 0, None
    for p in reversed(failed):
        t = finished_time(p)
        if t <= last_success:
            break
        last = last if last is not None else t
        failures += 1
    return failures, last


def backoff_remaining(failures: int, last_failure: float | None, now: float) -> float:
    """Seconds until a replacement pod may be created (getRemainingTimeForFailuresCount)."""
    if failures == 0 or last_failure is None:
        return 0.0
    delay = JOB_POD_FAILURE_BACKOFF_SECONDS
    for _ in range(1, failures):
        delay *= 2
        if delay >= JOB_MAX_POD_FAILURE_BACKOFF_SECONDS:
            delay = JOB_MAX_POD_FAILURE_BACKOFF_SECONDS
            break
    elapsed = now - last_failure
    return 0.0 if delay < elapsed else delay - elapsed


# -- indexed jobs (indexed_job_utils.go) ------------------------------------------------------
def completion_index(pod: dict) -> int:
    """The pod's ``batch.kubernetes.io/job-completion-index`` annotation, -1 if missing/bad."""
    v = (pod["metadata"].get("annotations") or {}).get(JOB_COMPLETION_INDEX_ANNOTATION)
    try:
        i = int(v)
    except (TypeError, ValueError):
        return -1
    return i if i >= 0 else -1


def parse_indexes(text: str | None, completions: int) -> set[int]:
    out: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        a, _, b = part.partition("-")
        try:
            lo, hi = int(a), int(b) if b else int(a)
        except ValueError:
            continue
        out.update(i for i in range(lo, hi + 1) if i < completions)
    return out


def format_indexes(indexes) -> str:
    """orderedIntervals.String: ``1,3-5,7`` (two neighbours are written ``3,4``)."""
    out, ordered = [], sorted(indexes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        first, last = ordered[i], ordered[j]
        if last == first:
            out.append(str(first))
        elif last == first + 1:
            out.append(f"{first},{last}")
        else:
            out.append(f"{first}-{last}")
        i = j + 1
    return ",".join(out)


def add_index_env(spec: dict) -> None:
    """addCompletionIndexEnvVariables: ``JOB_COMPLETION_INDEX`` from the annotation."""
    env = {"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
        "fieldPath": f"metadata.annotations['{JOB_COMPLETION_INDEX_ANNOTATION}']"}}}
    for field in ("initContainers", "containers"):
        for c in spec.get(field) or []:
            if not any(e.get("name") == "JOB_COMPLETION_INDEX" for e in c.get("env") or []):
                c.setdefault("env", []).append(dict(env))


# -- pod failure policy (pod_failure_policy.go) ---------------------------------------------------
def match_pod_failure_policy(policy: dict | None, pod: dict):
    """(job failure message or None, count the failure?, action or None)."""
    if not policy:
        return None, True, None
    status = pod.get("status") or {}
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        if rule.get("onExitCodes"):
            cs = _match_exit_codes(status, rule["onExitCodes"])
            if cs is None:
                continue
            if action == "FailJob":
                code = cs["state"]["terminated"].get("exitCode")
                m = pod["metadata"]
                return (f"Container {cs['name']} for pod {m.get('namespace')}/{m['name']} failed "
                        f"with exit code {code} matching FailJob rule at index {index}"), True, action
        elif rule.get("onPodConditions"):
            cond = _match_conditions(status, rule["onPodConditions"])
            if cond is None:
                continue
            if action == "FailJob":
                m = pod["metadata"]
                return (f"Pod {m.get('namespace')}/{m['name']} has condition {cond['type']} "
                        f"matching FailJob rule at index {index}"), True, action
        else:
            continue
        if action == "Ignore":
            return None, False, action
        return None, True, action  # Count (and FailIndex)
    return None, True, None


def _match_exit_codes(status: dict, req: dict):
    for field in ("containerStatuses", "initContainerStatuses"):
        for cs in status.get(field) or []:
            term = (cs.get("state") or {}).get("terminated")
            if not term or (req.get("containerName") and req["containerName"] != cs.get("name")):
                continue
            code = term.get("exitCode", 0)
            if code == 0:
                continue
            values = req.get("values") or []
            if (req.get("operator") == "In") == (code in values):
                return cs
    return None


def _match_conditions(status: dict, patterns: list) -> dict | None:
    for c in status.get("conditions") or []:
        for p in patterns:
            if c.get("type") == p.get("type") and c.get("status") == (p.get("status") or "True"):
                return c
    return None


# -- per-sync state ----------------------------------------------------------------------------
def clean_uncounted(status: dict, with_finalizer: set) -> bool:
    """Uncounted pods whose finalizer is gone move into succeeded / failed."""
    unc, changed = status["uncountedTerminatedPods"], False
    for field, counter in (("succeeded", "succeeded"), ("failed", "failed")):
        keep = [u for u in unc.get(field) or [] if u in with_finalizer]
        if len(keep) != len(unc.get(field) or []):
            status[counter] = status.get(counter, 0) + len(unc[field]) - len(keep)
            unc[field] = keep
            changed = True
    return changed


class SyncCtx:
    """What one sync of one Job knows (syncJobCtx)."""

    def __init__(self, job, spec, pods, expected_rm):
        self.job, self.spec, self.pods = job, spec, pods
        self.active_pods = [p for p in pods if is_pod_active(p)]
        self.ready = sum(1 for p in self.active_pods if is_pod_ready(p))
        self.terminating = count_terminating(pods)
        self.expected_rm = set(expected_rm)
        unc = job["status"].get("uncountedTerminatedPods") or {}
        self.uncounted_s, self.uncounted_f = set(unc.get("succeeded") or []), set(unc.get("failed") or [])
        self.finished = None
        self.succeeded = self.failed = 0
        self.backoff = (0, None)
        self.interim_added = False
        self.failed_indexes: set[int] | None = None  # with backoffLimitPerIndex only
        self.delayed: dict[int, dict] = {}  # index -> failed pod awaiting its replacement
        completions = spec.get("completions") or 0
        self.prev_indexes = parse_indexes(job["status"].get("completedIndexes"), completions) \
            if is_indexed(spec) else set()

    def _valid(self, p) -> bool:
        uid = p["metadata"]["uid"]
        if not has_finalizer(p) or uid in self.expected_rm:
            return False
        if is_indexed(self.spec):
            ix = completion_index(p)
            return 0 <= ix < self.spec["completions"]
        return True

    def new_finished(self):
        """getNewFinishedPods: finished pods still holding the finalizer, not yet uncounted."""
        ok = [p for p in self.pods if self._valid(p)]
        succ = [p for p in ok if (p.get("status") or {}).get("phase") == "Succeeded" and
                p["metadata"]["uid"] not in self.uncounted_s]
        fail = [p for p in ok if is_pod_failed(p, self.spec) and
                p["metadata"]["uid"] not in self.uncounted_f]
        return succ, fail

    def succeeded_indexes(self) -> set[int]:
        done = set(self.prev_indexes)
        for p in self.pods:
            ix = completion_index(p)
            if (p.get("status") or {}).get("phase") == "Succeeded" and has_finalizer(p) and \
                    0 <= ix < self.spec["completions"]:
                done.add(ix)
        return done

    def first_pending_indexes(self, count: int) -> list[int]:
        """firstPendingIndexes: not succeeded, running, failed (or, when only failed pods are
        replaced, terminating)."""
        busy = self.succeeded_indexes() | {completion_index(p) for p in self.active_pods}
        busy |= self.failed_indexes or set()
        if only_replace_failed(self.spec):
            busy |= {completion_index(p) for p in self.pods if is_terminating(p) and
                     (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")}
        out = []
        for i in range(self.spec["completions"]):
            if len(out) >= count:
                break
            if i not in busy:
                out.append(i)
        return out
