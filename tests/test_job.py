"""The Job controller (and TTL-after-finished) on the test harness.

Upstream: pkg/controller/job/job_controller.go (syncJob, manageJob,
trackJobStatusAndRemoveFinalizers, v1.33 two-step terminal conditions), backoff_utils.go
(10 s doubling back-off), pod_failure_policy.go, indexed_job_utils.go and
pkg/controller/ttlafterfinished. The pod-failure-policy manifest is the one from the
Kubernetes docs (k8s-examples/controllers/job-pod-failure-policy-example.yaml).
"""
import re

import yaml
from workload_harness import Harness

from labkit.minicluster.apiserver import NAME_ALPHABET
from labkit.minicluster.clock import parse_rfc3339

T0 = 1735689600.0


def job(name="pi", run="2", code="0", restart="Never", **spec):
    obj = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
           "spec": {"template": {"metadata": {"annotations": {}}, "spec": {
               "restartPolicy": restart, "containers": [{"name": "main", "image": "busybox"}]}}}}
    ann = obj["spec"]["template"]["metadata"]["annotations"]
    if run is not None:
        ann["harness/run-seconds"] = run
    ann["harness/exit-code"] = code
    obj["spec"].update(spec)
    return obj


def created_at(h, prefix):
    return sorted(parse_rfc3339(p["metadata"]["creationTimestamp"]) - T0
                  for p in h.list("pods") if p["metadata"]["name"].startswith(prefix))


def cond(j, ctype):
    return next(c for c in j["status"]["conditions"] if c["type"] == ctype)


def test_completions_status_and_two_step_complete_condition():
    h = Harness()
    h.create(job(completions=3, parallelism=2))
    h.settle()
    j = h.get("jobs", "pi")
    st = j["status"]
    assert [c["type"] for c in st["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    for c in st["conditions"]:
        assert (c["status"], c["reason"], c["message"]) == (
            "True", "CompletionsReached", "Reached expected number of succeeded pods")
    assert st["succeeded"] == 3 and st["ready"] == 0 and st["terminating"] == 0
    assert st["uncountedTerminatedPods"] == {} and "active" not in st and "failed" not in st
    assert st["completionTime"] == cond(j, "Complete")["lastTransitionTime"]
    assert st["startTime"] == "2025-01-01T00:00:00Z"
    assert [e["message"] for e in h.events(reason="Completed")] == ["Job completed"]
    pods = h.list("pods")
    assert len(pods) == 3
    for p in pods:
        assert re.fullmatch(rf"pi-[{NAME_ALPHABET}]{{5}}", p["metadata"]["name"])
        assert not p["metadata"].get("finalizers")  # tracking finalizer removed once counted
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "pi"


def test_parallelism_caps_active_pods():
    h = Harness()
    peak = {"n": 0}

    def check(_t, _p):
        active = [p for p in h.informers["pods"].list("default")
                  if p["status"].get("phase") not in ("Succeeded", "Failed") and
                  not p["metadata"].get("deletionTimestamp")]
        peak["n"] = max(peak["n"], len(active))
    h.api.watch("pods", check)
    h.create(job(completions=5, parallelism=2, run="3"))
    h.settle()
    assert peak["n"] == 2
    assert h.get("jobs", "pi")["status"]["succeeded"] == 5


def test_pods_carry_tracking_finalizer_while_running():
    h = Harness()
    h.create(job(run=None))
    h.run(2)
    (p,) = h.list("pods")
    assert p["metadata"]["finalizers"] == ["batch.kubernetes.io/job-tracking"]
    assert h.get("jobs", "pi")["status"]["active"] == 1
    assert h.get("jobs", "pi")["status"]["ready"] == 1


def test_backoff_limit_with_exponential_recreation_delay():
    """Each pod runs 1 s after a 1 s start; replacements wait 10 s, 20 s, 40 s after the last
    failure; the 4th failure exceeds backoffLimit 3."""
    h = Harness()
    h.create(job(name="flaky", run="1", code="1", backoffLimit=3))
    h.settle()
    assert created_at(h, "flaky") == [0, 12, 34, 76]
    j = h.get("jobs", "flaky")
    assert [c["type"] for c in j["status"]["conditions"]] == ["FailureTarget", "Failed"]
    failed = cond(j, "Failed")
    assert (failed["reason"], failed["message"]) == (
        "BackoffLimitExceeded", "Job has reached the specified backoff limit")
    assert failed["lastTransitionTime"] == "2025-01-01T00:01:18Z"
    assert j["status"]["failed"] == 4 and "completionTime" not in j["status"]
    (ev,) = h.events(reason="BackoffLimitExceeded")
    assert ev["type"] == "Warning" and ev["message"] == "Job has reached the specified backoff limit"


def test_active_deadline_seconds():
    h = Harness()
    h.create(job(name="slow", run=None, parallelism=2, completions=2, activeDeadlineSeconds=30))
    h.run(29)
    assert "conditions" not in h.get("jobs", "slow")["status"]
    h.run(1)
    j = h.get("jobs", "slow")
    target = cond(j, "FailureTarget")
    assert (target["reason"], target["message"]) == (
        "DeadlineExceeded", "Job was active longer than specified deadline")
    assert target["lastTransitionTime"] == "2025-01-01T00:00:30Z"
    assert len(h.events(reason="SuccessfulDelete")) == 2
    h.settle()
    j = h.get("jobs", "slow")
    assert cond(j, "Failed")["reason"] == "DeadlineExceeded"
    assert j["status"]["failed"] == 2 and j["status"]["terminating"] == 0


def test_restart_on_failure_counts_container_restarts():
    """pastBackoffLimitOnFailure: with restartPolicy OnFailure restarts count."""
    h = Harness()
    h.create(job(name="retry", run="1", code="1", restart="OnFailure", backoffLimit=2))
    h.settle()
    assert cond(h.get("jobs", "retry"), "Failed")["reason"] == "BackoffLimitExceeded"


def test_indexed_job():
    h = Harness()
    h.create(job(name="idx", completions=3, parallelism=3, completionMode="Indexed"))
    h.run(1)
    pods = sorted(h.list("pods"), key=lambda p: p["metadata"]["name"])
    for i, p in enumerate(pods):
        assert re.fullmatch(rf"idx-{i}-[{NAME_ALPHABET}]{{5}}", p["metadata"]["name"])
        assert p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == str(i)
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == str(i)
        assert p["spec"]["hostname"] == f"idx-{i}"
        (env,) = p["spec"]["containers"][0]["env"]
        assert env["name"] == "JOB_COMPLETION_INDEX" and env["valueFrom"]["fieldRef"][
            "fieldPath"] == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    h.settle()
    st = h.get("jobs", "idx")["status"]
    assert st["completedIndexes"] == "0-2" and st["succeeded"] == 3


def test_pod_failure_policy_fail_job():
    """The docs' example: exit code 42 matches the FailJob rule → the Job fails at once."""
    with open("/work/shared/k8s-examples/controllers/job-pod-failure-policy-example.yaml") as f:
        manifest = yaml.safe_load(f)
    manifest["spec"]["template"].setdefault("metadata", {})["annotations"] = {
        "harness/run-seconds": "5", "harness/exit-code": "42"}
    h = Harness()
    h.create(manifest)
    h.settle()
    j = h.get("jobs", "job-pod-failure-policy-example")
    failed = cond(j, "Failed")
    assert failed["reason"] == "PodFailurePolicy"
    assert re.fullmatch(r"Container main for pod default/job-pod-failure-policy-example-\w{5} "
                        r"failed with exit code 42 matching FailJob rule at index 0",
                        failed["message"])
    assert len(h.list("pods")) == 3  # no replacement was created


def test_suspend_and_resume():
    h = Harness()
    h.create(job(name="later", suspend=True))
    h.settle()
    j = h.get("jobs", "later")
    assert h.list("pods") == [] and "startTime" not in j["status"]
    s = cond(j, "Suspended")
    assert (s["status"], s["reason"], s["message"]) == ("True", "JobSuspended", "Job suspended")
    h.run(60)
    resumed_at = h.clock.timestamp()
    h.patch("jobs", "later", {"spec": {"suspend": False}})
    h.settle()
    j = h.get("jobs", "later")
    s = cond(j, "Suspended")
    assert (s["status"], s["reason"], s["message"]) == ("False", "JobResumed", "Job resumed")
    assert j["status"]["startTime"] == resumed_at  # the deadline counts from the resume
    assert cond(j, "Complete")["status"] == "True"
    assert [e["reason"] for e in h.events(kind="Job") if e["reason"] in ("Suspended", "Resumed")] \
        == ["Suspended", "Resumed"]


def test_ttl_after_finished_deletes_the_job():
    h = Harness()
    h.create(job(name="tmp", ttlSecondsAfterFinished=20))
    h.run(6)
    done = parse_rfc3339(cond(h.get("jobs", "tmp"), "Complete")["lastTransitionTime"])
    h.loop.run_until(done + 19)
    assert not h.get("jobs", "tmp")["metadata"].get("deletionTimestamp")
    h.loop.run_until(done + 20)
    gone = h.api.list("jobs")["items"]
    assert gone == [] or gone[0]["metadata"].get("deletionTimestamp")  # foreground: GC finishes


def test_jobs_on_minicluster():
    """Through MiniCluster (busybox runs the shell command): completions, then the 10 s / 20 s
    back-off between failed attempts and BackoffLimitExceeded."""
    from labkit.minicluster.cluster import MiniCluster

    def busybox_job(name, cmd, **spec):
        j = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "c", "image": "busybox:1.36", "command": ["sh", "-c", cmd]}]}}}}
        j["spec"].update(spec)
        return j
    c = MiniCluster(nodes=3, seed=1)
    c.apply(busybox_job("ok", "sleep 3; echo done", completions=2, parallelism=2))
    c.apply(busybox_job("bad", "sleep 1; exit 1", backoffLimit=2))
    c.run(120)
    ok, bad = c.api.get("jobs", "ok", "default"), c.api.get("jobs", "bad", "default")
    assert ok["status"]["succeeded"] == 2 and cond(ok, "Complete")["status"] == "True"
    assert cond(bad, "Failed")["reason"] == "BackoffLimitExceeded" and bad["status"]["failed"] == 3
    starts = sorted(parse_rfc3339(p["metadata"]["creationTimestamp"]) - T0
                    for p in c.api.list("pods", "default")["items"]
                    if p["metadata"]["name"].startswith("bad-"))
    assert starts[1] - starts[0] >= 10 and starts[2] - starts[1] >= 20
