"""The scale benchmark's figures: a small run (the real 150k-pod run is ``python -m benchmarks
scale``, not a test), checking what the figures mean rather than how fast they are."""
from benchmarks.bench_cluster import _component, scale, time_by_component
from labkit.minicluster.clock import EventLoop
from labkit.minicluster.controllers.base import WorkQueue


def test_small_scale_run_reports_every_pod_running_and_attributes_its_cpu():
    figures = scale(nodes=20, pods=200, per_deployment=100)
    assert figures["pods Running"] == 200
    # four writes per pod at least: the ReplicaSet's create, the binding, two kubelet statuses
    assert figures["API requests per pod"] >= 4
    split = figures["CPU per pod by driving component (ms)"]
    assert {"Kubelet", "Scheduler", "controller replicaset-controller"} <= set(split)
    assert sum(split.values()) * 200 / 1000 <= figures["CPU time (s)"] + 0.1


def test_callbacks_are_attributed_to_the_component_that_owns_them():
    loop = EventLoop()
    totals = time_by_component(loop)

    class Scheduler:
        def step(self):
            sum(range(1000))

    class Controller:
        name = "replicaset-controller"

        def reconcile(self, key):
            pass

    def tick():
        pass

    loop.call_soon(Scheduler().step)
    WorkQueue(loop, Controller().reconcile).add("default/web")
    loop.call_soon(tick)
    loop.run_pending()
    assert set(totals) == {"Scheduler", "controller replicaset-controller", "test_callbacks_are_attributed_to_the_component_that_owns_them"}
    assert all(t >= 0 for t in totals.values())
    assert _component(tick) == "test_callbacks_are_attributed_to_the_component_that_owns_them"
