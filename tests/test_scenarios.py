"""The shared scenario suite (``tests/scenarios.py``) on every backend.

- ``mini``: the in-memory MiniCluster, called directly (virtual time);
- ``http``: :class:`~labkit.backends.real.RealCluster` - the official ``kubernetes`` client over
  HTTPS - against a MiniCluster's own REST server (``cluster.serve(time_mode="realtime")``, the
  virtual clock following the wall clock ``SPEED`` times faster), so the RealCluster code path
  that a kind cluster exercises is tested on every run;
- ``external``: only when ``LABKIT_SCENARIO_CLUSTER`` names a real cluster (``kind``,
  ``kind:NAME`` or ``kubeconfig``, as for ``labkit.connect``): each scenario then runs in a
  fresh namespace of that cluster, deleted afterwards.
"""
import os
import time
import uuid

import pytest

import scenarios
from labkit.backends.real import RealCluster
from labkit.minicluster.cluster import MiniCluster

#: virtual seconds per wall-clock second on the served cluster (rollouts take a few virtual
#: seconds; the RealCluster polls in real time)
SPEED = 8

BACKENDS = ["mini", "http"] + (["external"] if os.environ.get("LABKIT_SCENARIO_CLUSTER") else [])


@pytest.fixture(params=BACKENDS)
def backend(request, tmp_path):
    kind = request.param
    if kind == "mini":
        yield MiniCluster(nodes=2), "default"
    elif kind == "http":
        mini = MiniCluster(nodes=2, start=float(int(time.time())))
        handle = mini.serve(time_mode="realtime", speed=SPEED)
        try:
            handle.write_kubeconfig(tmp_path / "config")
            yield RealCluster(kubeconfig=str(tmp_path / "config")), "default"
        finally:
            handle.stop()
    else:
        import labkit
        c = labkit.connect(os.environ["LABKIT_SCENARIO_CLUSTER"])
        ns = f"labkit-scn-{uuid.uuid4().hex[:8]}"
        c.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        try:
            yield c, ns
        finally:
            c.delete("namespace", ns)


@pytest.mark.parametrize("scenario", scenarios.SCENARIOS, ids=lambda f: f.__name__)
def test_scenario(scenario, backend):
    cluster, namespace = backend
    scenario(cluster, namespace)
