"""Who writes Events (labkit/minicluster/events.py).

Upstream: client-go tools/record (EventRecorder, EventCorrelator: repeated events are patched
with a higher ``count``), cmd/kube-scheduler (events as ``system:kube-scheduler``,
reportingController ``default-scheduler``), cmd/kube-controller-manager (one event broadcaster
on the controller manager's own client, ``system:kube-controller-manager``, even with
--use-service-account-credentials), pkg/kubelet (``system:node:<name>``, source host) and
plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (eventsRule: create, update, patch).
"""
from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.events import EventRecorder, identity
from labkit.minicluster.resources import REGISTRY


def _cluster_with_audit():
    c = MiniCluster(nodes=1, seed=3)
    writes = []

    def audit(user, verb, rt, namespace, name, subresource):
        if rt.plural == "events" and verb in ("create", "patch", "update"):
            writes.append((user.name, verb))
    c.api.audit.append(audit)
    return c, writes


def _events(c, reason):
    return [e for e in c.api.list("events", "default")["items"] if e["reason"] == reason]


def test_each_component_writes_its_events_as_itself():
    c, writes = _cluster_with_audit()
    c.apply({"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "web", "namespace": "default"},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "web",
                                                            "image": "nginx:1.25"}]}}}})
    c.settle()
    (scheduled,) = _events(c, "Scheduled")
    assert scheduled["reportingComponent"] == "default-scheduler"
    assert scheduled["source"] == {"component": "default-scheduler"}
    (scaled,) = _events(c, "ScalingReplicaSet")
    assert scaled["source"] == {"component": "deployment-controller"}
    (pulled,) = _events(c, "Pulled")
    assert pulled["source"] == {"component": "kubelet", "host": "node-1"}
    assert pulled["reportingInstance"] == "node-1"
    authors = {name for name, _ in writes}
    assert authors == {"system:kube-scheduler", "system:kube-controller-manager",
                       "system:node:node-1"}
    assert "kubernetes-admin" not in authors


def test_bootstrap_rbac_lets_the_components_record_events():
    """eventsRule in the system:kube-scheduler, system:kube-controller-manager and system:node
    roles (the last through the Node authorizer); none of them may read events back."""
    c = MiniCluster(nodes=1, seed=0)
    events = REGISTRY.for_name("events")
    for user in (identity("default-scheduler"), identity("deployment-controller"),
                 identity("kubelet", "node-1")):
        for verb in ("create", "patch", "update"):
            assert c.api.authorizer.authorize(user, verb, events, "default", None, None)[0]
    assert not c.api.authorizer.authorize(identity("default-scheduler"), "get", events,
                                          "default", "x", None)[0]


def test_repeated_event_is_patched_by_its_author():
    """EventCorrelator: the same event again raises ``count`` with a PATCH from the same
    identity; the recorder keeps the count itself (no GET)."""
    c, writes = _cluster_with_audit()
    pod = c.api.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                                "spec": {"containers": [{"name": "c", "image": "nginx"}]}},
                       "default")
    rec = EventRecorder(c.api, c.loop)
    writes.clear()
    for _ in range(3):
        rec.record(pod, "Warning", "BackOff", "Back-off restarting failed container", "kubelet",
                   host="node-1")
    (ev,) = [e for e in _events(c, "BackOff") if e["involvedObject"]["name"] == "p"]
    assert ev["count"] == 3
    assert writes == [("system:node:node-1", "create"), ("system:node:node-1", "patch"),
                      ("system:node:node-1", "patch")]
