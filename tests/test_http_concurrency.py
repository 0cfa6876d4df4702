"""Concurrent clients over HTTP: optimistic concurrency and watch ordering.

Several threads of the official ``kubernetes`` client increment one ConfigMap with
read-modify-write (``replace`` carries the resourceVersion it read). The API server must
refuse every stale write with 409 Conflict (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions),
so no increment is lost; and a watch opened before the writers start must deliver every
change exactly once, in resourceVersion order (the watch cache's guarantee).
(``test_http_server.py::test_conflicting_updates_lose_nothing`` checks the final count only.)
"""
import json
import threading

import pytest
from kubernetes import client, config, watch

from labkit.minicluster.cluster import MiniCluster

THREADS, EACH = 4, 15


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    cluster = MiniCluster(nodes=0, scheduler=False, controllers=[])
    handle = cluster.serve(time_mode="manual")
    path = tmp_path_factory.mktemp("kube") / "config"
    handle.write_kubeconfig(path)
    yield client.CoreV1Api(config.new_client_from_config(str(path)))
    handle.stop()


def test_a_stale_write_is_409_with_the_upstream_message(v1):
    v1.create_namespaced_config_map("default", {"metadata": {"name": "stale"}, "data": {"n": "0"}})
    mine = v1.read_namespaced_config_map("stale", "default")
    v1.patch_namespaced_config_map("stale", "default", {"data": {"n": "1"}})
    mine.data["n"] = "2"
    with pytest.raises(client.ApiException) as e:
        v1.replace_namespaced_config_map("stale", "default", mine)
    status = json.loads(e.value.body)
    assert e.value.status == 409 and status["reason"] == "Conflict"
    assert status["message"] == ('Operation cannot be fulfilled on configmaps "stale": the object has '
                                 'been modified; please apply your changes to the latest version and '
                                 'try again')
    assert status["details"] == {"name": "stale", "kind": "configmaps"}
    assert v1.read_namespaced_config_map("stale", "default").data == {"n": "1"}


def test_concurrent_increments_lose_nothing_and_the_watch_sees_each_once_in_order(v1):
    v1.create_namespaced_config_map("default", {"metadata": {"name": "counter"}, "data": {"n": "0"}})
    start_rv = v1.read_namespaced_config_map("counter", "default").metadata.resource_version
    seen, conflicts = [], []
    total = THREADS * EACH
    watching = threading.Event()

    def watcher():
        w = watch.Watch()
        watching.set()
        for ev in w.stream(v1.list_namespaced_config_map, "default", resource_version=start_rv,
                           field_selector="metadata.name=counter", timeout_seconds=60):
            seen.append((ev["type"], int(ev["object"].metadata.resource_version),
                         int(ev["object"].data["n"])))
            if int(ev["object"].data["n"]) == total:
                w.stop()

    barrier = threading.Barrier(THREADS)

    def worker():
        first = True
        for _ in range(EACH):
            while True:
                cm = v1.read_namespaced_config_map("counter", "default")
                cm.data["n"] = str(int(cm.data["n"]) + 1)
                if first:  # all threads hold the same version: one write wins, the rest 409
                    barrier.wait(30)
                    first = False
                try:
                    v1.replace_namespaced_config_map("counter", "default", cm)
                    break
                except client.ApiException as e:
                    assert e.status == 409
                    conflicts.append(1)

    w = threading.Thread(target=watcher)
    w.start()
    watching.wait(10)
    workers = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(120)
    w.join(60)
    assert v1.read_namespaced_config_map("counter", "default").data["n"] == str(total)
    assert [s[0] for s in seen] == ["MODIFIED"] * total
    assert [s[2] for s in seen] == list(range(1, total + 1))  # each value once, in order
    rvs = [s[1] for s in seen]
    assert rvs == sorted(set(rvs)) and rvs[0] > int(start_rv)
    assert len(conflicts) >= THREADS - 1  # the first round alone has THREADS - 1 losers
