"""labkit.widgets.reconcile: the reconcile-loop recording, its stepper, and the tiny-controller
harness.

Upstream behaviour the recordings must show: the ReplicaSet controller counts only *active*
pods (controller.FilterActivePods: no deletionTimestamp, not Succeeded/Failed) and replaces a
deleted one; a failed node's pods are evicted only after the 300 s NoExecute toleration that
the DefaultTolerationSeconds admission plugin adds (plugin/pkg/admission/defaulttolerationseconds),
by the taint eviction controller (pkg/controller/tainteviction)."""
from labkit.minicluster.cluster import MiniCluster
from labkit.widgets.reconcile import ReconcileStepper, record_reconcile, run_controller

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
      containers: [{name: web, image: nginx:1.27}]
"""


def cluster_with_web():
    c = MiniCluster(nodes=3, seed=0)
    c.apply(DEPLOYMENT)
    c.run(5)
    return c, c.list("replicasets")[0]["metadata"]["name"]


def test_killing_a_pod_shows_the_gap_and_its_repair():
    c, rs = cluster_with_web()
    victim = sorted(p["metadata"]["name"] for p in c.list("pods"))[0]
    run = record_reconcile(c, rs, lambda cl: cl.kill_pod(victim), seconds=5)
    df = run.frame()
    assert list(df.columns) == ["step", "time", "who", "action", "desired", "observed", "ready", "in sync"]
    assert df.iloc[0].to_dict() | {"time": 0.0} == {"step": 0, "time": 0.0, "who": "", "action": "(before)",
                                                   "desired": 3, "observed": 3, "ready": 3, "in sync": True}
    killed = df.iloc[1]
    assert killed["action"] == f"delete pods {victim}" and killed["observed"] == 2 and not killed["in sync"]
    created = df.iloc[2]
    assert created["who"] == "replicaset-controller" and created["action"].startswith("create pods ")
    assert created["observed"] == 3 and created["ready"] == 2
    whos = list(df["who"])
    assert whos.index("kube-scheduler") > 2
    assert any(w.startswith("kubelet ") for w in whos[whos.index("kube-scheduler"):])
    last = df.iloc[-1]
    assert (last["observed"], last["ready"], last["in sync"]) == (3, 3, True)
    assert len(run.pods) == len(df) and len(run.pods[-1]) == 3


def test_a_failed_node_is_waited_for_then_its_pod_replaced():
    c, rs = cluster_with_web()
    on_node2 = [p["metadata"]["name"] for p in c.list("pods") if p["spec"]["nodeName"] == "node-2"]
    run = record_reconcile(c, rs, lambda cl: cl.fail_node("node-2"), seconds=400)
    df = run.frame()
    not_ready = df[df["who"] == "node-controller"].iloc[0]
    assert 40 <= not_ready["time"] <= 60 and "Ready=False" in not_ready["action"]
    assert not_ready["in sync"] and not_ready["ready"] == 2  # nothing to do for the ReplicaSet yet
    evicted = df[df["action"] == f"delete pods {on_node2[0]}"].iloc[0]
    assert evicted["who"] == "taint-eviction-controller"
    assert evicted["time"] - not_ready["time"] >= 300
    assert evicted["observed"] == 2
    after = df[df["time"] >= evicted["time"]]
    assert "replicaset-controller" in set(after["who"])
    assert df.iloc[-1]["ready"] == 3
    assert len(c.list("nodes")) == 3  # no node was created
    final = {p["pod"]: p for p in run.pods[-1]}
    assert final[on_node2[0]]["deleting"] == "yes"  # stays Terminating: its kubelet is gone


def test_stepper_moves_through_the_steps_and_keeps_a_static_table():
    c, rs = cluster_with_web()
    victim = sorted(p["metadata"]["name"] for p in c.list("pods"))[0]
    run = record_reconcile(c, rs, lambda cl: cl.kill_pod(victim), seconds=5)
    w = ReconcileStepper(run)
    assert repr(w) == f"<ReconcileStepper Reconcile loop, step by step: {len(run)} steps of ReplicaSet {rs}>"
    bundle = w._repr_mimebundle_()
    assert f"delete pods {victim}" in bundle["text/html"]  # the whole table, not only step 1
    assert "in sync, all ready" in w.view.value
    w.go(1)
    assert "out of sync" in w.view.value and victim in w.caption.value
    w.next.click()
    assert "Step 3/" in w.caption.value
    w.go(len(run) + 5)
    assert w.next.disabled and w.index == len(run) - 1


DESIRED = {"color": "blue", "replicas": "3", "mode": "production"}


def good(desired, observed):
    actions = [("set", k, v) for k, v in sorted(desired.items()) if observed.get(k) != v]
    return actions + [("delete", k) for k in sorted(observed) if k not in desired]


def test_run_controller_converges_with_a_correct_reconcile():
    c = MiniCluster(nodes=1, seed=0)
    rounds = run_controller(c, good, DESIRED)
    assert [r["scenario"] for r in rounds] == ["start", "start", "drift", "drift", "steady"]
    assert rounds[0]["observed"] == {} and rounds[0]["wrote"]
    drift = rounds[2]
    assert drift["observed"] == {"color": "edited-by-hand", "mode": "production", "debug": "true"}
    assert set(drift["actions"]) == {("set", "color", "blue"), ("set", "replicas", "3"), ("delete", "debug")}
    assert rounds[-1]["actions"] == [] and not rounds[-1]["wrote"]
    assert c.get("configmap", "app-config")["data"] == DESIRED
    assert [r["time"] for r in rounds] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_run_controller_records_errors_and_bad_actions_without_raising():
    c = MiniCluster(nodes=1, seed=0)
    rounds = run_controller(c, lambda d, o: 1 / 0, DESIRED)
    assert [r["error"] for r in rounds] == ["ZeroDivisionError: division by zero"] * 3
    rounds = run_controller(c, lambda d, o: [("replace", "x")], DESIRED)
    assert rounds[0]["error"].startswith("ValueError: unknown action ('replace', 'x')")
    assert not c.exists("configmap", "app-config")
    rounds = run_controller(c, lambda d, o: "set everything", DESIRED)
    assert "must return a list" in rounds[0]["error"]


def test_a_non_idempotent_controller_never_settles():
    c = MiniCluster(nodes=1, seed=0)
    rounds = run_controller(c, lambda d, o: [("set", k, v) for k, v in d.items()], DESIRED, max_rounds=3)
    start = [r for r in rounds if r["scenario"] == "start"]
    assert len(start) == 3 and all(r["actions"] for r in start)
    assert rounds[-1]["scenario"] == "steady" and rounds[-1]["actions"]


def grade_tiny(reconcile):
    from labkit.grading import evaluate_check, get_check, load_course_checks
    from labkit.grading.evidence import encode, export_cluster
    load_course_checks()
    c = MiniCluster(nodes=1, seed=0)
    rounds = run_controller(c, reconcile, DESIRED)
    evidence = {"answers": encode({"controller_run": rounds}),
                "objects": export_cluster(c, ["configmaps"])}
    return evaluate_check(get_check("m03-tiny-controller"), evidence)


def test_the_tiny_controller_check_grades_what_the_harness_recorded():
    assert grade_tiny(good).passed
    chatty = grade_tiny(lambda d, o: [("set", k, v) for k, v in d.items()]
                       + [("delete", k) for k in o if k not in d])
    assert not chatty.passed and 0 < chatty.score < 4  # converges, but never idempotent
    assert grade_tiny(lambda d, o: []).score == 0
