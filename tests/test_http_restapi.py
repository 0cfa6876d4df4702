"""RestApi (labkit.backends.restapi): the APIServer interface over HTTPS, checked against the
served MiniCluster. Watch semantics follow APIServer.watch: refused watches raise at once,
``cancel()`` stops callbacks, an ERROR event (410 Gone for a compacted resourceVersion,
https://kubernetes.io/docs/reference/using-api/api-concepts/#410-gone-responses) ends the
stream."""
import time

import pytest

from labkit.backends.real import RealCluster
from labkit.minicluster import errors
from labkit.minicluster.cluster import MiniCluster


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    mini = MiniCluster(nodes=1, start=float(int(time.time())))
    handle = mini.serve(time_mode="manual")
    path = tmp_path_factory.mktemp("kube") / "config"
    handle.write_kubeconfig(path)
    yield mini, RealCluster(kubeconfig=str(path))
    handle.stop()


def cm(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}


def wait_until(pred, seconds=10):
    deadline = time.monotonic() + seconds
    while not pred():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.02)


def test_watch_delivers_typed_events_and_cancel_stops_them(pair):
    _, rc = pair
    rv = rc.api.list("configmaps", "default")["metadata"]["resourceVersion"]
    seen = []
    cancel = rc.api.watch("configmaps", lambda t, o: seen.append((t, o["kind"], o["metadata"]["name"])),
                          namespace="default", resource_version=rv)
    rc.create(cm("w1"))
    rc.delete("configmap", "w1")
    wait_until(lambda: len(seen) == 2)
    assert seen == [("ADDED", "ConfigMap", "w1"), ("DELETED", "ConfigMap", "w1")]
    cancel()
    rc.create(cm("w2"))
    time.sleep(0.3)
    assert len(seen) == 2  # nothing after cancel()


def test_refused_watches_raise_and_gone_ends_the_stream(pair):
    mini, rc = pair
    with pytest.raises(errors.ApiError) as e:
        rc.api.watch("pods", lambda *a: None, namespace="default", field_selector="spec.nope=1")
    assert e.value.code == 400
    with mini.lock:
        mini.store.compact()
        old = mini.store.compacted - 1
    seen = []
    cancel = rc.api.watch("configmaps", lambda t, o: seen.append(t), namespace="default",
                          resource_version=str(old))
    rc.create(cm("after-gone"))
    time.sleep(0.3)
    cancel()
    assert seen == []


def test_server_side_apply_over_the_official_client(pair):
    """RestApi sends fieldManager/force as query parameters and the manifest as
    application/apply-patch+yaml (the official client serializes it as JSON, YAML's subset)."""
    _, rc = pair
    body = dict(cm("ssa-py"), data={"k": "1"})
    made = rc.api.patch("configmaps", "ssa-py", body, "apply", "default", field_manager="py")
    assert made["data"] == {"k": "1"}
    assert [m["manager"] for m in made["metadata"]["managedFields"]] == ["py"]
    rc.api.patch("configmaps", "ssa-py", {"data": {"k": "2"}}, "merge", "default", field_manager="other")
    with pytest.raises(errors.ApiError) as e:
        rc.api.patch("configmaps", "ssa-py", body, "apply", "default", field_manager="py")
    assert (e.value.code, e.value.message) == (
        409, 'Apply failed with 1 conflict: conflict with "other" using v1: .data.k')
    forced = rc.api.patch("configmaps", "ssa-py", body, "apply", "default", field_manager="py", force=True)
    assert forced["data"] == {"k": "1"}
