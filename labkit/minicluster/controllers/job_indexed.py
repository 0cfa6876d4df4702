"""Indexed-Job policies of the Job controller (upstream pkg/controller/job: indexed_job_utils.go,
success_policy.go, backoff_utils.go and syncJob in job_controller.go, v1.37).

**Backoff limit per index** (``backoffLimitPerIndex``, Indexed Jobs only). Each index gets its
own retry budget instead of the Job-wide ``backoffLimit``:

* every pod carries ``batch.kubernetes.io/job-index-failure-count`` - how many pods of its
  index failed before it (and ``...-ignored-failure-count`` for failures a ``podFailurePolicy``
  rule ignored, when there were any);
* a failed pod whose count already reached ``backoffLimitPerIndex`` (or that matched a
  ``FailIndex`` rule) fails its index: it is listed in ``status.failedIndexes`` and never
  retried. Other indexes carry on;
* the controller keeps the tracking finalizer on an index's last failed pod until the
  replacement exists, so the count can be carried over; the replacement waits for the index's
  own back-off (10 s, 20 s, 40 s ...), the Job-wide back-off does not apply;
* more failed indexes than ``maxFailedIndexes`` → ``FailureTarget``/``Failed`` with reason
  ``MaxFailedIndexesExceeded``; once every index either succeeded or failed (and some failed)
  → reason ``FailedIndexes``.

**Success policy** (``successPolicy.rules``, Indexed Jobs only). The Job succeeds early when
a rule matches: all of its ``succeededIndexes`` succeeded, or ``succeededCount`` of them (or of
all indexes when the rule lists none). The Job gets ``SuccessCriteriaMet`` (reason
``SuccessPolicy``, message ``Matched rules at index N``), its remaining pods are terminated,
then it becomes ``Complete`` with the same reason and message.
"""
from __future__ import annotations

from ..upstream import (JOB_INDEX_FAILURE_COUNT_ANNOTATION as FAILURES,
                        JOB_INDEX_IGNORED_FAILURE_COUNT_ANNOTATION as IGNORED)
from . import job_util as ju

MAX_INT32 = 2 ** 31 - 1


def has_per_index(spec: dict) -> bool:
    """hasBackoffLimitPerIndex."""
    return ju.is_indexed(spec) and spec.get("backoffLimitPerIndex") is not None


def _annotation_count(pod: dict, key: str) -> int:
    """parseInt32 of an annotation: 0 when missing, unparsable, negative or too large."""
    try:
        v = int((pod["metadata"].get("annotations") or {}).get(key))
    except (TypeError, ValueError):
        return 0
    return v if 0 <= v <= MAX_INT32 else 0


def failure_count(pod: dict) -> int:
    return _annotation_count(pod, FAILURES)


def absolute_failure_count(pod: dict) -> int:
    return _annotation_count(pod, FAILURES) + _annotation_count(pod, IGNORED)


def is_index_failed(spec: dict, pod: dict) -> bool:
    """isIndexFailed: the pod failed, counted, and its index has no retries left (or a
    FailIndex rule matched)."""
    if not ju.is_pod_failed(pod, spec):
        return False
    counted = True
    if spec.get("podFailurePolicy"):
        _, counted, action = ju.match_pod_failure_policy(spec["podFailurePolicy"], pod)
        if action == "FailIndex":
            return True
    return counted and failure_count(pod) >= spec["backoffLimitPerIndex"]


def _valid_index(ctx, pod: dict) -> int:
    """The pod's completion index if it is tracked and in range, else -1."""
    ix = ju.completion_index(pod)
    return ix if 0 <= ix < ctx.spec["completions"] and ju.has_finalizer(pod) else -1


def failed_indexes(ctx) -> set[int]:
    """calculateFailedIndexes: ``status.failedIndexes`` plus newly failed indexes."""
    out = ju.parse_indexes(ctx.job["status"].get("failedIndexes"), ctx.spec["completions"])
    for pod in ctx.pods:
        ix = _valid_index(ctx, pod)
        if ix >= 0 and is_index_failed(ctx.spec, pod):
            out.add(ix)
    return out


def delayed_deletions(ctx) -> dict[int, dict]:
    """getPodsWithDelayedDeletionPerIndex: per index without a running, succeeded or failed
    status, its latest failed pod (kept until the replacement carries its count)."""
    busy = ctx.succeeded_indexes() | ctx.failed_indexes | \
        {ju.completion_index(p) for p in ctx.active_pods}
    out: dict[int, dict] = {}
    for pod in ctx.pods:
        if pod["metadata"]["uid"] in ctx.expected_rm or not ju.is_pod_failed(pod, ctx.spec):
            continue
        ix = _valid_index(ctx, pod)
        if ix < 0 or ix in busy:
            continue
        last = out.get(ix)
        if last is None or (absolute_failure_count(last) <= absolute_failure_count(pod) and
                            ju.finished_time(pod) >= ju.finished_time(last)):
            out[ix] = pod
    return out


def decide(ctx, now: str) -> None:
    """The Indexed part of syncJob: failed indexes, then the success policy."""
    spec = ctx.spec
    if has_per_index(spec):
        ctx.failed_indexes = failed_indexes(ctx)
        if ctx.finished is None:
            ctx.finished = _failed_indexes_condition(spec, ctx, now)
        ctx.delayed = delayed_deletions(ctx)
    if ctx.finished is None:
        msg = match_success_policy(spec.get("successPolicy"), spec["completions"],
                                   ctx.succeeded_indexes())
        if msg:
            ctx.finished = ju.new_condition("SuccessCriteriaMet", "True", "SuccessPolicy", msg,
                                            now)


def _failed_indexes_condition(spec: dict, ctx, now: str):
    failed, limit = len(ctx.failed_indexes), spec.get("maxFailedIndexes")
    if limit is not None and failed > limit:
        return ju.new_condition("FailureTarget", "True", "MaxFailedIndexesExceeded",
                                "Job has exceeded the specified maximal number of failed "
                                "indexes", now)
    if failed and failed + len(ctx.succeeded_indexes()) >= spec["completions"]:
        return ju.new_condition("FailureTarget", "True", "FailedIndexes",
                                "Job has failed indexes", now)
    return None


def match_success_policy(policy: dict | None, completions: int, succeeded: set[int]):
    """matchSuccessPolicy → ``"Matched rules at index N"`` for the first matching rule."""
    if not policy or not succeeded:
        return None
    for i, rule in enumerate(policy.get("rules") or []):
        count = rule.get("succeededCount")
        if rule.get("succeededIndexes") is not None:
            required = ju.parse_indexes(rule["succeededIndexes"], completions)
            if not required:
                continue
            done = len(required & succeeded)
            if done == len(required) or (count is not None and done >= count):
                return f"Matched rules at index {i}"
        elif count is not None and len(succeeded) >= count:
            return f"Matched rules at index {i}"
    return None


# -- pod creation ------------------------------------------------------------------------------
def failure_annotations(spec: dict, replaced: dict | None) -> dict:
    """addIndexFailureCountAnnotation: the new pod's counts, one more than the pod it replaces
    (an ignored failure raises the ignored count instead)."""
    if replaced is None:
        return {FAILURES: "0"}
    count, ignored = failure_count(replaced), _annotation_count(replaced, IGNORED)
    counted = True
    if spec.get("podFailurePolicy"):
        counted = ju.match_pod_failure_policy(spec["podFailurePolicy"], replaced)[1]
    if counted:
        count += 1
    else:
        ignored += 1
    out = {FAILURES: str(count)}
    if ignored:
        out[IGNORED] = str(ignored)
    return out


def creatable_indexes(indexes: list[int], delayed: dict, now: float):
    """getPodCreationInfoForIndependentIndexes → (indexes to create now, seconds until the
    earliest back-off ends if none can be created)."""
    ready, waits = [], []
    for ix in indexes:
        pod = delayed.get(ix)
        wait = 0.0 if pod is None else ju.backoff_remaining(absolute_failure_count(pod) + 1,
                                                            ju.finished_time(pod), now)
        if wait == 0:
            ready.append(ix)
        else:
            waits.append(wait)
    if ready:
        return ready, 0.0
    return [], min(waits, default=0.0)


# -- status tracking ---------------------------------------------------------------------------
def can_remove_finalizer(ctx, pod: dict, failed: bool) -> bool:
    """canRemoveFinalizer: finished or succeeded pods, and failed ones unless their index still
    waits for a replacement."""
    phase = (pod.get("status") or {}).get("phase")
    if ctx.job["metadata"].get("deletionTimestamp") or ctx.finished is not None or \
            phase == "Succeeded":
        return True
    if not failed:
        return False
    if has_per_index(ctx.spec):
        held = ctx.delayed.get(ju.completion_index(pod))
        if held is not None and held["metadata"]["uid"] == pod["metadata"]["uid"]:
            return False
    return True


def record_failed_indexes(status: dict, ctx) -> bool:
    """``status.failedIndexes`` ("" when none) for Jobs with a per-index limit; changed?"""
    if ctx.failed_indexes is None:
        return False
    text = ju.format_indexes(ctx.failed_indexes)
    if status.get("failedIndexes") == text:
        return False
    status["failedIndexes"] = text
    return True
