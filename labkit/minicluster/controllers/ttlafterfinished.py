"""The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished, v1.33).

A finished Job (condition ``Complete`` or ``Failed``) with ``spec.ttlSecondsAfterFinished``
is deleted that many seconds after it finished - the time of that condition's
``lastTransitionTime``. Deletion uses ``propagationPolicy: Foreground`` (the garbage collector
removes the pods first) with a UID precondition, after re-reading the Job from the API server
in case someone changed the TTL meanwhile. It records no events.
"""
from __future__ import annotations

from ..clock import parse_rfc3339
from ..errors import ApiError
from ..objects import key_of
from .base import Controller
from .job_util import find_condition, finished_condition


def expire_at(job: dict) -> float | None:
    """When the Job should go, or None (no TTL, not finished, or being deleted)."""
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    kind = finished_condition(job)
    if ttl is None or kind is None or job["metadata"].get("deletionTimestamp"):
        return None
    cond = find_condition(job.get("status") or {}, kind)
    finished = cond.get("lastTransitionTime") if cond else None
    if not finished:
        return None
    return parse_rfc3339(finished) + int(ttl)


class TTLAfterFinishedController(Controller):
    name = "ttl-after-finished-controller"

    def setup(self) -> None:
        self.jobs = self.informers["jobs"]
        self.jobs.add_handler(self._job_changed, lambda old, new: self._job_changed(new), None)

    def _job_changed(self, job: dict) -> None:
        if expire_at(job) is not None:
            self.queue.add(key_of(job))

    def reconcile(self, key: str) -> None:
        job = self.jobs.get(key)
        if job is None or expire_at(job) is None:
            return
        if not self._expired(job):
            return
        ns, name = job["metadata"]["namespace"], job["metadata"]["name"]
        fresh = self.api.get("jobs", name, ns, user=self.user)  # the TTL may have changed
        if expire_at(fresh) is None or not self._expired(fresh):
            return
        try:
            self.api.delete("jobs", name, ns, propagation_policy="Foreground",
                            preconditions={"uid": fresh["metadata"]["uid"]}, user=self.user)
        except ApiError as e:
            if e.code not in (404, 409):
                raise

    def _expired(self, job: dict) -> bool:
        left = expire_at(job) - self.clock.now()
        if left > 0:
            self.queue.add_after(key_of(job), left)
            return False
        return True
