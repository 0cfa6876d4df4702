"""Hypothesis fuzzing of the API server with malformed objects.

Whatever a student sends, the answer is a Kubernetes-style error (an ApiError with a Status
body and an HTTP code), never an uncaught Python exception, and the store stays consistent:
every stored object decodes and carries its system fields.
"""
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labkit.minicluster.apiserver import APIServer
from labkit.minicluster.clock import EventLoop
from labkit.minicluster.errors import ApiError
from labkit.minicluster.objects import loads
from labkit.minicluster.store import Store

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=8),
                    st.sampled_from(["nginx", "web", "", "-bad-", "Always", "100m", "1Gi", "app"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["name", "image", "containers", "spec", "metadata", "labels", "replicas", "selector",
         "matchLabels", "template", "ports", "containerPort", "resources", "requests", "cpu"]),
        inner, max_size=4)), max_leaves=12)

KINDS = [("v1", "Pod", "pods"), ("apps/v1", "Deployment", "deployments"),
         ("v1", "ConfigMap", "configmaps"), ("v1", "Service", "services"),
         ("batch/v1", "Job", "jobs"), ("apps/v1", "ReplicaSet", "replicasets")]


def fresh_api():
    loop = EventLoop()
    api = APIServer(Store(), loop.clock, random.Random(0))
    api.create("namespaces", {"metadata": {"name": "default"}})
    return api


def assert_consistent(api):
    for key in api.store.keys("/registry/"):
        obj = loads(api.store.get(key).value)
        assert obj["metadata"]["name"] and obj["metadata"]["uid"], key
        assert obj["kind"] and obj["apiVersion"], key


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), spec=values, meta=values, extra=values)
def test_malformed_objects_get_kubernetes_errors(kind, spec, meta, extra):
    api = fresh_api()
    api_version, k, plural = kind
    obj = {"apiVersion": api_version, "kind": k, "metadata": meta, "spec": spec, "x": extra}
    if isinstance(meta, dict) and "name" not in meta:
        meta["name"] = "fuzz"
    for attempt in (lambda: api.create(plural, obj),
                    lambda: api.patch(plural, "fuzz", spec, "strategic"),
                    lambda: api.patch(plural, "fuzz", extra, "json"),
                    lambda: api.update(plural, obj)):
        try:
            attempt()
        except ApiError as e:
            assert e.status["kind"] == "Status" and 400 <= e.code < 600
            assert isinstance(e.message, str) and e.message
    assert_consistent(api)
