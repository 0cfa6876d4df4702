"""kubectl rollout helpers (controllers/rollout.py) against the harness cluster.

Expected strings are kubectl's (k8s.io/kubectl v1.33: pkg/polymorphichelpers/rollback.go,
history.go, rollout_status.go, objectpauser.go, objectresumer.go, objectrestarter.go and
pkg/cmd/rollout/*.go).
"""
import pytest
from workload_harness import Harness, deployment

from labkit.minicluster.controllers import rollout as ro


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
    hist = ro.rollout_history(h.api, "web")
    assert [(r, c) for r, c, _ in hist] == [(1, "kubectl create v1.14"),
                                           (2, "kubectl set image v1.16"),
                                           (3, "kubectl set image v1.17")]
    assert "pod-template-hash" not in hist[0][2]["metadata"]["labels"]
    assert hist[1][2]["spec"]["containers"][0]["image"] == "nginx:1.16"
    assert ro.rollout_history_text(h.api, "web") == (
        "deployment.apps/web \n"
        "REVISION  CHANGE-CAUSE\n"
        "1         kubectl create v1.14\n"
        "2         kubectl set image v1.16\n"
        "3         kubectl set image v1.17\n\n")
    one = ro.rollout_history_text(h.api, "web", revision=2)
    assert one.startswith("deployment.apps/web with revision #2\nPod Template:")
    assert "nginx:1.16" in one
    with pytest.raises(ro.RolloutError, match="unable to find the specified revision"):
        ro.rollout_history_text(h.api, "web", revision=7)


def test_undo_to_revision_reuses_the_old_replicaset(three_revisions):
    """Rollback = copy the old RS template into the Deployment; the controller then finds
    that RS again, gives it revision 4 and records ``revision-history: 1``."""
    h = three_revisions
    old_rs = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]:
              rs["metadata"]["name"] for rs in h.list("replicasets")}["1"]
    assert ro.rollout_undo(h.api, "web", to_revision=1) == "deployment.apps/web rolled back"
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
    assert [r for r, _, _ in ro.rollout_history(h.api, "web")] == [2, 3, 4]
    assert len(h.list("replicasets")) == 3  # no new ReplicaSet was created


def test_undo_without_revision_goes_to_previous(three_revisions):
    h = three_revisions
    assert ro.rollout_undo(h.api, "web") == "deployment.apps/web rolled back"
    h.settle()
    assert images(h) == {"nginx:1.16"}


def test_undo_errors_and_skip(three_revisions):
    h = three_revisions
    with pytest.raises(ro.RolloutError) as e:
        ro.rollout_undo(h.api, "web", to_revision=9)
    assert e.value.kubectl_message() == "error: unable to find specified revision 9 in history"
    assert ro.rollout_undo(h.api, "web", to_revision=3) == \
        "deployment.apps/web skipped rollback (current template already matches revision 3)"
    ro.rollout_pause(h.api, "web")
    with pytest.raises(ro.RolloutError, match="you cannot rollback a paused deployment; "
                       "resume it first with 'kubectl rollout resume' and try again"):
        ro.rollout_undo(h.api, "web", to_revision=1)
    with pytest.raises(ro.RolloutError, match='deployments.apps "nope" not found'):
        ro.rollout_undo(h.api, "nope")


def test_status_lines_while_rolling(three_revisions):
    """rollout_status.go DeploymentStatusViewer, one line per watch event until done."""
    h = three_revisions
    assert ro.rollout_status(h.api, "web") == ('deployment "web" successfully rolled out', True)
    h.patch("deployments", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": "nginx:1.18"}]}}}}, patch_type="strategic")
    text = ro.watch_rollout_status(h.api, "web", step=lambda: (h.run(1), 1)[1])
    lines = text.splitlines()
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
    with pytest.raises(ro.RolloutError) as e:
        ro.rollout_status(h.api, "web")
    assert e.value.kubectl_message() == 'error: deployment "web" exceeded its progress deadline'


def test_restart_stamps_virtual_time_and_rolls():
    h = Harness()
    h.create(deployment(replicas=1))
    h.settle()
    before = h.active_pods()[0]["metadata"]["name"]
    assert ro.rollout_restart(h.api, "web") == "deployment.apps/web restarted"
    ann = h.get("deployments", "web")["spec"]["template"]["metadata"]["annotations"]
    assert ann == {"kubectl.kubernetes.io/restartedAt": h.clock.timestamp()}
    with pytest.raises(ro.RolloutError, match="if restart has already been triggered within "
                       "the past second"):
        ro.rollout_restart(h.api, "web")
    h.settle()
    assert [p["metadata"]["name"] for p in h.active_pods()] != [before]


def test_pause_resume_messages():
    h = Harness()
    h.create(deployment(replicas=1))
    h.settle()
    assert ro.rollout_pause(h.api, "web") == "deployment.apps/web paused"
    with pytest.raises(ro.RolloutError) as e:
        ro.rollout_pause(h.api, "web")
    assert e.value.kubectl_message() == 'error: deployments.apps "web" is already paused'
    with pytest.raises(ro.RolloutError, match="can't restart paused deployment"):
        ro.rollout_restart(h.api, "web")
    assert ro.rollout_resume(h.api, "web") == "deployment.apps/web resumed"
    with pytest.raises(ro.RolloutError) as e:
        ro.rollout_resume(h.api, "web")
    assert e.value.kubectl_message() == 'error: deployments.apps "web" is not paused'
    assert h.get("deployments", "web")["spec"].get("paused") is None
