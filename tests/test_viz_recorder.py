"""labkit.viz.recorder: the request recorder and the pod-creation sequence diagram.

The order of writes asserted here is the upstream relay: the deployment controller creates the
ReplicaSet (pkg/controller/deployment/sync.go getNewReplicaSet), the replicaset controller the
Pod (pkg/controller/replicaset manageReplicas), the scheduler binds it through pods/binding
(pkg/scheduler/schedule_one.go bind -> DefaultBinder), and only then the kubelet of the node
writes pods/status (pkg/kubelet/status/status_manager.go)."""
import pytest

from labkit.client import SimulationOnly
from labkit.minicluster.cluster import MiniCluster
from labkit.viz.recorder import (ACTORS, FlowRecorder, changed_fields, lane_of, sequence_diagram,
                                 short_actor, to_frame)

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api, image: nginx:1.27}]
"""


def record(seed=0):
    c = MiniCluster(nodes=2, seed=seed)
    with FlowRecorder(c) as rec:
        c.apply(DEPLOYMENT)
        c.run(5)
    return c, rec


def test_writes_are_attributed_to_the_component_that_sent_them():
    _, rec = record()
    pod_writes = [(short_actor(w["user"]), w["verb"], w["subresource"])
                  for w in rec.writes if w["resource"] == "pods"]
    assert pod_writes[0] == ("replicaset-controller", "create", "")
    assert pod_writes[1] == ("kube-scheduler", "create", "binding")
    assert all(who.startswith("kubelet node-") and sub == "status" for who, _, sub in pod_writes[2:])
    first = rec.writes[0]
    assert (first["user"], first["resource"], first["type"]) == ("kubernetes-admin", "deployments.apps", "PUT")
    revisions = [w["revision"] for w in rec.writes]
    assert revisions == sorted(revisions)


def test_the_recorder_stops_listening_when_closed():
    c, rec = record()
    n = len(rec.writes)
    c.scale("deployment", "api", 2)
    c.run(3)
    assert len(rec.writes) == n
    assert rec._on_request not in c.api.audit


def test_messages_follow_the_creation_relay_in_order():
    _, rec = record()
    msgs = rec.messages()
    texts = [(m["sender"], m["receiver"], m["text"]) for m in msgs]
    order = [next(i for i, (s, r, t) in enumerate(texts) if cond(s, r, t)) for cond in (
        lambda s, r, t: s == "kubectl" and t.startswith("create deployments"),
        lambda s, r, t: s == "controller-manager" and "create replicasets" in t,
        lambda s, r, t: s == "controller-manager" and "create pods" in t,
        lambda s, r, t: s == "scheduler" and "pods/binding" in t,
        lambda s, r, t: s == "kubelet" and r == "runtime" and t.startswith("RunPodSandbox"),
        lambda s, r, t: s == "kubelet" and r == "runtime" and t == "StartContainer api",
        lambda s, r, t: s == "kubelet" and r == "API server" and "Running" in t)]
    assert order == sorted(order)
    # every write is stored: an arrow to etcd follows each request to the API server
    to_api = [i for i, (s, r, _) in enumerate(texts) if r == "API server"]
    assert all(texts[i + 1][1] == "etcd" and texts[i + 1][2].startswith("PUT /registry/") for i in to_api)
    # the scheduler is notified of the pod it binds, the kubelet of the binding
    watch = [t for s, r, t in texts if s == "API server" and r in ("scheduler", "kubelet")]
    assert watch[0].startswith("watch: ADDED pod") and "(no node yet)" in watch[0]
    assert watch[1].startswith("watch: MODIFIED pod") and "(on node-" in watch[1]
    # no message for the kubelet's binding: the kubelet never binds
    assert not any(s == "kubelet" and "binding" in t for s, _, t in texts)


def test_status_updates_of_controllers_are_optional():
    _, rec = record()
    without = rec.messages()
    with_status = rec.messages(status=True)
    assert len(with_status) > len(without)
    assert any("deployments/status" in m["text"] for m in with_status)
    assert not any("deployments/status" in m["text"] for m in without)


def test_diagram_is_deterministic_and_summarised():
    _, a = record()
    _, b = record()
    da, db = sequence_diagram(a.messages()), sequence_diagram(b.messages())
    assert da.source == db.source
    assert da.svg == db.svg
    assert repr(da).startswith("<Diagram sequence: pod creation: ")
    assert "between kubectl, API server, etcd, controller-manager, scheduler, kubelet, runtime" in repr(da)
    for actor in ACTORS:
        assert f"<b>{actor}</b>" in da.source
    assert 'font-family="Courier,monospace"' in da.svg  # fixed-width: same layout in every browser


def test_diagram_drops_unknown_lanes_and_limits_rows():
    msgs = [{"time": 0.0, "sender": "kubectl", "receiver": "API server", "text": "create pods x"},
            {"time": 0.5, "sender": "kube-proxy", "receiver": "API server", "text": "watch"},
            {"time": 1.0, "sender": "API server", "receiver": "etcd", "text": "PUT x"}]
    d = sequence_diagram(msgs, limit=10)
    assert repr(d) == "<Diagram sequence: pod creation: 2 messages between kubectl, API server, etcd>"
    assert "kube-proxy" not in d.source
    assert "1. create pods x --&gt;" in d.source
    assert repr(sequence_diagram(msgs, limit=1)).count("1 message ") == 1
    frame = to_frame(msgs)
    assert list(frame.columns) == ["time", "from", "to", "message"] and len(frame) == 3


def test_frame_lists_the_fields_each_write_changed():
    _, rec = record()
    df = rec.frame(resources=("pods",))
    binding = df[df["request"] == "create pods/binding"].iloc[0]
    assert binding["who"] == "kube-scheduler"
    assert "spec.nodeName" in binding["fields changed"]
    running = df[df["fields changed"].str.contains("status.podIP")].iloc[0]
    assert running["who"].startswith("kubelet ")


def test_helpers():
    assert lane_of("system:node:node-2") == "kubelet"
    assert lane_of("system:kube-scheduler") == "scheduler"
    assert lane_of("system:serviceaccount:kube-system:job-controller") == "controller-manager"
    assert lane_of("jane") == "kubectl"
    assert changed_fields({"spec": {"a": 1}, "metadata": {"resourceVersion": "1"}},
                          {"spec": {"a": 2}, "metadata": {"resourceVersion": "2"}}) == ["spec.a"]
    assert changed_fields(None, {"kind": "Pod"}) == ["kind"]


def test_only_the_simulation_can_be_recorded():
    class Fake:
        api = object()
    with pytest.raises(SimulationOnly):
        FlowRecorder(Fake())
