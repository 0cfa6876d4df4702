"""Event validation (labkit/minicluster/validation/events.py).

Upstream: pkg/apis/core/validation/events.go (v1.33) ValidateEventCreate / ValidateEventUpdate /
legacyValidateEvent / validateV1EventSeries, called by pkg/registry/core/event/strategy.go with
the request's group-version: core/v1 requests get the legacy checks only (with the controller
named ``reportingComponent``, kubernetes/kubernetes#111506), events.k8s.io/v1 requests the
strict ones. Field paths are those of the internal (core) Event.
"""
import pytest

from labkit.minicluster import errors
from labkit.minicluster.cluster import MiniCluster

EV1 = "events.events.k8s.io"
REGARDING = {"kind": "Pod", "name": "web", "namespace": "default"}
GOOD = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "web.1"},
        "eventTime": "2025-01-01T00:00:00.000000Z", "type": "Normal", "note": "hello",
        "action": "Binding", "reason": "Scheduled", "reportingController": "my-controller",
        "reportingInstance": "my-controller-1", "regarding": REGARDING}


@pytest.fixture()
def c():
    return MiniCluster(nodes=0, seed=1, scheduler=False, controllers=[])


def _error(fn, *args) -> errors.ApiError:
    with pytest.raises(errors.ApiError) as info:
        fn(*args)
    assert info.value.code == 422 and info.value.status["reason"] == "Invalid"
    return info.value


def _fields(e: errors.ApiError) -> list[tuple[str, str]]:
    return [(x["field"], x["message"]) for x in e.status["details"]["causes"]]


def test_events_k8s_io_create_requires_event_time_and_a_type(c):
    """ValidateEventCreate (strict): eventTime Required, type Normal/Warning; without eventTime
    the legacy namespace rule applies and the reporter fields are not required."""
    body = {"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "x.1"},
            "regarding": REGARDING}
    e = _error(c.api.create, EV1, body, "default")
    assert _fields(e) == [("eventTime", "Required value"),
                          ("type", 'Invalid value: "": has invalid value: ')]
    assert e.status["message"].endswith(
        '"x.1" is invalid: [eventTime: Required value, type: Invalid value: "": has invalid '
        'value: ]')


def test_events_k8s_io_create_new_style_rules_in_upstream_order(c):
    """legacyValidateEvent's new-style checks (lengths in bytes, at most 128 / 1024), then the
    strict ones: series, type, deprecated fields unset."""
    body = {**GOOD, "metadata": {"name": "x.2"}, "type": "Bad", "note": "é" * 513,
            "action": "a" * 129, "reason": "", "reportingController": "",
            "reportingInstance": "i" * 129, "deprecatedCount": 3,
            "deprecatedSource": {"component": "x"}, "deprecatedFirstTimestamp": "2025-01-01T00:00:00Z",
            "series": {"count": 1}}
    e = _error(c.api.create, EV1, body, "default")
    assert _fields(e) == [
        ("reportingController", "Required value"),
        ("reportingController", 'Invalid value: "": name part must be non-empty'),
        ("reportingController", 'Invalid value: "": name part must consist of alphanumeric '
         "characters, '-', '_' or '.', and must start and end with an alphanumeric character "
         "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
         "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"),
        ("reportingInstance", 'Invalid value: "": can have at most 128 characters'),
        ("action", 'Invalid value: "": can have at most 128 characters'),
        ("reason", "Required value"),
        ("message", 'Invalid value: "": can have at most 1024 characters'),
        ("series.count", 'Invalid value: "": should be at least 2'),
        ("series.lastObservedTime", "Required value"),
        ("type", 'Invalid value: "": has invalid value: Bad'),
        ("firstTimestamp", 'Invalid value: "": needs to be unset'),
        ("count", 'Invalid value: "": needs to be unset'),
        ("source", 'Invalid value: "": needs to be unset')]


def test_events_k8s_io_names_must_be_dns_subdomains_core_names_need_not(c):
    """Strict ValidateObjectMeta(NameIsDNSSubdomain) for events.k8s.io; a core/v1 Event only
    passes the registry's generic path-segment name check."""
    e = _error(c.api.create, EV1, {**GOOD, "metadata": {"name": "Web_1"}}, "default")
    assert _fields(e)[0][0] == "metadata.name"
    made = c.api.create("events", {"apiVersion": "v1", "kind": "Event",
                                   "metadata": {"name": "Web_1"}, "involvedObject": REGARDING,
                                   "reason": "Started", "message": "m"}, "default")
    assert made["metadata"]["name"] == "Web_1"


def test_core_event_with_event_time_names_reporting_component(c):
    """Through core/v1 the legacy new-style rules apply to any Event with eventTime, and the
    error names the core/v1 field reportingComponent."""
    body = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "x.3"},
            "eventTime": "2025-01-01T00:00:00.000000Z", "involvedObject": REGARDING}
    e = _error(c.api.create, "events", body, "default")
    assert [f for f, _ in _fields(e)] == ["reportingComponent", "reportingComponent",
                                          "reportingComponent", "reportingInstance", "action",
                                          "reason"]
    assert e.status["message"].startswith('Event "x.3" is invalid: [reportingComponent: Required value')


def test_core_event_namespace_must_match_the_involved_object(c):
    """legacyValidateEvent: an old-style Event lives in its object's namespace; a cluster-scoped
    object's events go to default (or nowhere); a new-style one may be in kube-system too."""
    body = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "x.4"},
            "involvedObject": {"kind": "Pod", "name": "x", "namespace": "other"}}
    e = _error(c.api.create, "events", body, "default")
    assert _fields(e) == [("involvedObject.namespace",
                           'Invalid value: "other": does not match event.namespace')]
    node = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "n.1"},
            "involvedObject": {"kind": "Node", "name": "node-1"}}
    assert c.api.create("events", node, "default")
    e = _error(c.api.create, "events", {**node, "metadata": {"name": "n.2"}}, "kube-system")
    assert _fields(e)[0][0] == "involvedObject.namespace"
    new_style = {**GOOD, "metadata": {"name": "n.3"}, "regarding": {"kind": "Node", "name": "n"}}
    assert c.api.create(EV1, new_style, "kube-system")


def test_events_k8s_io_update_only_series_and_metadata_change(c):
    """ValidateEventUpdate: every other field is immutable; the value printed is the new one,
    as Go prints it (strings quoted, structs with %#v, times with time.Time.String)."""
    c.api.create(EV1, GOOD, "default")
    cases = [({"note": "changed"}, "message", 'Invalid value: "changed": field is immutable'),
             ({"regarding": {"name": "y"}}, "involvedObject",
              'Invalid value: core.ObjectReference{Kind:"Pod", Namespace:"default", Name:"y", '
              'UID:"", APIVersion:"", ResourceVersion:"", FieldPath:""}: field is immutable'),
             ({"deprecatedSource": {"component": "z"}}, "source",
              'Invalid value: core.EventSource{Component:"z", Host:""}: field is immutable'),
             ({"eventTime": "2025-01-01T00:00:01.500000Z"}, "eventTime",
              "Invalid value: 2025-01-01 00:00:01.5 +0000 UTC: field is immutable"),
             ({"reportingController": "other"}, "reportingController",
              'Invalid value: "other": field is immutable'),
             ({"action": "Other"}, "action", 'Invalid value: "Other": field is immutable'),
             ({"series": {"count": 1}}, "series.count", 'Invalid value: "": should be at least 2')]
    for patch, field, message in cases:
        e = _error(c.api.patch, EV1, "web.1", patch, "merge", "default")
        assert _fields(e)[0] == (field, message), patch
    ok = c.api.patch(EV1, "web.1", {"series": {"count": 2, "lastObservedTime":
                                                "2025-01-01T00:00:05.000000Z"},
                                    "metadata": {"labels": {"a": "b"}}}, "merge", "default")
    assert ok["series"]["count"] == 2 and ok["metadata"]["labels"] == {"a": "b"}


def test_core_v1_updates_keep_the_legacy_rules_only(c):
    """Through core/v1 an Event's fields may change (backwards compatibility), as long as the
    legacy rules still hold."""
    c.api.create(EV1, GOOD, "default")
    changed = c.api.patch("events", "web.1", {"message": "edited", "count": 4}, "merge", "default")
    assert changed["message"] == "edited" and changed["count"] == 4
    e = _error(c.api.patch, "events", "web.1", {"action": ""}, "merge", "default")
    assert _fields(e) == [("action", "Required value")]


def test_the_components_events_pass_validation():
    """kubelet, controllers (core/v1, legacy recorder) and the scheduler (events.k8s.io/v1, with
    a series PATCH) all write valid Events."""
    c = MiniCluster(nodes=1, seed=3)
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big", "namespace": "default"},
             "spec": {"containers": [{"name": "c", "image": "nginx",
                                      "resources": {"requests": {"cpu": "64"}}}]}})
    c.apply({"apiVersion": "apps/v1", "kind": "Deployment",
             "metadata": {"name": "web", "namespace": "default"},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
    c.settle()
    c.run(60)
    reasons = {e["reason"] for e in c.api.list("events", "default")["items"]}
    assert {"Scheduled", "ScalingReplicaSet", "SuccessfulCreate", "Pulled", "Started",
            "FailedScheduling"} <= reasons
    failed = [e for e in c.api.list(EV1, "default")["items"] if e["reason"] == "FailedScheduling"]
    assert failed and failed[0]["reportingController"] == "default-scheduler"
