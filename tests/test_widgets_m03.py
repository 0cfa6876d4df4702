"""Module 03 widgets and checks: the cluster dashboard follows the cluster it shows, the
scheduler playground shows the real scheduler's verdicts, and the graded scheduler exercises
agree with what the mini cluster's scheduler does."""
from __future__ import annotations

import pytest

from labkit.grading import evaluate_check, get_check
from labkit.grading.evidence import export_cluster
from labkit.minicluster.cluster import MiniCluster
from labkit.widgets import answers
from labkit.widgets.dashboard import _LIVE, ClusterDashboard, _after_cell, nodes_frame
from labkit.widgets.scheduler import SchedulerPlayground, decide, make_node, make_pod

VIEW = "application/vnd.jupyter.widget-view+json"

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: nginx:1.27, resources: {requests: {cpu: 500m, memory: 128Mi}}}
"""


@pytest.fixture(autouse=True)
def clean_answers():
    answers.clear()
    yield
    answers.clear()


@pytest.fixture
def cluster():
    c = MiniCluster(nodes=3, seed=0)
    c.apply(DEPLOYMENT)
    c.run(10)
    return c


def running(dash) -> int:
    return dash.text.count(" Running ")


# -- dashboard -------------------------------------------------------------------------------

def test_dashboard_shows_nodes_pods_and_a_fixed_fallback(cluster):
    dash = ClusterDashboard(cluster, follow=False)
    bundle = dash._repr_mimebundle_()
    assert set(bundle) == {VIEW, "text/html", "text/plain"}
    assert bundle["text/plain"] == "<ClusterDashboard Cluster dashboard: 3 nodes, 3 pods in namespace default>"
    assert "(interactive widget: run the notebook to use it)" in bundle["text/html"]
    assert running(dash) == 3 and dash.text.count(" Ready ") == 3
    # requests are what the scheduler counts: 500m of 4 CPUs on each node
    assert list(nodes_frame(cluster)["CPU REQUESTS"]) == ["500m / 4 (12%)"] * 3
    assert dash.deployment.value == "web" and dash.replicas.value == 3
    dash.replicas.value = 6
    dash.buttons["Scale"].click()
    assert "deployment.apps/web scaled to 6" in dash.feedback.value
    assert running(dash) == 6
    assert dash._repr_mimebundle_()["text/html"] == bundle["text/html"]  # fallback = initial state


def test_failing_a_node_shows_not_ready_then_the_pods_move(cluster):
    dash = ClusterDashboard(cluster, follow=False, diagram=False)
    dash.node.value = "node-2"
    dash.buttons["Fail node"].click()
    assert "the kubelet stopped" in dash.feedback.value
    dash.buttons["+1 min"].click()
    rows = nodes_frame(cluster).set_index("NODE")
    assert rows.loc["node-2", "STATUS"] == "NotReady"
    assert "node.kubernetes.io/unreachable:NoExecute" in rows.loc["node-2", "TAINTS"]
    dash.buttons["+5 min"].click()
    dash.buttons["+10 s"].click()
    pods = cluster.list("pods")
    live = [p for p in pods if not p["metadata"].get("deletionTimestamp")]
    assert len(live) == 3 and all(p["spec"]["nodeName"] != "node-2" for p in live)
    assert "Terminating" in dash.text and running(dash) == 3
    assert len(cluster.list("nodes")) == 3  # no node was created to replace node-2
    dash.buttons["Recover node"].click()
    assert nodes_frame(cluster).set_index("NODE").loc["node-2", "STATUS"] == "Ready"


def test_dashboard_redraws_after_a_cell_changed_the_cluster(cluster):
    dash = ClusterDashboard(cluster, follow=False, diagram=False)
    _LIVE.add(dash)
    try:
        cluster.scale("deployment", "web", 1)
        cluster.run(5)
        assert running(dash) == 3          # not redrawn yet
        _after_cell()                      # what IPython's post_run_cell hook calls
        assert running(dash) == 1
        before = dash.view.value
        _after_cell()                      # nothing changed: the view is left as it is
        assert dash.view.value == before
    finally:
        _LIVE.discard(dash)


def test_dashboard_actions_show_errors_instead_of_raising():
    c = MiniCluster(nodes=1, seed=0)
    dash = ClusterDashboard(c, follow=False, diagram=False)
    assert dash.buttons["Scale"].disabled
    dash._act(dash.scale)
    assert "there is no Deployment" in dash.feedback.value and "#b42318" in dash.feedback.value
    dash._act(lambda: dash.fail_node("node-9"))
    assert 'nodes &quot;node-9&quot; not found' in dash.feedback.value


# -- scheduler playground ------------------------------------------------------------------------

def test_playground_starts_with_three_feasible_nodes_and_a_tie():
    w = SchedulerPlayground()
    assert w.decision in ("node-1", "node-2", "node-3")
    assert "3 nodes tie" in w.view.value
    assert repr(w) == "<SchedulerPlayground Scheduler playground: 3 nodes, one pod>"
    assert "Initial setting" in w._repr_mimebundle_()["text/html"]


def test_playground_shows_each_filter_reason_and_the_failed_scheduling_message():
    """The message is FitError.Error() of pkg/scheduler/framework/types.go: reasons counted and
    sorted, then the preemption post-filter's own summary."""
    w = SchedulerPlayground()
    n1, n2, _n3 = w.node_controls
    n1["cordoned"].value = True
    n2["taint"].value = "dedicated=gpu:NoSchedule"
    w.pod_controls["cpu"].value = 5
    assert w.decision is None
    assert ("Pending. FailedScheduling: 0/3 nodes are available: 1 Insufficient cpu, 1 node(s) "
            "had untolerated taint {dedicated: gpu}, 1 node(s) were unschedulable.") in w.view.value
    assert "NodeUnschedulable" in w.view.value and "TaintToleration" in w.view.value
    w.pod_controls["cpu"].value = 2
    w.pod_controls["tolerate_gpu"].value = True
    n2["used"].value = 3                   # node-2 has 1 CPU left: too little for 2
    assert w.decision == "node-3" and "the only node left after filtering" in w.view.value
    n2["used"].value = 0
    assert w.decision in ("node-2", "node-3")


def test_playground_affinity_controls():
    w = SchedulerPlayground()
    n1, n2, n3 = w.node_controls
    n3["disktype"].value = "ssd"
    w.pod_controls["node_selector"].value = "ssd"
    assert w.decision == "node-3"
    w.pod_controls["node_selector"].value = "none"
    w.pod_controls["prefer_disk"].value = "ssd"      # preferred: a score (weight 2), not a filter
    assert w.decision == "node-3" and "NodeAffinity" in w.view.value
    assert "3 feasible nodes" in w.view.value
    n3["web"].value = True
    w.pod_controls["avoid_web"].value = True
    assert w.decision in ("node-1", "node-2")
    assert "didn't match pod anti-affinity rules" in w.view.value


def test_playground_agrees_with_the_clusters_scheduler():
    """The playground's dry run and the running cluster's scheduler decide alike."""
    c = MiniCluster(nodes=3, seed=0)
    c.kubectl("taint node node-2 dedicated=gpu:NoSchedule")
    c.kubectl("label node node-3 disktype=ssd")
    c.apply(make_pod("p", cpu=1, node_selector="ssd"))
    c.run(2)
    nodes = [make_node("node-1"), make_node("node-2", taint="dedicated=gpu:NoSchedule"),
             make_node("node-3", disktype="ssd")]
    assert decide(nodes, make_pod("p", cpu=1, node_selector="ssd"))["node"] == \
        c.get("pod", "p")["spec"]["nodeName"] == "node-3"
    c.apply(make_pod("q", cpu=1, node_selector="hdd"))
    c.run(2)
    record = decide(nodes, make_pod("q", cpu=1, node_selector="hdd"))
    events = [e["message"] for e in c.list("events") if e["reason"] == "FailedScheduling"]
    assert record["node"] is None and events == [record["message"]]


# -- the scheduler notebook's graded exercises ----------------------------------------------------

def scenario_cluster():
    c = MiniCluster(nodes=3, seed=0)
    c.kubectl("label node node-1 disktype=ssd")
    c.kubectl("taint node node-2 dedicated=gpu:NoSchedule")
    c.kubectl("label node node-2 gpu=true")
    return c


def test_placement_key_is_what_the_scheduler_does():
    from labkit.course_checks.m03_architecture_a import PLACEMENTS
    c = scenario_cluster()
    tol = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "api"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    specs = [("db", "3", {"nodeSelector": {"disktype": "ssd"}}),
             ("train", "2", {"nodeSelector": {"gpu": "true"}, "tolerations": tol}),
             ("api", "2", {}), ("web", "500m", {}), ("cache", "1", {"affinity": anti}),
             ("report", "1", {"nodeSelector": {"disktype": "ssd"}})]
    got = []
    for name, cpu, extra in specs:
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
                 "spec": {"containers": [{"name": "main", "image": "nginx:1.27", "resources": {
                     "requests": {"cpu": cpu, "memory": "256Mi"}}}], **extra}})
        c.run(2)
        got.append(c.get("pod", name)["spec"].get("nodeName") or "stays Pending")
    assert got == [want for want, _hint in PLACEMENTS.values()]


def grade_trainer(c, manifest):
    if c.exists("pod", "trainer"):
        c.delete("pod", "trainer", grace_period=0)
    c.apply(manifest)
    c.run(5)
    chk = get_check("m03-fix-unschedulable")
    evidence = {"answers": {"trainer_yaml": manifest}, "objects": export_cluster(c, chk.kinds)}
    return evaluate_check(chk, evidence)


def test_fix_unschedulable_check_follows_the_debugging_steps():
    from labkit.course_checks.m03_architecture_a import TRAINER_FIXED
    c = scenario_cluster()
    broken = TRAINER_FIXED.replace('cpu: "3"', 'cpu: "6"')
    broken = broken[:broken.index("  tolerations:")] + broken[broken.index("  containers:"):]
    r = grade_trainer(c, broken)
    assert not r.passed and r.score == 0 and "still Pending" in r.parts[0].description
    message = [e["message"] for e in c.list("events") if e["reason"] == "FailedScheduling"][-1]
    assert message.startswith("0/3 nodes are available: 1 node(s) had untolerated taint "
                              "{dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector.")
    r = grade_trainer(c, TRAINER_FIXED.replace('cpu: "3"', 'cpu: "6"'))  # toleration only
    assert not r.passed
    message = [e["message"] for e in c.list("events") if e["reason"] == "FailedScheduling"][-1]
    assert message.startswith("0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't "
                              "match Pod's node affinity/selector.")
    cheat = broken.replace("spec:\n", "spec:\n  nodeName: node-2\n", 1)
    r = grade_trainer(c, cheat)
    failed = [p.description for p in r.parts if not p.passed]
    assert failed == ["the scheduler placed it (not a hand-written spec.nodeName)"]
    r = grade_trainer(c, TRAINER_FIXED)
    assert r.passed and r.score == 3
    r = grade_trainer(c, TRAINER_FIXED.replace('cpu: "3"', 'cpu: "1"'))
    assert not r.passed and [p.description for p in r.parts if not p.passed] == \
        ["it still requests at least 2 CPUs"]


def test_resume_watch_check():
    chk = get_check("m03-resume-watch")
    ok = evaluate_check(chk, {"answers": {"resume_from": "130", "last_seen": "130"}})
    assert ok.passed and ok.score == 2
    late = evaluate_check(chk, {"answers": {"resume_from": 131, "last_seen": "130"}})
    assert not late.passed and "skip" in late.parts[-1].hint
    early = evaluate_check(chk, {"answers": {"resume_from": 100, "last_seen": "130"}})
    assert not early.passed and "after N" in early.parts[-1].hint
    junk = evaluate_check(chk, {"answers": {"resume_from": "latest", "last_seen": "130"}})
    assert not junk.passed
