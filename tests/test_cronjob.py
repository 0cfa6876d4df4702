"""The CronJob controller over virtual days.

Upstream: pkg/controller/cronjob/cronjob_controllerv2.go (syncCronJob, getJobName,
cleanupFinishedJobs, concurrency policies, events) and utils.go (mostRecentScheduleTime,
the >100 missed-start rule, nextScheduleTimeDuration's 100 ms delta).
"""
import pytest
from workload_harness import Harness

from labkit.minicluster.controllers.cronjob import Schedule, ScheduleError, job_name

T0 = 1735689600.0  # 2025-01-01T00:00:00Z = minute 28928160 since the epoch
HOUR = 3600


def cronjob(schedule="0 * * * *", run="30", code="0", name="hello", **spec):
    obj = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
           "spec": {"schedule": schedule, "jobTemplate": {"spec": {"template": {
               "metadata": {"annotations": {"harness/run-seconds": run, "harness/exit-code": code}},
               "spec": {"restartPolicy": "Never",
                        "containers": [{"name": "c", "image": "busybox"}]}}}}}}
    obj["spec"].update(spec)
    return obj


def record_events(h):
    """Events expire after an hour (--event-ttl): collect them as they are written."""
    seen = []
    h.api.watch("events", lambda t, e: seen.append(e) if t == "ADDED" else None)
    return seen


def created(seen):
    return [(e["firstTimestamp"], e["message"]) for e in seen
            if e["reason"] == "SuccessfulCreate" and e["involvedObject"]["kind"] == "CronJob"]


def test_hourly_over_a_virtual_day():
    h = Harness()
    seen = record_events(h)
    h.create(cronjob())
    h.run(24 * HOUR + 60)
    got = created(seen)
    assert len(got) == 24
    assert got[0] == ("2025-01-01T01:00:00Z", "Created job hello-28928220")
    assert got[-1] == ("2025-01-02T00:00:00Z", f"Created job hello-{28928160 + 24 * 60}")
    st = h.get("cronjobs", "hello")["status"]
    assert st["lastScheduleTime"] == "2025-01-02T00:00:00Z"
    assert st["lastSuccessfulTime"] == "2025-01-02T00:00:32Z"
    assert "active" not in st
    assert len(h.list("jobs")) == 3  # successfulJobsHistoryLimit default
    saw = [e["message"] for e in seen if e["reason"] == "SawCompletedJob"]
    assert len(saw) == 24 and saw[0] == "Saw completed job: hello-28928220, status: Complete"
    assert sum(1 for e in seen if e["reason"] == "SuccessfulDelete") == 21


def test_job_shape_and_active_reference():
    h = Harness()
    h.create(cronjob("*/5 * * * *", run="100"))
    h.run(5 * 60 + 1)
    (j,) = h.list("jobs")
    assert j["metadata"]["name"] == "hello-28928165" == job_name({"metadata": {"name": "hello"}},
                                                                 T0 + 300)
    assert j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == \
        "2025-01-01T00:05:00Z"
    ref = j["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"]) == ("CronJob", "hello", True)
    (active,) = h.get("cronjobs", "hello")["status"]["active"]
    assert {k: active[k] for k in ("kind", "name", "namespace", "apiVersion")} == \
        {"kind": "Job", "name": "hello-28928165", "namespace": "default", "apiVersion": "batch/v1"}


def test_time_zone():
    h = Harness()
    seen = record_events(h)
    h.create(cronjob("0 9 * * *", timeZone="Europe/Berlin"))
    h.run(24 * HOUR)
    assert [t for t, _ in created(seen)] == ["2025-01-01T08:00:00Z"]  # 09:00 CET = 08:00 UTC
    (j,) = h.list("jobs")
    assert j["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"] == \
        "2025-01-01T09:00:00+01:00"


def test_forbid_skips_while_a_job_runs():
    """Forbid: a slot that finds a Job still running is skipped (JobAlreadyActive) - but
    lastScheduleTime stays, so once the Job ends the missed slot still starts, late (no
    startingDeadlineSeconds to forbid it). Jobs run 1 s start + 90 s here."""
    h = Harness()
    seen = record_events(h)
    h.create(cronjob("* * * * *", run="90", concurrencyPolicy="Forbid"))
    h.run(5 * 60 + 30)
    assert created(seen) == [("2025-01-01T00:01:00Z", "Created job hello-28928161"),
                             ("2025-01-01T00:02:32Z", "Created job hello-28928162"),
                             ("2025-01-01T00:04:04Z", "Created job hello-28928164")]
    (skipped,) = h.events(reason="JobAlreadyActive")  # one event, repeated on every sync
    assert (skipped["firstTimestamp"], skipped["lastTimestamp"]) == \
        ("2025-01-01T00:02:00Z", "2025-01-01T00:05:00Z") and skipped["count"] >= 4
    assert skipped["message"] == \
        "Not starting job because prior execution is running and concurrency policy is Forbid"


def test_forbid_with_starting_deadline_drops_late_slots():
    h = Harness()
    seen = record_events(h)
    h.create(cronjob("* * * * *", run="90", concurrencyPolicy="Forbid",
                     startingDeadlineSeconds=10))
    h.run(5 * 60 + 30)
    assert [t for t, _ in created(seen)] == ["2025-01-01T00:01:00Z", "2025-01-01T00:03:00Z",
                                             "2025-01-01T00:05:00Z"]


def test_allow_overlaps_and_replace_deletes():
    h = Harness()
    h.create(cronjob("* * * * *", run="150", name="allow"))
    h.create(cronjob("* * * * *", run="150", name="replace", concurrencyPolicy="Replace"))
    h.run(3 * 60 + 30)
    assert len(h.get("cronjobs", "allow")["status"]["active"]) == 3
    assert len(h.get("cronjobs", "replace")["status"]["active"]) == 1
    deleted = [e["message"] for e in h.events(reason="SuccessfulDelete", name="replace")]
    assert deleted == [f"Deleted job replace-{28928160 + m}" for m in (1, 2)]


def test_suspend_and_too_many_missed_start_times():
    """After 3 h suspended, 180 missed slots > 100: a warning, then the latest slot runs."""
    h = Harness()
    h.create(cronjob("* * * * *", suspend=True))
    h.run(3 * HOUR + 30)
    assert h.list("jobs") == []
    h.patch("cronjobs", "hello", {"spec": {"suspend": False}})
    (warn,) = h.events(reason="TooManyMissedTimes")
    assert warn["type"] == "Warning" and warn["message"] == (
        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check "
        "clock skew")
    assert [m for _, m in created(h.events())] == [f"Created job hello-{28928160 + 180}"]


def test_starting_deadline_limits_the_look_back():
    h = Harness()
    h.create(cronjob("* * * * *", suspend=True, startingDeadlineSeconds=200))
    h.run(3 * HOUR + 30)
    h.patch("cronjobs", "hello", {"spec": {"suspend": False}})
    assert h.events(reason="TooManyMissedTimes") == []
    assert [m for _, m in created(h.events())] == [f"Created job hello-{28928160 + 180}"]


def test_failed_jobs_history_limit():
    h = Harness()
    h.create(cronjob("*/10 * * * *", run="5", code="1", failedJobsHistoryLimit=1,
                     jobTemplate={"spec": {"backoffLimit": 0, "template": {
                         "metadata": {"annotations": {"harness/run-seconds": "5",
                                                      "harness/exit-code": "1"}},
                         "spec": {"restartPolicy": "Never",
                                  "containers": [{"name": "c", "image": "busybox"}]}}}}))
    h.run(HOUR + 60)
    jobs = h.list("jobs")
    assert len(jobs) == 1 and jobs[0]["metadata"]["name"] == f"hello-{28928160 + 60}"
    assert "lastSuccessfulTime" not in h.get("cronjobs", "hello")["status"]


@pytest.mark.parametrize("text,start,expected", [
    ("*/15 * * * *", T0 + 1, T0 + 900),
    ("@hourly", T0, T0 + HOUR),
    ("@every 90s", T0, T0 + 90),
    ("30 6 * * 1-5", T0, T0 + 6 * HOUR + 1800),   # 2025-01-01 was a Wednesday
    ("0 0 1 */3 *", T0, 1743465600.0),             # 2025-04-01
])
def test_schedule_next(text, start, expected):
    assert Schedule(text).next(start) == expected


def test_schedule_errors_match_robfig():
    with pytest.raises(ScheduleError, match=r"expected exactly 5 fields, found 1: \[bad\]"):
        Schedule("bad")
    with pytest.raises(ScheduleError):
        Schedule("61 * * * *")
    assert Schedule("0 0 31 2 *").next(T0) is None  # no 31 February: InvalidSchedule


def test_cronjob_on_minicluster():
    """Through MiniCluster: every 5 minutes for half an hour, busybox Jobs that complete."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=2, seed=4)
    c.apply({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "hello"},
             "spec": {"schedule": "*/5 * * * *", "jobTemplate": {"spec": {"template": {"spec": {
                 "restartPolicy": "OnFailure", "containers": [
                     {"name": "hello", "image": "busybox:1.36",
                      "command": ["sh", "-c", "date; echo Hello"]}]}}}}}})
    c.run(30 * 60 + 30)
    st = c.api.get("cronjobs", "hello", "default")["status"]
    assert st["lastScheduleTime"] == "2025-01-01T00:30:00Z"
    assert "lastSuccessfulTime" in st
    names = sorted(j["metadata"]["name"] for j in c.api.list("jobs", "default")["items"])
    assert names == [f"hello-{28928160 + m}" for m in (20, 25, 30)]  # history limit 3
