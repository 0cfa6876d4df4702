"""The Deployment controller end to end on the test harness (API server + controllers +
fake scheduler/kubelet, see workload_harness.py).

Upstream references: pkg/controller/deployment/{sync.go,rolling.go,recreate.go,progress.go}
and the e2e test test/e2e/apps/deployment.go (rolling update, recreate, proportional scaling,
revision history, progress deadline).
"""
from workload_harness import Harness, deployment

from labkit.minicluster.controllers.history import compute_hash


def image(h, name, img, ns="default"):
    h.patch("deployments", name, {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": img}]}}}}, namespace=ns, patch_type="strategic")


def scaling_events(h):
    return [e["message"] for e in h.events(reason="ScalingReplicaSet")]


def rs_by_image(h):
    return {rs["spec"]["template"]["spec"]["containers"][0]["image"]: rs
            for rs in h.list("replicasets")}


def test_create_names_labels_status_and_events():
    """sync.go getNewReplicaSet: RS ``<deployment>-<pod-template-hash>``, revision 1,
    desired/max-replicas annotations; progress.go conditions with upstream messages."""
    h = Harness()
    h.create(deployment(replicas=3))
    h.settle()
    d = h.get("deployments", "web")
    (rs,) = h.list("replicasets")
    tpl_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{tpl_hash}"
    assert tpl_hash == compute_hash(d["spec"]["template"])
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": tpl_hash}
    assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
    assert rs["metadata"]["annotations"] == {"deployment.kubernetes.io/revision": "1",
                                             "deployment.kubernetes.io/desired-replicas": "3",
                                             "deployment.kubernetes.io/max-replicas": "4"}
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    st = d["status"]
    assert {k: st[k] for k in ("observedGeneration", "replicas", "updatedReplicas",
                               "readyReplicas", "availableReplicas")} == \
        {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3,
         "availableReplicas": 3}
    assert "unavailableReplicas" not in st  # omitempty
    conds = {c["type"]: c for c in st["conditions"]}
    assert [c["type"] for c in st["conditions"]] == ["Available", "Progressing"]
    assert conds["Available"]["reason"] == "MinimumReplicasAvailable"
    assert conds["Available"]["message"] == "Deployment has minimum availability."
    assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
    assert conds["Progressing"]["message"] == \
        f'ReplicaSet "{rs["metadata"]["name"]}" has successfully progressed.'
    assert scaling_events(h) == [f"Scaled up replica set {rs['metadata']['name']} to 3"]
    pods = h.active_pods()
    assert len(pods) == 3
    assert all(p["metadata"]["name"].startswith(rs["metadata"]["name"] + "-") and
               len(p["metadata"]["name"]) == len(rs["metadata"]["name"]) + 6 for p in pods)
    assert all(p["metadata"]["labels"]["pod-template-hash"] == tpl_hash for p in pods)


def _watch_invariants(h, limit_total, min_available):
    """After every write: RS sizes never exceed replicas+maxSurge, ready pods never drop
    below replicas-maxUnavailable (rolling.go's two guarantees)."""
    seen = {"max_total": 0, "min_avail": 99}

    def check(_type, _obj):
        total = sum(rs["spec"]["replicas"] for rs in h.informers["replicasets"].list("default"))
        ready = sum(1 for p in h.informers["pods"].list("default")
                    if not p["metadata"].get("deletionTimestamp") and any(
                        c["type"] == "Ready" and c["status"] == "True"
                        for c in p["status"].get("conditions", [])))
        seen["max_total"] = max(seen["max_total"], total)
        seen["min_avail"] = min(seen["min_avail"], ready)
    h.api.watch("replicasets", check, resource_version=str(h.api.store.revision))
    h.api.watch("pods", check, resource_version=str(h.api.store.revision))
    return seen


def test_rolling_update_steps_surge_1_unavailable_0():
    """rolling.go with 3 replicas, maxSurge 1, maxUnavailable 0: new +1 / old -1 in turn,
    never more than 4 pods, never fewer than 3 ready."""
    h = Harness()
    h.create(deployment(replicas=3, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 1, "maxUnavailable": 0}}))
    h.settle()
    old = h.list("replicasets")[0]["metadata"]["name"]
    seen = _watch_invariants(h, 4, 3)
    image(h, "web", "nginx:1.16")
    h.settle()
    new = rs_by_image(h)["nginx:1.16"]["metadata"]["name"]
    assert scaling_events(h)[1:] == [
        f"Scaled up replica set {new} to 1", f"Scaled down replica set {old} to 2 from 3",
        f"Scaled up replica set {new} to 2 from 1", f"Scaled down replica set {old} to 1 from 2",
        f"Scaled up replica set {new} to 3 from 2", f"Scaled down replica set {old} to 0 from 1"]
    assert seen["max_total"] == 4 and seen["min_avail"] >= 3
    d = h.get("deployments", "web")
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert d["status"]["updatedReplicas"] == 3 and d["status"]["replicas"] == 3
    assert rs_by_image(h)["nginx:1.14"]["spec"]["replicas"] == 0  # kept as history


def test_rolling_update_3_replicas_default_strategy_step_table():
    """25 %/25 % of 3 replicas resolves to maxSurge 1 / maxUnavailable 0: the (old, new)
    sizes after each scaling step form upstream's textbook table."""
    h = Harness()
    h.create(deployment(replicas=3))
    h.settle()
    old = h.list("replicasets")[0]["metadata"]["name"]
    image(h, "web", "nginx:1.16")
    h.settle()
    sizes, table = {"old": 3, "new": 0}, []
    for msg in scaling_events(h)[1:]:
        which = "old" if f" {old} " in msg else "new"
        sizes[which] = int(msg.split(" to ")[1].split()[0])
        table.append((sizes["old"], sizes["new"]))
    assert table == [(3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)]
    assert all(o + n <= 4 for o, n in table)


def test_rolling_update_default_25_percent_on_4_replicas():
    """Defaults 25 %/25 % of 4: surge 1, unavailable 1 - up to 5 pods, at least 3 ready."""
    h = Harness()
    h.create(deployment(replicas=4))
    h.settle()
    seen = _watch_invariants(h, 5, 3)
    image(h, "web", "nginx:1.16")
    h.settle()
    assert seen["max_total"] <= 5 and seen["min_avail"] >= 3
    msgs = scaling_events(h)[1:]
    assert msgs[0].startswith("Scaled up replica set") and msgs[0].endswith(" to 1")
    assert msgs[1].endswith("to 3 from 4")
    assert h.get("deployments", "web")["status"]["updatedReplicas"] == 4


def test_rollout_explain_records_arithmetic():
    """Each decision is recorded in explain topic "rollout" with its inputs."""
    h = Harness()
    h.create(deployment(replicas=3, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 1, "maxUnavailable": 0}}))
    h.settle()
    image(h, "web", "nginx:1.16")
    h.settle()
    recs = h.explain.records("rollout")
    blocked = [r for r in recs if r["step"] == "reconcileOldReplicaSets" and
               r["allowedScaleDown"] == 0]
    assert blocked and blocked[0]["reason"] == "maxScaledDown = 4 - 3 - 1 = 0"
    assert {"deployment", "desired", "maxSurge", "maxUnavailable", "newRS", "oldRSs",
            "reason", "time"} <= set(blocked[0])
    assert blocked[0]["desired"] == 3 and blocked[0]["maxSurge"] == 1 and \
        blocked[0]["maxUnavailable"] == 0
    downs = [r for r in recs if r["step"] == "scaleDownOldReplicaSets" and r.get("to") is not None]
    assert [r["to"] for r in downs] == [2, 1, 0]


def test_recreate_never_runs_old_and_new_together():
    """recreate.go: scale old to 0, wait until its pods are gone, then create the new RS."""
    h = Harness()
    h.create(deployment(replicas=2, strategy={"type": "Recreate"}))
    h.settle()
    mixed = []

    def check(_t, _p):
        images = {p["spec"]["containers"][0]["image"] for p in h.informers["pods"].list("default")}
        mixed.append(len(images))
    h.api.watch("pods", check, resource_version=str(h.api.store.revision))
    image(h, "web", "nginx:1.16")
    h.settle()
    assert max(mixed) == 1
    assert {p["spec"]["containers"][0]["image"] for p in h.active_pods()} == {"nginx:1.16"}
    old, new = rs_by_image(h)["nginx:1.14"], rs_by_image(h)["nginx:1.16"]
    assert scaling_events(h)[1:] == [
        f"Scaled down replica set {old['metadata']['name']} to 0 from 2",
        f"Scaled up replica set {new['metadata']['name']} to 2"]


def test_pause_and_resume():
    """sync.go checkPausedConditions: no rollout while paused, Progressing=Unknown."""
    h = Harness()
    h.create(deployment(replicas=2))
    h.settle()
    h.patch("deployments", "web", {"spec": {"paused": True}})
    image(h, "web", "nginx:1.16")
    h.settle()
    assert len(h.list("replicasets")) == 1
    prog = [c for c in h.get("deployments", "web")["status"]["conditions"]
            if c["type"] == "Progressing"][0]
    assert (prog["status"], prog["reason"], prog["message"]) == \
        ("Unknown", "DeploymentPaused", "Deployment is paused")
    h.patch("deployments", "web", {"spec": {"paused": None}})
    h.run(0)
    prog = [c for c in h.get("deployments", "web")["status"]["conditions"]
            if c["type"] == "Progressing"][0]
    assert prog["reason"] in ("DeploymentResumed", "NewReplicaSetCreated", "ReplicaSetUpdated")
    h.settle()
    assert {p["spec"]["containers"][0]["image"] for p in h.active_pods()} == {"nginx:1.16"}


def test_proportional_scaling_during_a_stuck_rollout():
    """sync.go scale(): 10 replicas (surge 3, unavailable 2) stuck with old 8 / new 5, then
    scaled to 20: 20 + 3 = 23 allowed pods, split by the old proportions (x 23/13):
    old 8 → round(14.15) = 14, new 5 → round(8.85) = 9."""
    h = Harness()
    h.create(deployment(replicas=10, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 3, "maxUnavailable": 2}}))
    h.settle()
    h.patch("deployments", "web", {"spec": {"template": {"metadata": {"annotations": {
        "harness/ready": "false"}}, "spec": {"containers": [
            {"name": "web", "image": "nginx:broken"}]}}}}, patch_type="strategic")
    h.settle()
    sizes = {img: rs["spec"]["replicas"] for img, rs in rs_by_image(h).items()}
    assert sizes == {"nginx:1.14": 8, "nginx:broken": 5}
    h.patch("deployments", "web", {"spec": {"replicas": 20}})
    h.settle()
    sizes = {img: rs["spec"]["replicas"] for img, rs in rs_by_image(h).items()}
    assert sizes == {"nginx:1.14": 14, "nginx:broken": 9}
    assert any(r["step"] == "scale (proportional)" for r in h.explain.records("rollout"))


def test_revision_history_limit_deletes_oldest_empty_replicasets():
    """cleanupDeployment: keep ``revisionHistoryLimit`` old ReplicaSets."""
    h = Harness()
    h.create(deployment(replicas=1, revisionHistoryLimit=2))
    h.settle()
    for v in ("1.15", "1.16", "1.17", "1.18"):
        image(h, "web", f"nginx:{v}")
        h.settle()
    revs = sorted(int(rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"])
                  for rs in h.list("replicasets"))
    assert revs == [3, 4, 5]


def test_progress_deadline_exceeded():
    """progress.go: no progress for progressDeadlineSeconds → Progressing=False,
    ProgressDeadlineExceeded; Available stays True while old pods serve."""
    h = Harness()
    h.create(deployment(replicas=2, progressDeadlineSeconds=30))
    h.settle()
    h.patch("deployments", "web", {"spec": {"template": {"metadata": {"annotations": {
        "harness/ready": "false"}}}}}, patch_type="strategic")
    h.settle()
    h.run(40)
    d = h.get("deployments", "web")
    conds = {c["type"]: c for c in d["status"]["conditions"]}
    new = [rs for rs in h.list("replicasets")
           if rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"][0]
    assert conds["Progressing"]["status"] == "False"
    assert conds["Progressing"]["reason"] == "ProgressDeadlineExceeded"
    assert conds["Progressing"]["message"] == \
        f'ReplicaSet "{new["metadata"]["name"]}" has timed out progressing.'
    assert conds["Available"]["status"] == "True"
    assert d["status"]["unavailableReplicas"] == 1


def test_minimum_replicas_unavailable():
    h = Harness()
    d = deployment(replicas=3)
    d["spec"]["template"]["metadata"]["annotations"] = {"harness/ready": "false"}
    h.create(d)
    h.settle()
    st = h.get("deployments", "web")["status"]
    avail = [c for c in st["conditions"] if c["type"] == "Available"][0]
    assert (avail["status"], avail["reason"], avail["message"]) == (
        "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")
    assert st["unavailableReplicas"] == 3 and "availableReplicas" not in st


def test_hash_collision_bumps_collision_count():
    """sync.go: a foreign RS already holds our name → status.collisionCount++ and a new hash."""
    h = Harness()
    d = h.api.create("deployments", deployment(replicas=1), "default", dry_run=True)
    taken = f"web-{compute_hash(d['spec']['template'])}"
    h.create({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": taken},
              "spec": {"replicas": 0, "selector": {"matchLabels": {"other": "x"}},
                       "template": {"metadata": {"labels": {"other": "x"}}, "spec": {
                           "containers": [{"name": "c", "image": "busybox"}]}}}})
    h.create(deployment(replicas=1))
    h.settle()
    d = h.get("deployments", "web")
    assert d["status"]["collisionCount"] == 1
    ours = [rs for rs in h.list("replicasets") if rs["metadata"]["name"] != taken]
    assert ours[0]["metadata"]["name"] == f"web-{compute_hash(d['spec']['template'], 1)}"
    assert d["status"]["availableReplicas"] == 1


def test_min_ready_seconds_delays_availability():
    """minReadySeconds is copied to the RS; pods count as available only after it."""
    h = Harness()
    h.create(deployment(replicas=1, minReadySeconds=10))
    h.run(5)
    (rs,) = h.list("replicasets")
    assert rs["spec"]["minReadySeconds"] == 10
    assert "availableReplicas" not in h.get("deployments", "web")["status"]
    h.run(10)
    assert h.get("deployments", "web")["status"]["availableReplicas"] == 1
