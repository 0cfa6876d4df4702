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


# -- backoffLimitPerIndex, maxFailedIndexes, successPolicy (v1.37) --------------------------------
def _indexed_on_minicluster(name, script, **spec):
    """An Indexed Job on a real MiniCluster (busybox shell reading JOB_COMPLETION_INDEX)."""
    from labkit.minicluster.cluster import MiniCluster
    c = MiniCluster(nodes=2, seed=1)
    c.apply({"apiVersion": "batch/v1", "kind": "Job",
             "metadata": {"name": name, "namespace": "default"},
             "spec": {"completionMode": "Indexed", **spec, "template": {"spec": {
                 "restartPolicy": "Never", "containers": [{
                     "name": "main", "image": "busybox:1.36",
                     "command": ["sh", "-c", script]}]}}}})
    c.settle(max_seconds=900)
    pods = sorted(c.api.list("pods", "default")["items"],
                  key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))
    return c, c.api.get("jobs", name, "default"), pods


def test_backoff_limit_per_index_fails_only_that_index():
    """indexed_job_utils.go (isIndexFailed, getNewIndexFailureCounts,
    getPodsWithDelayedDeletionPerIndex), job_controller.go syncJob (reason FailedIndexes) and
    backoff_utils.go getRemainingTimePerIndex: index 1 fails twice (backoffLimitPerIndex 1),
    its replacement waits 10 s and carries job-index-failure-count 1; the other indexes
    succeed; the Job fails with FailedIndexes once every index is done."""
    c, j, pods = _indexed_on_minicluster(
        "per-index", 'if [ "$JOB_COMPLETION_INDEX" = 1 ]; then exit 1; fi; echo ok',
        completions=4, parallelism=2, backoffLimitPerIndex=1, maxFailedIndexes=2)
    assert j["spec"]["backoffLimit"] == 2 ** 31 - 1  # SetDefaults_Job with a per-index limit
    st = j["status"]
    assert (st["failedIndexes"], st["completedIndexes"]) == ("1", "0,2,3")
    assert (st["succeeded"], st["failed"]) == (3, 2)
    assert [(x["type"], x["reason"], x["message"]) for x in st["conditions"]] == [
        ("FailureTarget", "FailedIndexes", "Job has failed indexes"),
        ("Failed", "FailedIndexes", "Job has failed indexes")]
    index1 = [p for p in pods if p["metadata"]["annotations"][
        "batch.kubernetes.io/job-completion-index"] == "1"]
    assert [p["metadata"]["annotations"]["batch.kubernetes.io/job-index-failure-count"]
            for p in index1] == ["0", "1"]
    first_end = parse_rfc3339(index1[0]["status"]["containerStatuses"][0]["state"][
        "terminated"]["finishedAt"])
    assert parse_rfc3339(index1[1]["metadata"]["creationTimestamp"]) - first_end >= 10
    assert all(p["status"]["phase"] == "Succeeded" for p in pods if p not in index1)
    assert all(not p["metadata"].get("finalizers") for p in pods)
    reasons = [e["reason"] for e in c.api.list("events", "default")["items"]
               if e["involvedObject"]["kind"] == "Job"]
    assert reasons[-1] == "FailedIndexes"


def test_max_failed_indexes_exceeded():
    """syncJob: more failed indexes than maxFailedIndexes → FailureTarget, then Failed, reason
    MaxFailedIndexesExceeded; status.failedIndexes lists them in interval notation."""
    h = Harness()
    h.create(job(code="1", completionMode="Indexed", completions=4, parallelism=4,
                 backoffLimitPerIndex=0, maxFailedIndexes=1))
    h.settle()
    st = h.get("jobs", "pi")["status"]
    assert st["failedIndexes"] == "0-3" and st["failed"] == 4
    assert [(x["type"], x["reason"]) for x in st["conditions"]] == [
        ("FailureTarget", "MaxFailedIndexesExceeded"), ("Failed", "MaxFailedIndexesExceeded")]
    assert cond(h.get("jobs", "pi"), "Failed")["message"] == \
        "Job has exceeded the specified maximal number of failed indexes"
    assert len(h.list("pods")) == 4  # no retries with backoffLimitPerIndex 0


def test_failed_indexes_empty_string_while_none_failed():
    """trackJobStatusAndRemoveFinalizers writes failedIndexes (a *string) as "" for a Job with
    backoffLimitPerIndex; Jobs without it have no such field."""
    h = Harness()
    h.create(job(completionMode="Indexed", completions=2, parallelism=2,
                 backoffLimitPerIndex=2))
    h.create(job(name="plain", completionMode="Indexed", completions=2, parallelism=2))
    h.settle()
    st = h.get("jobs", "pi")["status"]
    assert st["failedIndexes"] == "" and st["completedIndexes"] == "0,1"
    assert "failedIndexes" not in h.get("jobs", "plain")["status"]


def test_success_policy_ends_job_early():
    """success_policy.go matchSuccessPolicy (the docs' job-success-policy example, with the
    other indexes sleeping instead of failing): index 2 succeeding satisfies rule 0
    (succeededIndexes "0,2-3", succeededCount 1); the lingering pods are terminated, then the
    Job is Complete with reason SuccessPolicy."""
    c, j, pods = _indexed_on_minicluster(
        "job-success", 'if [ "$JOB_COMPLETION_INDEX" = 2 ]; then exit 0; fi; sleep 3600',
        completions=10, parallelism=10,
        successPolicy={"rules": [{"succeededIndexes": "0,2-3", "succeededCount": 1}]})
    st = j["status"]
    assert [(x["type"], x["reason"], x["message"]) for x in st["conditions"]] == [
        ("SuccessCriteriaMet", "SuccessPolicy", "Matched rules at index 0"),
        ("Complete", "SuccessPolicy", "Matched rules at index 0")]
    assert st["completedIndexes"] == "2" and st["succeeded"] == 1 and "failed" not in st
    assert st["completionTime"] == cond(j, "Complete")["lastTransitionTime"]
    assert parse_rfc3339(st["completionTime"]) - T0 < 3600
    assert len(pods) == 1  # the other nine were deleted


def test_success_policy_succeeded_count_only():
    """A rule with only succeededCount counts all indexes."""
    from labkit.minicluster.controllers.job_indexed import match_success_policy
    policy = {"rules": [{"succeededIndexes": "5-9"}, {"succeededCount": 3}]}
    assert match_success_policy(policy, 10, {0, 1}) is None
    assert match_success_policy(policy, 10, {0, 1, 7}) == "Matched rules at index 1"
    assert match_success_policy(policy, 10, set(range(5, 10))) == "Matched rules at index 0"
    assert match_success_policy(None, 10, {1}) is None


def test_validation_of_per_index_and_success_policy():
    """pkg/apis/batch/validation/validation.go validateJobSpec / validateSuccessPolicyRule /
    validateIndexesFormat messages."""
    from labkit.minicluster.errors import ApiError
    h = Harness()
    cases = [
        (dict(backoffLimitPerIndex=1),
         "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode"),
        (dict(completionMode="Indexed", completions=3, maxFailedIndexes=1),
         "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified"),
        (dict(completionMode="Indexed", completions=3, backoffLimitPerIndex=1,
              maxFailedIndexes=4),
         "spec.maxFailedIndexes: Invalid value: 4: must be less than or equal to completions"),
        (dict(completionMode="Indexed", completions=3, successPolicy={"rules": []}),
         "spec.successPolicy.rules: Required value: at least one rules must be specified when "
         "the successPolicy is specified"),
        (dict(completionMode="Indexed", completions=3, successPolicy={"rules": [{}]}),
         "spec.successPolicy.rules[0]: Required value: at least one of succeededCount or "
         "succeededIndexes must be specified"),
        (dict(completionMode="Indexed", completions=3,
              successPolicy={"rules": [{"succeededIndexes": "0-5"}]}),
         'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-5": error parsing '
         'succeededIndexes: too large index: "5"'),
        (dict(completionMode="Indexed", completions=3,
              successPolicy={"rules": [{"succeededIndexes": "2,1"}]}),
         'error parsing succeededIndexes: non-increasing order, previous: 2, current: 1'),
        (dict(completionMode="Indexed", completions=3,
              successPolicy={"rules": [{"succeededIndexes": "0-1", "succeededCount": 3}]}),
         "spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or "
         "equal to 2 (the number of indexes in the specified succeededIndexes field)"),
        (dict(completions=3, successPolicy={"rules": [{"succeededCount": 1}]}),
         "spec.successPolicy: Invalid value: batch.SuccessPolicy{...}: requires indexed "
         "completion mode"),
        (dict(completionMode="Indexed", completions=3, podFailurePolicy={"rules": [
            {"action": "FailIndex", "onExitCodes": {"operator": "In", "values": [1]}}]}),
         'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the '
         "backoffLimitPerIndex to be set"),
    ]
    for i, (spec, msg) in enumerate(cases):
        try:
            h.create(job(name=f"bad-{i}", **spec))
            raise AssertionError(f"accepted {spec}")
        except ApiError as e:
            assert e.code == 422 and msg in e.status["message"], (msg, e.status["message"])
