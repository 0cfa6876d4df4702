"""Deployments and ReplicaSets end to end through MiniCluster (real scheduler and kubelets).

Upstream behaviour as in test/e2e/apps/deployment.go: a rolling update with the 25 %
defaults, rollback with ``kubectl rollout undo``, deterministic names for a given seed.
"""
from labkit.minicluster.cluster import MiniCluster


def web(replicas=6, image="nginx:1.14"):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                         "containers": [{"name": "web", "image": image}]}}}}


def set_image(c, img):
    c.api.patch("deployments", "web", {"spec": {"template": {"spec": {"containers": [
        {"name": "web", "image": img}]}}}}, "strategic", "default")


def running(c):
    return [p for p in c.api.list("pods", "default")["items"]
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")]


def scaling(c):
    evs = sorted((e for e in c.api.list("events", "default")["items"]
                  if e["reason"] == "ScalingReplicaSet"),
                 key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e["message"] for e in evs]


def test_rolling_update_and_undo_on_minicluster():
    c = MiniCluster(nodes=3, seed=7)
    c.apply(web())
    c.settle()
    pods = running(c)
    assert len(pods) == 6
    assert len({p["spec"]["nodeName"] for p in pods}) == 3  # spread by the scheduler
    old = c.api.list("replicasets", "default")["items"][0]["metadata"]["name"]
    set_image(c, "nginx:1.16")
    c.settle()
    assert {p["spec"]["containers"][0]["image"] for p in running(c)} == {"nginx:1.16"}
    msgs = scaling(c)
    new = [m.split()[4] for m in msgs if old not in m][0]
    # 6 replicas, 25 %: maxSurge 2, maxUnavailable 1 → new starts at 2, old drops to 5
    assert msgs[1:3] == [f"Scaled up replica set {new} to 2", f"Scaled down replica set {old} "
                         "to 5 from 6"]
    assert msgs[-1].startswith(f"Scaled down replica set {old} to 0 from")
    st = c.api.get("deployments", "web", "default")["status"]
    assert st["updatedReplicas"] == st["availableReplicas"] == 6
    assert c.kubectl("rollout undo deployment/web").stdout == "deployment.apps/web rolled back\n"
    c.settle()
    assert {p["spec"]["containers"][0]["image"] for p in running(c)} == {"nginx:1.14"}
    assert c.kubectl("rollout history deployment/web").stdout.splitlines()[2:4] == [
        "2         <none>", "3         <none>"]
    assert c.kubectl("rollout status deployment/web").stdout == \
        'deployment "web" successfully rolled out\n'


def test_same_seed_same_names():
    names = []
    for _ in range(2):
        c = MiniCluster(nodes=3, seed=11)
        c.apply(web(replicas=3))
        c.settle()
        names.append(sorted(p["metadata"]["name"] for p in running(c)))
    assert names[0] == names[1]


def test_replicaset_scale_down_prefers_crowded_nodes():
    """ActivePodsWithRanks rule 5 with the real scheduler: a Deployment's pods on a node that
    also runs more of its pods go first (the rank counts related pods per node)."""
    c = MiniCluster(nodes=2, seed=3)
    c.apply(web(replicas=3))
    c.settle()
    per_node = {}
    for p in running(c):
        per_node.setdefault(p["spec"]["nodeName"], []).append(p["metadata"]["name"])
    crowded = max(per_node, key=lambda n: len(per_node[n]))
    c.api.patch("deployments", "web", {"spec": {"replicas": 2}}, "merge", "default")
    c.settle()
    victims = [r for r in c.explain.records("replicaset-victims") if r["deleted"]]
    assert len(victims) == 1 and victims[0]["node"] == crowded and victims[0]["colocated"] == 2
    assert len({p["spec"]["nodeName"] for p in running(c)}) == 2
