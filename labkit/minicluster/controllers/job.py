"""The Job controller (upstream pkg/controller/job/job_controller.go, v1.33).

A Job runs pods until ``completions`` of them succeed (at most ``parallelism`` at a time):

* pods are named ``<job>-<5 chars>`` (Indexed Jobs: ``<job>-<index>-<5 chars>``, with the
  ``batch.kubernetes.io/job-completion-index`` annotation and label, hostname
  ``<job>-<index>`` and the ``JOB_COMPLETION_INDEX`` variable);
* every pod carries the finalizer ``batch.kubernetes.io/job-tracking``: a finished pod is
  first written into ``status.uncountedTerminatedPods``, then its finalizer is removed, then it
  moves into ``succeeded``/``failed``. So nothing is counted twice or lost, even if the pod is
  deleted right away;
* a failed pod is replaced after a back-off of 10 s, 20 s, 40 s... (capped at 10 minutes);
  more than ``backoffLimit`` failures → ``Failed`` with reason ``BackoffLimitExceeded``;
  running longer than ``activeDeadlineSeconds`` → ``DeadlineExceeded``; a matching
  ``podFailurePolicy`` rule can fail the Job at once (``PodFailurePolicy``) or ignore a failure;
* terminal conditions come in two steps, as in v1.33: first the interim ``FailureTarget`` or
  ``SuccessCriteriaMet`` condition, then - once no pod is left terminating - ``Failed`` or
  ``Complete`` (+ ``completionTime``).

Indexed Jobs may also use ``backoffLimitPerIndex``/``maxFailedIndexes`` and a
``successPolicy`` (see :mod:`.job_indexed`). Simplification: a Job with ``managedBy`` other than
the default is left alone (no external controller is modelled).
"""
from __future__ import annotations

from ..clock import parse_rfc3339
from ..errors import ApiError
from ..objects import clone, key_of, owner_of
from ..selectors import from_label_selector
from ..upstream import (JOB_COMPLETION_INDEX_ANNOTATION as INDEX, JOB_MAX_POD_CREATE_DELETE_PER_SYNC,
                        JOB_MAX_UNCOUNTED_PODS, JOB_SYNC_BATCH_PERIOD_SECONDS as BATCH,
                        JOB_TRACKING_FINALIZER)
from . import job_indexed as ji
from . import job_util as ju
from .base import Controller, WorkQueue
from .podcontrol import (ClaimManager, Expectations, OrphanIndex, PodControl, is_pod_ready,
                         pod_from_template, sort_active_pods)

_REMOVE_FINALIZER = {"metadata": {"$deleteFromPrimitiveList/finalizers": [JOB_TRACKING_FINALIZER]}}
_MANAGED_BY = "kubernetes.io/job-controller"


class JobController(Controller):
    name = "job-controller"

    def setup(self) -> None:
        self.jobs = self.informers["jobs"]
        self.pods = self.informers["pods"]
        self.pod_orphans = OrphanIndex.of(self.pods)
        self.expectations = Expectations(self.clock)
        self.finalizer_expectations: dict[str, set] = {}
        self.backoffs: dict[str, tuple] = {}
        self.pod_control = PodControl(self)
        self.claims = ClaimManager(self, "pods", {"finalizers": [JOB_TRACKING_FINALIZER]})
        self.orphan_queue = WorkQueue(self.loop, self.sync_orphan_pod)
        self.jobs.add_handler(self._job_added, self._job_updated, self._job_deleted)
        self.pods.add_handler(self._pod_added, self._pod_updated, self._pod_deleted)

    # -- handlers ---------------------------------------------------------------------------
    def _job_added(self, job: dict) -> None:
        self.queue.add(key_of(job))

    def _job_updated(self, old: dict, new: dict) -> None:
        key = key_of(new)
        if old["metadata"].get("generation") == new["metadata"].get("generation"):
            self.queue.add_after(key, BATCH)
        else:
            self.queue.add(key)
        if ju.finished_condition(new):
            self._cleanup_pod_finalizers(new)
        ads = new["spec"].get("activeDeadlineSeconds")
        start = (new.get("status") or {}).get("startTime")
        if start and ads is not None and old["spec"].get("activeDeadlineSeconds") != ads:
            self.queue.add_after(key, ads - (self.clock.now() - parse_rfc3339(start)))

    def _job_deleted(self, job: dict) -> None:
        self.queue.add(key_of(job))
        self._cleanup_pod_finalizers(job)

    def _cleanup_pod_finalizers(self, job: dict) -> None:
        for pod in self.pods.owned_by(job["metadata"]["uid"]):
            if (owner_of(pod) or {}).get("uid") == job["metadata"]["uid"] and ju.has_finalizer(pod):
                self.orphan_queue.add(key_of(pod))

    def _resolve(self, pod: dict, ref=None) -> dict | None:
        ref = ref or owner_of(pod)
        if ref is None or ref.get("kind") != "Job":
            return None
        job = self.jobs.get(ref["name"], pod["metadata"].get("namespace"))
        return job if job is not None and job["metadata"]["uid"] == ref.get("uid") else None

    def _matching(self, pod: dict) -> list[dict]:
        labels = pod["metadata"].get("labels")
        return [j for j in self.jobs.list(pod["metadata"].get("namespace"))
                if j["spec"].get("selector") and
                from_label_selector(j["spec"]["selector"]).matches(labels)]

    def _pod_added(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            return self._pod_deleted(pod, final=False)
        if owner_of(pod) is not None:
            job = self._resolve(pod)
            if job is not None:
                self.expectations.creation_observed(key_of(job))
                self.queue.add_after(key_of(job), BATCH)
            return
        if ju.has_finalizer(pod):
            self.orphan_queue.add(key_of(pod))
        for job in self._matching(pod):
            self.queue.add_after(key_of(job), BATCH)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        if new["metadata"].get("deletionTimestamp"):
            return self._pod_deleted(new, final=False)
        old_ref, new_ref = owner_of(old), owner_of(new)
        if old_ref != new_ref and old_ref is not None:
            self._finalizer_seen(self._resolve(old, old_ref), new)
        if new_ref is not None:
            self._finalizer_seen(self._resolve(new, new_ref), new)
            return
        if ju.has_finalizer(new):
            self.orphan_queue.add(key_of(new))
        if old["metadata"].get("labels") != new["metadata"].get("labels") or old_ref != new_ref:
            for job in self._matching(new):
                self.queue.add_after(key_of(job), BATCH)

    def _finalizer_seen(self, job: dict | None, pod: dict) -> None:
        """A pod of ``job`` changed: note a removed finalizer, sync the Job (batched)."""
        if job is None:
            return
        if not ju.has_finalizer(pod):
            self.finalizer_expectations.get(key_of(job), set()).discard(pod["metadata"]["uid"])
        self.queue.add_after(key_of(job), BATCH)

    def _pod_deleted(self, pod: dict, final: bool = True) -> None:
        ref = owner_of(pod)
        if ref is None:
            if ju.has_finalizer(pod):
                self.orphan_queue.add(key_of(pod))
            return
        job = self._resolve(pod, ref)
        if job is None or ju.finished_condition(job):
            if ju.has_finalizer(pod):
                self.orphan_queue.add(key_of(pod))
            return
        key = key_of(job)
        self.expectations.deletion_observed(key)
        if final or not ju.has_finalizer(pod):
            self.finalizer_expectations.get(key, set()).discard(pod["metadata"]["uid"])
        self.queue.add_after(key, BATCH)

    def sync_orphan_pod(self, key: str) -> None:
        """Remove the tracking finalizer from a pod no running Job will count any more."""
        pod = self.pods.get(key)
        if pod is None or not ju.has_finalizer(pod):
            return
        ref = owner_of(pod)
        if ref is not None:
            if ref.get("kind") != "Job" or ref.get("apiVersion") != "batch/v1":
                return
            job = self._resolve(pod, ref)
            if job is not None and not ju.finished_condition(job):
                return
        self.remove_finalizer(pod, raise_errors=True)

    def remove_finalizer(self, pod: dict, raise_errors: bool = False) -> bool:
        """Patch away ``batch.kubernetes.io/job-tracking``; True if gone (or the pod is)."""
        try:
            self.pod_control.patch(pod["metadata"]["namespace"], pod["metadata"]["name"],
                                   _REMOVE_FINALIZER)
        except ApiError as e:
            if e.code == 404:
                return True
            if raise_errors:
                raise
            return False
        return True

    # -- sync -------------------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        cached = self.jobs.get(key)
        if cached is None:
            self.expectations.delete(key)
            self.finalizer_expectations.pop(key, None)
            self.backoffs.pop(key, None)
            return
        if (cached["spec"].get("managedBy") or _MANAGED_BY) != _MANAGED_BY:
            return
        if ju.finished_condition(cached):
            self.backoffs.pop(key, None)
            return
        job, spec = clone(cached), ju.spec_view(cached)
        status = job.setdefault("status", {})
        status.setdefault("uncountedTerminatedPods", {})
        satisfied = self.expectations.satisfied(key)
        pods = self.pods_for(job)
        ctx = ju.SyncCtx(job, spec, pods, self.finalizer_expectations.get(key, set()))
        active = len(ctx.active_pods)
        new_succeeded, new_failed = ctx.new_finished()
        ctx.succeeded = status.get("succeeded", 0) + len(new_succeeded) + len(ctx.uncounted_s)
        ctx.failed = status.get("failed", 0) + len(ctx.uncounted_f) + sum(
            1 for p in new_failed
            if ju.match_pod_failure_policy(spec.get("podFailurePolicy"), p)[1])
        if not status.get("startTime") and not spec["suspend"]:
            status["startTime"] = self.now()
        ctx.backoff = ju.new_backoff_record(self.backoffs.get(key, (0, None)), new_succeeded,
                                            new_failed)
        self.decide_failure(key, ctx)
        if ju.is_indexed(spec):
            ctx.succeeded = len(ctx.succeeded_indexes())
            ji.decide(ctx, self.now())
        suspend_changed = False
        error = None
        if ctx.finished is not None:
            ready_deleted, deleted, error = self.delete_active(job, ctx.active_pods, strip=False)
            if deleted != active or not satisfied:
                ctx.finished = None
            active -= deleted
            ctx.terminating += deleted
            ctx.ready -= ready_deleted
        else:
            managed = satisfied and not job["metadata"].get("deletionTimestamp")
            if managed:
                active, error = self.manage_job(job, ctx)
            want = spec.get("completions")
            if (ctx.succeeded > 0 if want is None else ctx.succeeded >= want) and active == 0:
                ctx.finished = ju.new_condition("SuccessCriteriaMet", "True", "CompletionsReached",
                                                "Reached expected number of succeeded pods",
                                                self.now())
            elif managed:
                suspend_changed = self.suspend_conditions(job, spec)
        needs_update = suspend_changed or active != status.get("active", 0) or \
            status.get("ready") != ctx.ready or status.get("terminating") != ctx.terminating
        status["active"], status["ready"], status["terminating"] = active, ctx.ready, ctx.terminating
        self.track_status(key, ctx, needs_update)
        if error is not None:
            raise error

    def pods_for(self, job: dict) -> list[dict]:
        """getPodsForJob: owned pods plus adopted orphans (adoption adds the finalizer)."""
        sel = job["spec"].get("selector")
        selector = from_label_selector(sel) if sel else from_label_selector(
            {"matchLabels": {"batch.kubernetes.io/controller-uid": job["metadata"]["uid"]}})
        return self.claims.claim(job, selector, self.pods.owned_by(job["metadata"]["uid"]),
                                 self.pod_orphans.list(job["metadata"]["namespace"]))

    def decide_failure(self, key: str, ctx: "ju.SyncCtx") -> None:
        """Has the Job failed (or already met its success criteria)?"""
        job, spec, status = ctx.job, ctx.spec, ctx.job["status"]
        now = self.now()
        met = ju.find_condition(status, "SuccessCriteriaMet")
        if met is not None and met.get("status") == "True":
            ctx.finished = met
            return
        target = ju.find_condition(status, "FailureTarget")
        if target is not None and target.get("status") == "True":
            ctx.finished = ju.new_condition("Failed", "True", target.get("reason", ""),
                                            target.get("message", ""), now)
            return
        for p in ctx.pods:
            if ju.is_pod_failed(p, spec):
                msg = ju.match_pod_failure_policy(spec.get("podFailurePolicy"), p)[0]
                if msg:
                    ctx.finished = ju.new_condition("FailureTarget", "True", "PodFailurePolicy",
                                                    msg, now)
                    return
        if ctx.failed > spec["backoffLimit"] or self.past_backoff_limit_on_failure(spec, ctx.pods):
            ctx.finished = ju.new_condition("FailureTarget", "True", "BackoffLimitExceeded",
                                            "Job has reached the specified backoff limit", now)
        elif self.past_deadline(spec, status):
            ctx.finished = ju.new_condition("FailureTarget", "True", "DeadlineExceeded",
                                            "Job was active longer than specified deadline", now)
        elif spec.get("activeDeadlineSeconds") is not None and not spec["suspend"]:
            left = spec["activeDeadlineSeconds"] - (self.clock.now() -
                                                    parse_rfc3339(status["startTime"]))
            self.queue.add_after(key, left)

    @staticmethod
    def past_backoff_limit_on_failure(spec: dict, pods: list[dict]) -> bool:
        """restartPolicy OnFailure: container restarts count against backoffLimit."""
        if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") != "OnFailure":
            return False
        restarts = sum(cs.get("restartCount", 0) for p in pods
                       if (p.get("status") or {}).get("phase") in ("Running", "Pending")
                       for f in ("initContainerStatuses", "containerStatuses")
                       for cs in (p.get("status") or {}).get(f) or [])
        return restarts > 0 if spec["backoffLimit"] == 0 else restarts >= spec["backoffLimit"]

    def past_deadline(self, spec: dict, status: dict) -> bool:
        ads = spec.get("activeDeadlineSeconds")
        if ads is None or not status.get("startTime") or spec["suspend"]:
            return False
        return self.clock.now() - parse_rfc3339(status["startTime"]) >= ads

    def suspend_conditions(self, job: dict, spec: dict) -> bool:
        status, now = job["status"], self.now()
        if spec["suspend"]:
            if ju.ensure_condition(status, "Suspended", "True", "JobSuspended", "Job suspended", now):
                self.event(job, "Normal", "Suspended", "Job suspended")
                return True
        elif ju.ensure_condition(status, "Suspended", "False", "JobResumed", "Job resumed", now):
            self.event(job, "Normal", "Resumed", "Job resumed")
            status["startTime"] = now  # activeDeadlineSeconds counts from the resume
            return True
        return False

    # -- pods -------------------------------------------------------------------------------
    def manage_job(self, job: dict, ctx: "ju.SyncCtx") -> tuple[int, ApiError | None]:
        """Create or delete pods toward min(parallelism, completions left); returns the new
        active count and the first error."""
        spec, key = ctx.spec, key_of(job)
        active = len(ctx.active_pods)
        if spec["suspend"]:
            victims = sort_active_pods(ctx.active_pods)
            self.expectations.expect_deletions(key, len(victims))
            ready, removed, err = self.delete_active(job, victims, strip=True)
            ctx.terminating += removed
            ctx.ready -= ready
            return active - removed, err
        if spec.get("completions") is None:
            want = active if ctx.succeeded > 0 else spec["parallelism"]
        else:
            want = max(min(spec["completions"] - ctx.succeeded, spec["parallelism"]), 0)
        victims = self.pods_for_removal(ctx, max(active - want, 0))
        victims = victims[:JOB_MAX_POD_CREATE_DELETE_PER_SYNC]
        if victims:
            self.expectations.expect_deletions(key, len(victims))
            ready, removed, err = self.delete_active(job, victims, strip=True)
            ctx.terminating += removed
            ctx.ready -= ready
            return active - removed, err
        terminating = ctx.terminating if ju.only_replace_failed(spec) else 0
        diff = want - terminating - active
        if diff <= 0:
            return active, None
        per_index = ji.has_per_index(spec)
        wait = 0 if per_index else ju.backoff_remaining(*ctx.backoff, self.clock.now())
        diff = min(diff, JOB_MAX_POD_CREATE_DELETE_PER_SYNC)
        indexes = ctx.first_pending_indexes(diff) if ju.is_indexed(spec) else [None] * diff
        if per_index:
            indexes, wait = ji.creatable_indexes(indexes, ctx.delayed, self.clock.now())
        if wait > 0:
            self.queue.add_after(key, max(wait, BATCH))
            return 0, None  # upstream reports 0 active while backing off
        diff = len(indexes)
        self.expectations.expect_creations(key, diff)
        template = clone(spec.get("template") or {})
        if ju.is_indexed(spec):
            ju.add_index_env(template.setdefault("spec", {}))
        fins = template.setdefault("metadata", {}).setdefault("finalizers", [])
        if JOB_TRACKING_FINALIZER not in fins:
            fins.append(JOB_TRACKING_FINALIZER)
        created, error, batch, i = 0, None, 1, 0
        while i < diff and error is None:  # slow start: 1, 2, 4...
            for index in indexes[i:i + batch]:
                extra = ji.failure_annotations(spec, ctx.delayed.get(index)) if per_index else {}
                try:
                    self.create_pod(job, template, index, extra)
                    created += 1
                except ApiError as e:
                    self.expectations.creation_observed(key)
                    error = error or e
            i += batch
            batch *= 2
        for _ in range(diff - i if i < diff else 0):
            self.expectations.creation_observed(key)
        return active + created, error

    def create_pod(self, job: dict, template: dict, index: int | None, extra: dict) -> dict:
        """One pod; ``extra``: annotations (the per-index failure counts)."""
        name = job["metadata"]["name"]
        pod = pod_from_template(template, job, None if index is None else f"{name}-{index}-")
        labels = pod["metadata"].setdefault("labels", {})
        if not job["spec"].get("selector"):  # the API server usually generates these
            uid = job["metadata"]["uid"]
            labels.update({"batch.kubernetes.io/controller-uid": uid,
                           "batch.kubernetes.io/job-name": name, "controller-uid": uid,
                           "job-name": name})
        if index is not None:
            pod["metadata"].setdefault("annotations", {})[INDEX] = str(index)
            pod["metadata"]["annotations"].update(extra)
            labels[INDEX] = str(index)
            pod["spec"]["hostname"] = f"{name}-{index}"
        return self.pod_control.create(job["metadata"]["namespace"], pod, job)

    def pods_for_removal(self, ctx: "ju.SyncCtx", at_least: int) -> list[dict]:
        """activePodsForRemoval: duplicate/invalid indexes first, then the least advanced."""
        rm, left = [], list(ctx.active_pods)
        if ju.is_indexed(ctx.spec):
            seen, left = set(), []
            for p in sorted(ctx.active_pods, key=lambda p: p["metadata"]["name"]):
                ix = ju.completion_index(p)
                if ix < 0 or ix >= ctx.spec["completions"] or ix in seen:
                    rm.append(p)
                else:
                    seen.add(ix)
                    left.append(p)
        if len(rm) < at_least:
            rm += sort_active_pods(left)[:at_least - len(rm)]
        return rm

    def delete_active(self, job: dict, pods: list[dict], strip: bool):
        """Delete pods (``strip``: drop the finalizer first, so the pod is not counted as a
        failure - deleteJobPods); returns (ready deleted, deleted, first error)."""
        ns, error, ready, deleted = job["metadata"]["namespace"], None, 0, 0
        for pod in pods:
            name = pod["metadata"]["name"]
            try:
                if strip and ju.has_finalizer(pod):
                    self.pod_control.patch(ns, name, _REMOVE_FINALIZER)
                self.pod_control.delete(ns, name, job)
            except ApiError as e:
                if strip:
                    self.expectations.deletion_observed(key_of(job))
                if e.code != 404:
                    error = error or e
                    continue
            deleted += 1
            ready += is_pod_ready(pod)
        return ready, deleted, error

    # -- status tracking --------------------------------------------------------------------
    def track_status(self, key: str, ctx: "ju.SyncCtx", needs_flush: bool) -> None:
        """trackJobStatusAndRemoveFinalizers: record finished pods as uncounted, remove their
        finalizers, move them into the counters, and declare the Job finished when due."""
        job, spec = ctx.job, ctx.spec
        status = job["status"]
        unc = status["uncountedTerminatedPods"]
        with_finalizer = {p["metadata"]["uid"] for p in ctx.pods
                          if ju.has_finalizer(p) and p["metadata"]["uid"] not in ctx.expected_rm}
        needs_flush |= ju.clean_uncounted(status, with_finalizer)
        to_remove, new_indexes = [], []
        for pod in sorted(ctx.pods, key=ju.completion_index) if ju.is_indexed(spec) else ctx.pods:
            uid = pod["metadata"]["uid"]
            if not ju.has_finalizer(pod) or uid in ctx.expected_rm:
                continue
            failed = ju.is_pod_failed(pod, spec)
            phase = (pod.get("status") or {}).get("phase")
            if not ji.can_remove_finalizer(ctx, pod, failed):
                continue
            to_remove.append(pod)
            ix = ju.completion_index(pod)
            if phase == "Succeeded" and uid not in unc.get("failed", []):
                if ju.is_indexed(spec):
                    if 0 <= ix < spec["completions"] and ix not in ctx.prev_indexes:
                        new_indexes.append(ix)
                        needs_flush = True
                elif uid not in unc.get("succeeded", []):
                    unc.setdefault("succeeded", []).append(uid)
                    needs_flush = True
            elif failed or (ctx.finished is not None and
                            ctx.finished["type"] != "SuccessCriteriaMet"):
                valid = not ju.is_indexed(spec) or 0 <= ix < spec["completions"]
                if uid not in unc.get("failed", []) and valid and \
                        ju.match_pod_failure_policy(spec.get("podFailurePolicy"), pod)[1]:
                    unc.setdefault("failed", []).append(uid)
                    needs_flush = True
            if len(new_indexes) + len(unc.get("succeeded", [])) + len(unc.get("failed", [])) \
                    >= JOB_MAX_UNCOUNTED_PODS:
                break
        if ju.is_indexed(spec):
            done = ctx.succeeded_indexes() | set(new_indexes)
            text = ju.format_indexes(done)
            needs_flush |= text != status.get("completedIndexes", "")
            status["succeeded"] = len(done)
            if text:
                status["completedIndexes"] = text
            needs_flush |= ji.record_failed_indexes(status, ctx)
        self._interim_conditions(ctx)
        needs_flush |= ctx.interim_added
        if needs_flush:
            self.write_status(job)
            self.backoffs[key] = ctx.backoff
        if to_remove:
            expected = self.finalizer_expectations.setdefault(key, set())
            expected.update(p["metadata"]["uid"] for p in to_remove)
            for pod in to_remove:
                if not self.remove_finalizer(pod):
                    continue
                with_finalizer.discard(pod["metadata"]["uid"])
                expected.discard(pod["metadata"]["uid"])
        changed = ju.clean_uncounted(status, with_finalizer)
        finished = self.enact_finished(ctx)
        if changed or finished:
            self.write_status(job)
            if finished:
                self.record_finished(job, ctx.finished)

    def _interim_conditions(self, ctx: "ju.SyncCtx") -> None:
        """Write FailureTarget / SuccessCriteriaMet first; the final condition comes later."""
        status, fin, now = ctx.job["status"], ctx.finished, self.now()
        ctx.interim_added = False
        if fin is None:
            return
        if fin["type"] == "FailureTarget":
            status.setdefault("conditions", []).append(fin)
            ctx.interim_added = True
            ctx.finished = ju.new_condition("Failed", "True", fin.get("reason", ""),
                                            fin.get("message", ""), now)
        elif fin["type"] == "SuccessCriteriaMet":
            if ju.find_condition(status, "SuccessCriteriaMet") is None:
                status.setdefault("conditions", []).append(fin)
                ctx.interim_added = True
            ctx.finished = ju.new_condition("Complete", "True", fin.get("reason", ""),
                                            fin.get("message", ""), now)

    def enact_finished(self, ctx: "ju.SyncCtx") -> bool:
        status, fin = ctx.job["status"], ctx.finished
        if fin is None:
            return False
        unc = status.get("uncountedTerminatedPods") or {}
        if unc.get("succeeded") or unc.get("failed") or ctx.terminating > 0:
            return False
        ju.ensure_condition(status, fin["type"], "True", fin.get("reason", ""),
                            fin.get("message", ""), self.now())
        if fin["type"] == "Complete":
            status["completionTime"] = ju.find_condition(status, "Complete")["lastTransitionTime"]
        return True

    def record_finished(self, job: dict, fin: dict) -> None:
        if fin["type"] == "Complete":
            want = ju.spec_view(job).get("completions")
            if want is not None and job["status"].get("succeeded", 0) > want:
                self.event(job, "Warning", "TooManySucceededPods",
                           "Too many succeeded pods running after completion count reached")
            self.event(job, "Normal", "Completed", "Job completed")
        else:
            self.event(job, "Warning", fin.get("reason", ""), fin.get("message", ""))

    def write_status(self, job: dict) -> None:
        st = job["status"]
        out = {k: v for k, v in st.items()
               if v or k in ("ready", "terminating", "uncountedTerminatedPods", "active",
                             "failedIndexes")}
        if not out.get("active"):
            out.pop("active", None)
        out["uncountedTerminatedPods"] = {k: v for k, v in st["uncountedTerminatedPods"].items() if v}
        job["status"] = out
        res = self.api.update("jobs", job, job["metadata"]["namespace"], subresource="status",
                              user=self.user)
        job["metadata"], job["status"] = res["metadata"], res["status"]
        job["status"].setdefault("uncountedTerminatedPods", {})
