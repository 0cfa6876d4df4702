"""The CronJob controller (upstream pkg/controller/cronjob/cronjob_controllerv2.go, utils.go,
v1.33), running on the virtual clock.

On each sync the controller finds the most recent *scheduled time* that has passed since
``status.lastScheduleTime`` (or the CronJob's creation) and, unless something forbids it,
creates a Job for it:

* the Job is named ``<cronjob>-<scheduled time in minutes since the epoch>`` (getJobName), so
  the same slot can never produce two Jobs; it carries the annotation
  ``batch.kubernetes.io/cronjob-scheduled-timestamp`` (RFC 3339, in the CronJob's time zone);
* ``startingDeadlineSeconds``: a slot missed by more than that is skipped (event
  ``MissSchedule``); more than 100 missed slots → a ``TooManyMissedTimes`` warning, then the
  most recent slot still runs;
* ``concurrencyPolicy``: ``Allow`` (default), ``Forbid`` (skip while a Job is active, event
  ``JobAlreadyActive``), ``Replace`` (delete the active Job first);
* ``suspend: true`` stops new Jobs; ``successfulJobsHistoryLimit`` (3) and
  ``failedJobsHistoryLimit`` (1) prune finished Jobs, oldest first;
* ``timeZone`` (IANA name) interprets the schedule in that zone; otherwise UTC (the
  controller manager's zone).

Schedules are parsed with ``croniter`` (robfig/cron's ``ParseStandard`` upstream: 5 fields,
``@hourly``-style descriptors, ``@every 90s``). The controller requeues itself 100 ms after
the next slot.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from croniter.croniter import CroniterError

from ..clock import parse_rfc3339, rfc3339
from ..errors import ApiError
from ..kubelet.containers import parse_go_duration
from ..objects import clone, key_of, owner_of, owner_reference
from ..upstream import (CRONJOB_FAILED_JOBS_HISTORY_LIMIT, CRONJOB_NEXT_SCHEDULE_DELTA_SECONDS,
                        CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, CRONJOB_SUCCESSFUL_JOBS_HISTORY_LIMIT,
                        CRONJOB_TOO_MANY_MISSED)
from .base import Controller
from .job_util import finished_condition


class ScheduleError(ValueError):
    pass


class Schedule:
    """A parsed cron schedule: ``next(t)`` is the first slot strictly after ``t`` (seconds)."""

    def __init__(self, text: str, tz: str | None = None):
        self.text = text
        spec = text.strip()
        m = re.match(r"^(?:CRON_)?TZ=(\S+)\s+(.*)$", spec)
        if m:
            tz, spec = m.group(1), m.group(2)
        try:
            self.tz = ZoneInfo(tz) if tz else timezone.utc
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"unknown time zone {tz}") from None
        self.every = None
        if spec.startswith("@every "):
            self.every = _duration(spec[len("@every "):])
            return
        if not spec.startswith("@") and len(spec.split()) != 5:
            raise ScheduleError(f"expected exactly 5 fields, found {len(spec.split())}: "
                                f"[{' '.join(spec.split())}]")
        try:
            croniter(spec)
        except CroniterError as e:
            raise ScheduleError(str(e)) from None
        self.spec = spec

    def next(self, t: float) -> float | None:
        if self.every is not None:
            return float(int(t) + self.every)
        start = datetime.fromtimestamp(int(t), tz=self.tz)
        try:
            return croniter(self.spec, start).get_next(datetime).timestamp()
        except CroniterError:
            return None  # e.g. "0 0 31 2 *": no such day


def _duration(text: str) -> int:
    """A Go duration (``90s``, ``1h30m``) in whole seconds, at least 1."""
    seconds = parse_go_duration(text)
    if seconds is None:
        raise ScheduleError(f"failed to parse duration @every {text}: time: invalid duration "
                            f'"{text}"')
    return max(int(seconds), 1)


def job_name(cronjob: dict, scheduled: float) -> str:
    """getJobName: ``hello-28971234`` (the scheduled time in minutes since the epoch)."""
    return f"{cronjob['metadata']['name']}-{int(scheduled) // 60}"


def most_recent_schedule(cj: dict, now: float, sched: Schedule, with_deadline: bool):
    """mostRecentScheduleTime → (earliest time considered, most recent slot or None,
    "none"/"few"/"many" missed). Raises ScheduleError for impossible schedules."""
    status = cj.get("status") or {}
    earliest = parse_rfc3339(status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"])
    sds = cj["spec"].get("startingDeadlineSeconds")
    if with_deadline and sds is not None:
        earliest = max(earliest, now - sds)
    t1 = sched.next(earliest)
    t2 = sched.next(t1) if t1 is not None else None
    if t1 is not None and now < t1:
        return earliest, None, "none"
    if t1 is not None and t2 is not None and now < t2:
        return earliest, t1, "none"
    between = round(t2 - t1) if t1 is not None and t2 is not None else 0
    if between < 1:
        raise ScheduleError("time difference between two schedules is less than 1 second")
    missed = int(now - t1) // between + 1
    recent, t = None, sched.next(t1 + (missed - 2) * between)
    while t is not None and t <= now:
        recent, t = t, sched.next(t)
    kind = "many" if missed > CRONJOB_TOO_MANY_MISSED else "few"
    return earliest, recent, kind


class CronJobController(Controller):
    name = "cronjob-controller"

    def setup(self) -> None:
        self.cronjobs = self.informers["cronjobs"]
        self.jobs = self.informers["jobs"]
        self.cronjobs.add_handler(self._enqueue, self._cronjob_updated, self._enqueue)
        self.jobs.add_handler(self._job_event, lambda old, new: self._job_event(new),
                              self._job_event)

    def _enqueue(self, cj: dict) -> None:
        self.queue.add(key_of(cj))

    def _job_event(self, job: dict) -> None:
        ref = owner_of(job, "CronJob")
        if ref is None:
            return
        cj = self.cronjobs.get(ref["name"], job["metadata"].get("namespace"))
        if cj is not None and cj["metadata"]["uid"] == ref["uid"]:
            self._enqueue(cj)

    def _cronjob_updated(self, old: dict, new: dict) -> None:
        """A new schedule or time zone: requeue for its next slot; otherwise sync now."""
        if old["spec"].get("schedule") == new["spec"].get("schedule") and \
                old["spec"].get("timeZone") == new["spec"].get("timeZone"):
            return self._enqueue(new)
        try:
            sched = Schedule(new["spec"].get("schedule", ""), new["spec"].get("timeZone"))
        except ScheduleError:
            self.event(new, "Warning", "UnParseableCronJobSchedule",
                       f"unparseable schedule for cronjob: {new['spec'].get('schedule')}")
            return
        self.queue.add_after(key_of(new), self.next_delay(new, self.clock.now(), sched))

    # -- sync -------------------------------------------------------------------------------
    def reconcile(self, key: str) -> None:
        cached = self.cronjobs.get(key)
        if cached is None:
            return
        uid, name = cached["metadata"]["uid"], cached["metadata"]["name"]
        jobs = [j for j in self.jobs.owned_by(uid) if (owner_of(j) or {}).get("name") == name]
        cj = clone(cached)
        cj.setdefault("status", {})
        changed = self.cleanup_finished_jobs(cj, jobs)
        requeue, synced = self.sync_cronjob(cj, jobs)
        if changed or synced:
            st = cj["status"]
            if not st.get("active"):
                st.pop("active", None)
            self.api.update("cronjobs", cj, cj["metadata"]["namespace"], subresource="status",
                            user=self.user)
        if requeue is not None:
            self.queue.add_after(key, requeue)

    def next_delay(self, cj: dict, now: float, sched: Schedule) -> float:
        """nextScheduleTimeDuration: until 100 ms after the next slot."""
        try:
            earliest, recent, missed = most_recent_schedule(cj, now, sched, False)
            base = recent if recent is not None else (earliest if missed == "none" else now)
        except ScheduleError:
            base = now
        nxt = sched.next(base)
        return (nxt if nxt is not None else now + 3600) + CRONJOB_NEXT_SCHEDULE_DELTA_SECONDS - now

    def sync_cronjob(self, cj: dict, jobs: list[dict]) -> tuple[float | None, bool]:
        now, status, update = self.clock.now(), cj["status"], False
        active_uids = {r.get("uid") for r in status.get("active") or []}
        children = {j["metadata"]["uid"] for j in jobs}
        for j in jobs:
            uid, done = j["metadata"]["uid"], finished_condition(j)
            if uid not in active_uids and not done:
                self.event(cj, "Warning", "UnexpectedJob", "Saw a job that the controller did not "
                           f"create or forgot: {j['metadata']['name']}")
            elif uid in active_uids and done:
                status["active"] = [r for r in status["active"] if r.get("uid") != uid]
                self.event(cj, "Normal", "SawCompletedJob",
                           f"Saw completed job: {j['metadata']['name']}, status: {done}")
                update = True
            if done == "Complete" and (j.get("status") or {}).get("completionTime"):
                ct = j["status"]["completionTime"]
                if not status.get("lastSuccessfulTime") or \
                        parse_rfc3339(ct) > parse_rfc3339(status["lastSuccessfulTime"]):
                    status["lastSuccessfulTime"] = ct
                    update = True
        for ref in list(status.get("active") or []):
            if ref.get("uid") in children:
                continue
            try:
                self.api.get("jobs", ref["name"], ref.get("namespace"), user=self.user)
            except ApiError as e:
                if e.code != 404:
                    raise
                self.event(cj, "Normal", "MissingJob", f"Active job went missing: {ref['name']}")
                status["active"] = [r for r in status["active"] if r.get("uid") != ref.get("uid")]
                update = True
        if cj["metadata"].get("deletionTimestamp"):
            return None, update
        spec = cj["spec"]
        if spec.get("timeZone"):
            try:
                ZoneInfo(spec["timeZone"])
            except (ZoneInfoNotFoundError, ValueError):
                self.event(cj, "Warning", "UnknownTimeZone", f'invalid timeZone: '
                           f'"{spec["timeZone"]}": unknown time zone {spec["timeZone"]}')
                return None, update
        if spec.get("suspend"):
            return None, update
        try:
            sched = Schedule(spec.get("schedule", ""), spec.get("timeZone"))
        except ScheduleError as e:
            self.event(cj, "Warning", "UnparseableSchedule",
                       f'unparseable schedule: "{spec.get("schedule")}" : {e}')
            return None, update
        try:
            _, scheduled, missed = most_recent_schedule(cj, now, sched, True)
        except ScheduleError as e:
            self.event(cj, "Warning", "InvalidSchedule",
                       f"invalid schedule: {spec.get('schedule')} : {e}")
            return None, update
        if scheduled is None:
            return self.next_delay(cj, now, sched), update
        if missed == "many":
            self.event(cj, "Warning", "TooManyMissedTimes", "too many missed start times. Set or "
                       "decrease .spec.startingDeadlineSeconds or check clock skew")
        return self.start_job(cj, jobs, scheduled, sched, update)

    def start_job(self, cj, jobs, scheduled: float, sched: Schedule, update: bool):
        now, spec, status = self.clock.now(), cj["spec"], cj["status"]
        sds = spec.get("startingDeadlineSeconds")
        if sds is not None and scheduled + sds < now:
            self.event(cj, "Warning", "MissSchedule", "Missed scheduled time to start a job: "
                       + datetime.fromtimestamp(scheduled, timezone.utc).strftime(
                           "%a, %d %b %Y %H:%M:%S +0000"))
            return self.next_delay(cj, now, sched), update
        name = job_name(cj, scheduled)
        if any(r.get("name") == name for r in status.get("active") or []) or \
                status.get("lastScheduleTime") == rfc3339(scheduled):
            return self.next_delay(cj, now, sched), update
        policy = spec.get("concurrencyPolicy") or "Allow"
        if policy == "Forbid" and status.get("active"):
            self.event(cj, "Normal", "JobAlreadyActive", "Not starting job because prior "
                       "execution is running and concurrency policy is Forbid")
            return self.next_delay(cj, now, sched), update
        if policy == "Replace":
            for ref in list(status.get("active") or []):
                self.delete_job(cj, ref["name"], ref.get("uid"))
                update = True
        job = self.job_from_template(cj, scheduled, sched)
        try:
            created = self.api.create("jobs", job, cj["metadata"]["namespace"], user=self.user)
            self.event(cj, "Normal", "SuccessfulCreate", f"Created job {name}")
        except ApiError as e:
            if e.code != 409:
                self.event(cj, "Warning", "FailedCreate", f"Error creating job: {e.message}")
                raise
            created = self.api.get("jobs", name, cj["metadata"]["namespace"], user=self.user)
            ref = owner_of(created) or {}
            if ref.get("uid") != cj["metadata"]["uid"] or any(
                    r.get("uid") == created["metadata"]["uid"] for r in status.get("active") or []):
                return None, update
        m = created["metadata"]
        status.setdefault("active", []).append(
            {"kind": "Job", "namespace": m["namespace"], "name": m["name"], "uid": m["uid"],
             "apiVersion": "batch/v1", "resourceVersion": m["resourceVersion"]})
        status["lastScheduleTime"] = rfc3339(scheduled)
        return self.next_delay(cj, now, sched), True

    def job_from_template(self, cj: dict, scheduled: float, sched: Schedule) -> dict:
        """getJobFromTemplate2: labels/annotations from ``jobTemplate.metadata``."""
        tpl = cj["spec"].get("jobTemplate") or {}
        meta = {"name": job_name(cj, scheduled), "ownerReferences": [owner_reference(cj)],
                "labels": dict((tpl.get("metadata") or {}).get("labels") or {}),
                "annotations": dict((tpl.get("metadata") or {}).get("annotations") or {})}
        local = datetime.fromtimestamp(scheduled, sched.tz)
        meta["annotations"][CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION] = _rfc3339_zoned(local)
        if not meta["labels"]:
            del meta["labels"]
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                "spec": clone(tpl.get("spec") or {})}

    def delete_job(self, cj: dict, name: str, uid: str | None) -> bool:
        """Delete a Job (background propagation) and drop it from ``status.active``."""
        try:
            self.api.delete("jobs", name, cj["metadata"]["namespace"],
                            propagation_policy="Background", user=self.user)
        except ApiError as e:
            self.event(cj, "Warning", "FailedDelete", f"Deleted job: {e.message}")
            return False
        status = cj["status"]
        status["active"] = [r for r in status.get("active") or [] if r.get("uid") != uid]
        self.event(cj, "Normal", "SuccessfulDelete", f"Deleted job {name}")
        return True

    def cleanup_finished_jobs(self, cj: dict, jobs: list[dict]) -> bool:
        """Keep the newest ``successfulJobsHistoryLimit`` / ``failedJobsHistoryLimit`` Jobs."""
        spec, changed = cj["spec"], False
        limits = {"Complete": spec.get("successfulJobsHistoryLimit",
                                       CRONJOB_SUCCESSFUL_JOBS_HISTORY_LIMIT),
                  "Failed": spec.get("failedJobsHistoryLimit", CRONJOB_FAILED_JOBS_HISTORY_LIMIT)}
        for kind, limit in limits.items():
            if limit is None:
                continue
            done = sorted((j for j in jobs if finished_condition(j) == kind), key=_start_key)
            for j in done[:max(len(done) - limit, 0)]:
                changed |= self.delete_job(cj, j["metadata"]["name"], j["metadata"]["uid"])
        return changed


def _start_key(job: dict):
    """byJobStartTime: jobs without a start time last, name breaks ties."""
    st = (job.get("status") or {}).get("startTime")
    return (st is None, st or "", job["metadata"]["name"])


def _rfc3339_zoned(t: datetime) -> str:
    """Go's time.RFC3339: ``Z`` for a zero offset, else the offset (``...T09:00:00+01:00``)."""
    text = t.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
