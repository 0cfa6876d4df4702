"""Who writes Events, and how (labkit/minicluster/events.py, conversion.py).

Upstream: client-go tools/record (EventRecorder, EventCorrelator: repeated events are patched
with a higher ``count``), cmd/kube-scheduler (events as ``system:kube-scheduler``,
reportingController ``default-scheduler``), cmd/kube-controller-manager (one event broadcaster
on the controller manager's own client, ``system:kube-controller-manager``, even with
--use-service-account-credentials), pkg/kubelet (``system:node:<name>``, source host) and
plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go (eventsRule: create, update, patch).
kube-scheduler records with the events.k8s.io recorder (client-go tools/events,
event_recorder.go makeEvent, event_broadcaster.go recordToSink/finishSeries), served through
both APIs from one storage (pkg/apis/events/v1/conversion.go).
"""
import os
import shlex
import subprocess
import time

import pytest
import yaml

from labkit._tools import kubectl_path
from labkit.minicluster.cluster import MiniCluster
from labkit.minicluster.conversion import core_to_events_v1, events_v1_to_core
from labkit.minicluster.events import EventRecorder, identity
from labkit.minicluster.resources import REGISTRY
from test_kubectl_oracle import OPENAPI_STUB_WARNING, catch_up, same


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
    assert scheduled["source"] == {}  # the new recorder: no source, see below
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


# -- the scheduler's events.k8s.io recorder ---------------------------------------------------------

def _pod(name="p", **spec):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "nginx"}], **spec}}


def test_scheduler_event_read_through_core_v1():
    """schedule_one.go: Eventf(assumedPod, nil, Normal, "Scheduled", "Binding", ...) through
    tools/events: eventTime (MicroTime), reportingController default-scheduler, reportingInstance
    "<controller>-<hostname>", action; in core/v1 an empty source, null first/lastTimestamp, no
    count (pkg/apis/events/v1/conversion.go)."""
    c, writes = _cluster_with_audit()
    c.apply(_pod())
    c.settle()
    (ev,) = _events(c, "Scheduled")
    assert ev["action"] == "Binding" and ev["type"] == "Normal"
    assert ev["eventTime"] == "2025-01-01T00:00:00.000000Z"
    assert ev["reportingComponent"] == "default-scheduler"
    assert ev["reportingInstance"] == "default-scheduler-control-plane"
    assert ev["source"] == {} and ev["firstTimestamp"] is None and ev["lastTimestamp"] is None
    assert "count" not in ev and "series" not in ev and "related" not in ev
    assert ev["involvedObject"]["kind"] == "Pod" and ev["involvedObject"]["name"] == "p"
    assert ev["message"] == "Successfully assigned default/p to node-1"
    assert ev["metadata"]["name"].startswith("p.")
    # a legacy (kubelet) event next to it keeps the tools/record shape
    (pulled,) = _events(c, "Pulled")
    assert pulled["eventTime"] is None and pulled["count"] == 1 and pulled["firstTimestamp"]
    # the scheduler wrote through events.k8s.io as system:kube-scheduler
    assert ("system:kube-scheduler", "create") in writes


def test_the_same_event_through_events_k8s_io_v1():
    """Both APIs serve the same stored objects; events.k8s.io/v1 renames the fields
    (regarding, note, reportingController, deprecatedSource/FirstTimestamp/LastTimestamp/Count)."""
    c = MiniCluster(nodes=1, seed=3)
    c.apply(_pod())
    c.settle()
    core = {e["metadata"]["name"]: e for e in c.api.list("events", "default")["items"]}
    new = {e["metadata"]["name"]: e for e in c.api.list("events.events.k8s.io", "default")["items"]}
    assert core.keys() == new.keys()
    sched = next(e for e in new.values() if e["reason"] == "Scheduled")
    assert sched["apiVersion"] == "events.k8s.io/v1"
    assert sched["regarding"]["name"] == "p" and sched["note"].startswith("Successfully assigned")
    assert sched["reportingController"] == "default-scheduler"
    assert sched["deprecatedSource"] == {} and sched["deprecatedFirstTimestamp"] is None
    assert "deprecatedCount" not in sched and "involvedObject" not in sched
    pulled = next(e for e in new.values() if e["reason"] == "Pulled")
    assert pulled["eventTime"] is None and pulled["deprecatedCount"] == 1
    assert pulled["deprecatedSource"] == {"component": "kubelet", "host": "node-1"}
    for name, e in core.items():
        assert events_v1_to_core(core_to_events_v1(e)) == e
        assert c.api.get("events.events.k8s.io", name, "default") == new[name]
    # one key space: deleting through one API removes it from the other
    c.api.delete("events.events.k8s.io", sched["metadata"]["name"], "default")
    assert sched["metadata"]["name"] not in {e["metadata"]["name"] for e in
                                             c.api.list("events", "default")["items"]}


def test_create_through_events_k8s_io_and_watch_both_views():
    c = MiniCluster(nodes=0, seed=1, scheduler=False, controllers=[])
    seen = {"core": [], "v1": []}
    c.api.watch("events", lambda t, o: seen["core"].append((t, o["apiVersion"])), "default")
    c.api.watch("events.events.k8s.io", lambda t, o: seen["v1"].append((t, o["apiVersion"])),
                "default")
    made = c.api.create("events.events.k8s.io", {
        "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "x.1"},
        "eventTime": "2025-01-01T00:00:00.000000Z", "reportingController": "me",
        "reportingInstance": "me-1", "action": "Doing", "reason": "Done", "type": "Normal",
        "note": "hello", "regarding": {"kind": "Pod", "name": "x", "namespace": "default"}},
        "default")
    assert made["apiVersion"] == "events.k8s.io/v1" and made["note"] == "hello"
    core = c.api.get("events", "x.1", "default")
    assert core["message"] == "hello" and core["reportingComponent"] == "me"
    assert core["involvedObject"]["name"] == "x" and core["source"] == {}
    patched = c.api.patch("events.events.k8s.io", "x.1", {"series": {
        "count": 2, "lastObservedTime": "2025-01-01T00:00:01.000000Z"}}, "strategic", "default")
    assert patched["series"]["count"] == 2
    assert c.api.get("events", "x.1", "default")["series"]["count"] == 2
    assert seen["core"] == [("ADDED", "v1"), ("MODIFIED", "v1")]
    assert seen["v1"] == [("ADDED", "events.k8s.io/v1"), ("MODIFIED", "events.k8s.io/v1")]


def test_isomorphic_events_become_a_series():
    """event_broadcaster.go recordToSink: the first repeat PATCHes series {count: 2}; later ones
    only count in the recorder's cache; finishSeries (every 6 min) writes the final count once
    the series saw no repeat for 6 minutes. The note is not part of the key (getKey)."""
    c, writes = _cluster_with_audit()
    pod = c.api.create("pods", _pod("q", nodeName="node-1"), "default")
    rec = EventRecorder(c.api, c.loop)
    writes.clear()
    for i in range(4):
        rec.eventf(pod, None, "Warning", "FailedScheduling", "Scheduling", f"try {i}",
                   "default-scheduler", "default-scheduler-control-plane")
        c.run(10)
    (ev,) = [e for e in _events(c, "FailedScheduling") if e["involvedObject"]["name"] == "q"]
    assert ev["message"] == "try 0"
    assert ev["series"] == {"count": 2, "lastObservedTime": "2025-01-01T00:00:10.000000Z"}
    mine = lambda: [w for w in writes if w[0] == "system:kube-scheduler"]  # noqa: E731
    assert mine() == [("system:kube-scheduler", "create"), ("system:kube-scheduler", "patch")]
    c.run(13 * 60)  # the 6-minute ticks: the series is over, its final count is written
    (ev,) = [e for e in _events(c, "FailedScheduling") if e["involvedObject"]["name"] == "q"]
    assert ev["series"] == {"count": 4, "lastObservedTime": "2025-01-01T00:00:30.000000Z"}
    assert len(mine()) == 3 and not rec._series
    # the series is over: the same event again starts a new Event
    rec.eventf(pod, None, "Warning", "FailedScheduling", "Scheduling", "again",
               "default-scheduler", "default-scheduler-control-plane")
    assert len([e for e in _events(c, "FailedScheduling")
                if e["involvedObject"]["name"] == "q"]) == 2


def test_preempted_event_names_the_preemptor_as_related():
    """preemption.go: Eventf(victim, preemptor, Normal, "Preempted", "Preempting",
    "Preempted by pod <uid> on node <node>")."""
    c = MiniCluster(nodes=1, seed=2, node_cpu="1")
    c.apply({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
             "metadata": {"name": "high"}, "value": 1000})
    c.apply(_pod("low", containers=[{"name": "c", "image": "nginx",
                                     "resources": {"requests": {"cpu": "800m"}}}]))
    c.settle()
    c.apply(_pod("high", priorityClassName="high",
                 containers=[{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "800m"}}}]))
    c.settle()
    (ev,) = _events(c, "Preempted")
    high = c.api.get("pods", "high", "default")
    assert ev["action"] == "Preempting" and ev["involvedObject"]["name"] == "low"
    assert ev["related"]["name"] == "high" and ev["related"]["uid"] == high["metadata"]["uid"]
    assert ev["message"] == f"Preempted by pod {high['metadata']['uid']} on node node-1"


def test_readers_cope_with_both_shapes():
    """printEvent: LAST SEEN from eventTime when lastTimestamp is unset, SOURCE from
    reportingComponent/reportingInstance; DescribeEvents: From falls back to
    reportingController; the client's DataFrame has the scheduler's events too."""
    c = MiniCluster(nodes=1, seed=3)
    c.apply(_pod())
    c.settle()
    c.run(120)
    wide = c.kubectl("get events -o wide").stdout
    line = next(l for l in wide.splitlines() if "Scheduled" in l)
    assert line.startswith("2m") and "default-scheduler, default-scheduler-control-plane" in line
    described = c.kubectl("describe pod p").stdout
    assert "Normal  Scheduled  2m3s  default-scheduler  Successfully assigned default/p to node-1" \
        in described
    df = c.events()
    row = df[df.reason == "Scheduled"].iloc[0]
    assert row["source"] == "default-scheduler" and row["count"] == 1
    assert row["first"] == "2025-01-01T00:00:00.000000Z"
    assert list(df.reason[:2]) == ["Scheduled", "Pulling"]


# -- against the real kubectl ---------------------------------------------------------------------

def _oracle_events(c):
    """A pod with a new-API singleton, a new-API series with a related object, and legacy ones."""
    api, now = c.api, c.now()
    pod = api.create("pods", _pod("web", nodeName="node-1"), "default")
    rec = EventRecorder(api, c.loop)
    rec.eventf(pod, None, "Normal", "Scheduled", "Binding", "Successfully assigned default/web to node-1",
               "default-scheduler", "default-scheduler-control-plane")
    c.run(30)
    rec.record(pod, "Normal", "Pulled", 'Container image "nginx" already present on machine',
               "kubelet", host="node-1", field_path="spec.containers{c}")
    for _ in range(3):
        rec.record(pod, "Warning", "BackOff", "Back-off restarting failed container c", "kubelet",
                   host="node-1", field_path="spec.containers{c}")
        rec.eventf(pod, pod, "Warning", "FailedScheduling", "Scheduling", "0/1 nodes are available",
                   "default-scheduler", "default-scheduler-control-plane")
        c.run(45)
    return now


def _real_kubectl(served, kubeconfig, line):
    """The real kubectl against ``served``, once its virtual clock has caught up with the wall
    clock (real kubectl measures ages against it)."""
    with served.lock:
        catch_up(served)
    r = subprocess.run([kubectl_path(), *shlex.split(line)], capture_output=True, text=True,
                       env={**os.environ, "KUBECONFIG": str(kubeconfig)}, timeout=60)
    return r.stdout, "".join(x for x in r.stderr.splitlines(True)
                             if not x.startswith(OPENAPI_STUB_WARNING)), r.returncode


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    """(real kubectl on served cluster A, cluster B for labkit's kubectl): the same events."""
    start = float(int(time.time())) - 1830
    served, ours = (MiniCluster(nodes=0, scheduler=False, controllers=[], start=start, seed=7)
                    for _ in range(2))
    for c in (served, ours):
        _oracle_events(c)
    handle = served.serve(time_mode="manual")
    kubeconfig = tmp_path_factory.mktemp("kube") / "config"
    handle.write_kubeconfig(kubeconfig)
    yield (lambda line, stdin=None: _real_kubectl(served, kubeconfig, line)), ours
    handle.stop()


@pytest.mark.parametrize("line", ["describe pod web", "get events", "get events -o wide", "events",
                                  "events --for pod/web --types=Warning",
                                  "get events.events.k8s.io", "get events --sort-by=.eventTime",
                                  "get events --sort-by=.lastTimestamp", "get events -o yaml",
                                  "get events.events.k8s.io -o yaml", "get events -A"])
def test_event_views_match_real_kubectl(oracle, line):
    """kubectl's printEvent (server-side table), DescribeEvents and `kubectl events` over events
    of both recorders, against the real kubectl v1.37 on the served cluster."""
    same(oracle, line)


@pytest.mark.parametrize("line", ["get ev", "get ev -o name", "describe ev", "get ev/nope ev/gone",
                                  "get ev,ev --no-headers", "get ev.events.k8s.io", "get event"])
def test_ambiguous_short_name_warning_matches_real_kubectl(oracle, line):
    """client-go restmapper/shortcut.go expandResourceShortcut: ``ev`` is a short name of both
    events and events.events.k8s.io; kubectl takes the core one and prints (stderr, once per
    command) ``Warning: short name "ev" could also match lower priority resource
    events.events.k8s.io``; a full name or a group-qualified one resolves without a warning."""
    same(oracle, line)


@pytest.mark.parametrize("line", ["get EV", "get PODS", "get Pod", "get POD", "get Deploy",
                                  "get DEPLOYMENTS", "get Events.events.k8s.io", "get PO"])
def test_resource_name_case_matches_real_kubectl(oracle, line):
    """Short names are expanded as typed (shortcut.go compares them case-sensitively), then
    DefaultRESTMapper lower-cases the resource and matches plural and singular names: ``PODS``
    and ``POD`` work, ``EV``, ``PO`` and ``Deploy`` are unknown resource types."""
    same(oracle, line)


def test_ambiguous_short_name_warning_in_labkit_kubectl():
    c = MiniCluster(nodes=0, seed=1, scheduler=False, controllers=[])
    warning = ('Warning: short name "ev" could also match lower priority resource '
               'events.events.k8s.io\n')
    r = c.kubectl("get ev")
    assert r.stderr == warning + "No resources found in default namespace.\n" and r.returncode == 0
    assert c.kubectl("get ev/a ev/b").stderr.count("Warning:") == 1
    for line in ("get events", "get event", "get ev.events.k8s.io", "get po"):
        assert "Warning" not in c.kubectl(line).stderr, line


def test_yaml_of_a_scheduler_event_through_real_kubectl(oracle):
    real, _ = oracle
    out, _, code = real("get events -o yaml")
    assert code == 0
    items = yaml.safe_load(out)["items"]
    sched = next(e for e in items if e["reason"] == "Scheduled")
    assert sched["source"] == {} and sched["firstTimestamp"] is None and "count" not in sched
    assert sched["reportingComponent"] == "default-scheduler" and sched["action"] == "Binding"
    series = next(e for e in items if e["reason"] == "FailedScheduling")
    # by now (30 minutes on) finishSeries has written the final count
    assert series["series"]["count"] == 3 and series["related"]["name"] == "web"


# -- the event TTL (--event-ttl, a lease attached at every write) ----------------------------------

def _names(c):
    return sorted(e["metadata"]["name"] for e in c.api.list("events", "default")["items"])


def test_event_ttl_runs_from_the_last_write():
    """pkg/registry/core/event/storage/storage.go: TTLFunc returns --event-ttl (1 h) for every
    write, create and update, so etcd's lease restarts: an event updated at 50 min still
    exists at 1 h 30 min and is gone 1 h after that update; one never updated goes at 1 h."""
    c = MiniCluster(nodes=0, seed=1, scheduler=False, controllers=[])
    for name in ("a", "b"):
        c.api.create("events", {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
                                "involvedObject": {"kind": "Pod", "name": "x",
                                                   "namespace": "default"},
                                "reason": "Started", "message": "m", "count": 1}, "default")
    c.run(50 * 60)
    c.api.patch("events", "a", {"count": 2}, "merge", "default")
    assert c.recorder.ttl.expires_at("default", "a") == c.now() + 3600
    c.run(10 * 60)
    assert _names(c) == ["a"]  # b: one hour after its only write
    c.run(30 * 60)  # t = 1 h 30 min
    assert _names(c) == ["a"]
    c.run(20 * 60 - 1)
    assert _names(c) == ["a"]
    c.run(1)  # t = 50 min + 1 h
    assert _names(c) == [] and c.recorder.ttl.deadlines == {}


def test_a_repeating_legacy_event_lives_while_it_repeats():
    """The recorder's count PATCHes renew the lease; once the event is gone (1 h after the last
    repeat) the next occurrence starts a new Event with count 1 (EventCorrelator after a 404)."""
    c = MiniCluster(nodes=0, seed=1, scheduler=False, controllers=[])
    pod = c.api.create("pods", _pod("w", nodeName="node-1"), "default")
    rec = c.recorder
    for _ in range(5):  # every 40 minutes: longer than an hour in all
        rec.record(pod, "Warning", "BackOff", "Back-off restarting failed container", "kubelet",
                   host="node-1")
        c.run(40 * 60)
    (ev,) = _events(c, "BackOff")
    assert ev["count"] == 5 and ev["firstTimestamp"] == "2025-01-01T00:00:00Z"
    c.run(20 * 60)  # an hour after the fifth write
    assert _events(c, "BackOff") == []
    rec.record(pod, "Warning", "BackOff", "Back-off restarting failed container", "kubelet",
               host="node-1")
    (fresh,) = _events(c, "BackOff")
    assert fresh["count"] == 1 and fresh["metadata"]["name"] != ev["metadata"]["name"]


def test_a_series_patch_renews_the_lease_of_a_new_api_event():
    """The scheduler's series PATCH (events.k8s.io) is a write like any other."""
    c = MiniCluster(nodes=0, seed=1, scheduler=False, controllers=[])
    pod = c.api.create("pods", _pod("q", nodeName="node-1"), "default")
    rec = c.recorder
    rec.eventf(pod, None, "Warning", "FailedScheduling", "Scheduling", "no", "default-scheduler",
               "default-scheduler-control-plane")
    c.run(50 * 60)
    rec.eventf(pod, None, "Warning", "FailedScheduling", "Scheduling", "no", "default-scheduler",
               "default-scheduler-control-plane")
    evs = _events(c, "FailedScheduling")
    assert len(evs) == 2  # the first one's series had ended (6 min without a repeat): a new one
    c.api.patch("events.events.k8s.io", evs[0]["metadata"]["name"], {"series": {
        "count": 2, "lastObservedTime": "2025-01-01T00:50:00.000000Z"}}, "strategic", "default")
    c.run(30 * 60)  # 1 h 20 min: both still there (the first renewed at 50 min)
    assert len(_events(c, "FailedScheduling")) == 2
    c.run(40 * 60)
    assert _events(c, "FailedScheduling") == []
