"""The REST server under load: real ``kubectl get pods`` latency and official-client request rates.

Setup: a MiniCluster with 10 nodes running a 1,000-replica Deployment (1,000 running pods),
served over HTTPS in ``manual`` time mode (no clock ticks during the measurement).

- **kubectl get pods**: wall time of the real kubectl subprocess (process start, discovery from
  its cache after the first run, one LIST answered as a server-side Table, printing). Median of
  several runs.
- **GET rps**: ``read_namespaced_pod`` of one pod in a loop, one client thread (the official
  client builds its model objects, as a notebook would).
- **LIST rps**: ``list_namespaced_pod`` of all 1,000 pods, raw JSON (``_preload_content=False``
  then ``json.loads``): the server's cost plus transport, without the client's slow model
  building; and the same with models, for comparison.

Run: ``python -m benchmarks http`` (or ``--quick``: 200 pods, fewer repetitions).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
import time


def _cluster(pods: int):
    from labkit.minicluster.cluster import MiniCluster
    nodes = max(2, -(-pods // 100))
    c = MiniCluster(nodes=nodes, events=False)
    c.apply(f"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: load}}
spec:
  replicas: {pods}
  selector: {{matchLabels: {{app: load}}}}
  template:
    metadata: {{labels: {{app: load}}}}
    spec:
      containers: [{{name: c, image: "nginx:1.25"}}]
""")
    c.settle(max_seconds=600)
    return c


def _rate(fn, seconds: float) -> float:
    """Calls per second of ``fn`` over about ``seconds`` of wall time."""
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def run(quick: bool = False) -> dict:
    from kubernetes import client, config

    from labkit._tools import kubectl_path
    pods = 200 if quick else 1000
    t0 = time.perf_counter()
    cluster = _cluster(pods)
    setup = time.perf_counter() - t0
    running = sum(1 for p in cluster.api.list("pods", "default")["items"]
                  if p["status"].get("phase") == "Running")
    handle = cluster.serve(time_mode="manual")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            kc = os.path.join(tmp, "config")
            handle.write_kubeconfig(kc)
            env = dict(os.environ, KUBECONFIG=kc, KUBECACHEDIR=os.path.join(tmp, "cache"))
            times, lines = [], 0
            for _ in range(3 if quick else 7):
                start = time.perf_counter()
                r = subprocess.run([kubectl_path(), "get", "pods"], env=env, capture_output=True,
                                   text=True, timeout=120, check=True)
                times.append(time.perf_counter() - start)
                lines = len(r.stdout.splitlines()) - 1
            v1 = client.CoreV1Api(config.new_client_from_config(kc))
            name = cluster.api.list("pods", "default", limit=1)["items"][0]["metadata"]["name"]
            span = 1.0 if quick else 3.0
            get_rps = _rate(lambda: v1.read_namespaced_pod(name, "default"), span)

            def list_raw():
                resp = v1.list_namespaced_pod("default", _preload_content=False)
                return json.loads(resp.data)

            list_raw_rps = _rate(list_raw, span)
            list_model_rps = _rate(lambda: v1.list_namespaced_pod("default"), span)
    finally:
        handle.stop()
    return {"pods": pods, "running": running, "setup_seconds": round(setup, 2),
            "kubectl_get_pods_rows": lines,
            "kubectl_get_pods_first_seconds": round(times[0], 3),
            "kubectl_get_pods_median_seconds": round(statistics.median(times[1:]), 3),
            "client_get_pod_per_second": round(get_rps, 1),
            f"client_list_{pods}_pods_raw_per_second": round(list_raw_rps, 2),
            f"client_list_{pods}_pods_models_per_second": round(list_model_rps, 2)}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
