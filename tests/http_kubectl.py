"""Shared helpers for the tests that run the real ``kubectl`` binary against a served MiniCluster.

``served(tmp_path_factory)`` starts a 2-node cluster whose virtual clock begins at the current
wall-clock second (kubectl computes ages from the local clock) and serves it in ``settle``
mode: every write is followed by the cluster running until quiet, so a rollout has finished
when the command that started it returns.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass

import pytest

from labkit._tools import kubectl_path
from labkit.minicluster.cluster import MiniCluster


@dataclass
class Served:
    cluster: MiniCluster
    handle: object

    def kubectl(self, *args, input=None, check=True, timeout=60, env=None):
        """Run kubectl; raise with its stderr unless it succeeded (or ``check=False``)."""
        full_env = dict(os.environ, KUBECONFIG=self.handle.kubeconfig_path, **(env or {}))
        r = subprocess.run([kubectl_path(), *args], env=full_env, input=input, capture_output=True,
                           text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({r.returncode}): {r.stderr}")
        return r

    def stop(self):
        self.handle.stop()


def served(tmp_path_factory, nodes: int = 2, time_mode: str = "settle") -> Served:
    cluster = MiniCluster(nodes=nodes, start=float(int(time.time())))
    handle = cluster.serve(time_mode=time_mode)
    handle.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
    return Served(cluster, handle)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A served 2-node cluster shared by a test module (import this fixture to use it)."""
    s = served(tmp_path_factory)
    yield s
    s.stop()


def deployment(name: str, image: str = "nginx:1.25", replicas: int = 2,
               api_version: str = "apps/v1") -> str:
    return f"""apiVersion: {api_version}
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: {name}
        image: {image}
        ports: [{{containerPort: 80}}]
"""
