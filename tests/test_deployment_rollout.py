"""``kubectl rollout`` (labkit.kubectl.rollout, client-side like the real kubectl) against the
harness cluster: controller behaviour seen through the commands a student types.

Expected strings are kubectl's (k8s.io/kubectl v1.33: pkg/polymorphichelpers/rollback.go,
history.go, rollout_status.go, objectpauser.go, objectresumer.go, objectrestarter.go and
pkg/cmd/rollout/*.go).
"""
import pytest
from workload_harness import Harness, deployment



def ok(h, args):
    r = h.kubectl(args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def err(h, args):
    r = h.kubectl(args)
    assert r.returncode == 1, r.stdout
    return r.stderr


def revisions(h):
    """Revision numbers listed by ``kubectl rollout history``."""
    lines = ok(h, "rollout history deployment/web").splitlines()[2:]
    return [int(line.split()[0]) for line in lines if line.strip()]


def release(h, version, cause):
    h.patch("deployments", "web", {
        "metadata": {"annotations": {"kubernetes.io/change-cause": cause}},
        "spec": {"template": {"spec": {"containers": [{"name": "web", "image": version}]}}}},
        patch_type="strategic")
    h.settle()


@pytest.fixture
def three_revisions():
    h = Harness()
    d = deployment(replicas=2)
    d["metadata"]["annotations"] = {"kubernetes.io/change-cause": "kubectl create v1.14"}
    h.create(d)
    h.settle()
    release(h, "nginx:1.16", "kubectl set image v1.16")
    release(h, "nginx:1.17", "kubectl set image v1.17")
    return h


def images(h):
    return {p["spec"]["containers"][0]["image"] for p in h.active_pods()}


def test_history_entries_and_text(three_revisions):
    h = three_revisions
    assert ok(h, "rollout history deployment/web") == (
        "deployment.apps/web \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         kubectl create v1.14\n"
        "2         kubectl set image v1.16\n"
        "3         kubectl set image v1.17\n\n")
    one = ok(h, "rollout history deployment/web --revision=2")
    assert one.startswith("deployment.apps/web with revision #2\nPod Template:")
    # history.go prints the ReplicaSet's own template, pod-template-hash label included
    assert "nginx:1.16" in one and "\tpod-template-hash=" in one
    assert err(h, "rollout history deployment/web --revision=7") == \
        "error: unable to find the specified revision\n"


def test_undo_to_revision_reuses_the_old_replicaset(three_revisions):
    """Rollback = copy the old RS template into the Deployment; the controller then finds
    that RS again, gives it revision 4 and records ``revision-history: 1``."""
    h = three_revisions
    old_rs = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]:
              rs["metadata"]["name"] for rs in h.list("replicasets")}["1"]
    assert ok(h, "rollout undo deployment/web --to-revision=1") == "deployment.apps/web rolled back\n"
    h.settle()
    assert images(h) == {"nginx:1.14"}
    rs = h.get("replicasets", old_rs)
    ann = rs["metadata"]["annotations"]
    assert ann["deployment.kubernetes.io/revision"] == "4"
    assert ann["deployment.kubernetes.io/revision-history"] == "1"
    assert rs["spec"]["replicas"] == 2
    d = h.get("deployments", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"
    assert d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "kubectl create v1.14"
    assert revisions(h) == [2, 3, 4]
    assert len(h.list("replicasets")) == 3  # no new ReplicaSet was created


def test_undo_without_revision_goes_to_previous(three_revisions):
    h = three_revisions
    assert ok(h, "rollout undo deployment/web") == "deployment.apps/web rolled back\n"
    h.settle()
    assert images(h) == {"nginx:1.16"}


def test_undo_errors_and_skip(three_revisions):
    h = three_revisions
    assert err(h, "rollout undo deployment/web --to-revision=9") == \
        "error: unable to find specified revision 9 in history\n"
    assert ok(h, "rollout undo deployment/web --to-revision=3") == \
        "deployment.apps/web skipped rollback (current template already matches revision 3)\n"
    ok(h, "rollout pause deployment/web")
    assert err(h, "rollout undo deployment/web --to-revision=1") == (
        "error: you cannot rollback a paused deployment; resume it first with "
        "'kubectl rollout resume' and try again\n")
    assert err(h, "rollout undo deployment/nope") == \
        'Error from server (NotFound): deployments.apps "nope" not found\n'


def test_status_lines_while_rolling(three_revisions):
    """rollout_status.go DeploymentStatusViewer, one line per watch event until done."""
    h = three_revisions
    assert ok(h, "rollout status deployment/web") == 'deployment "web" successfully rolled out\n'
    h.patch("deployments", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.18"}]}}}}, patch_type="strategic")
    lines = ok(h, "rollout status deployment/web").splitlines()
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert 'Waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have ' \
           "been updated..." in lines
    assert any(line.endswith("old replicas are pending termination...") for line in lines)


def test_status_reports_deadline_exceeded():
    h = Harness()
    h.create(deployment(replicas=1, progressDeadlineSeconds=10))
    h.settle()
    h.patch("deployments", "web", {"spec": {"template": {"metadata": {"annotations": {
        "harness/ready": "false"}}}}}, patch_type="strategic")
    h.run(30)
    assert err(h, "rollout status deployment/web") == \
        'error: deployment "web" exceeded its progress deadline\n'


def test_restart_stamps_virtual_time_and_rolls():
    h = Harness()
    h.create(deployment(replicas=1))
    h.settle()
    before = h.active_pods()[0]["metadata"]["name"]
    assert ok(h, "rollout restart deployment/web") == "deployment.apps/web restarted\n"
    ann = h.get("deployments", "web")["spec"]["template"]["metadata"]["annotations"]
    assert ann == {"kubectl.kubernetes.io/restartedAt": h.clock.timestamp()}
    assert err(h, "rollout restart deployment/web") == (
        "error: failed to create patch for web: if restart has already been triggered within "
        "the past second, please wait before attempting to trigger another\n")
    h.settle()
    assert [p["metadata"]["name"] for p in h.active_pods()] != [before]


def test_pause_resume_messages():
    h = Harness()
    h.create(deployment(replicas=1))
    h.settle()
    assert ok(h, "rollout pause deployment/web") == "deployment.apps/web paused\n"
    assert err(h, "rollout pause deployment/web") == \
        'error: deployments.apps "web" is already paused\n'
    assert err(h, "rollout restart deployment/web") == \
        "error: can't restart paused deployment (run rollout resume first)\n"
    assert ok(h, "rollout resume deployment/web") == "deployment.apps/web resumed\n"
    assert err(h, "rollout resume deployment/web") == \
        'error: deployments.apps "web" is not paused\n'
    assert h.get("deployments", "web")["spec"].get("paused") is None
