"""RealCluster: labkit's cluster API over a real Kubernetes cluster (kind, or any kubeconfig).

It offers the same methods as the in-memory :class:`~labkit.minicluster.cluster.MiniCluster`
(``apply``, ``get``, ``list``, ``delete``, ``scale``, ``rollout``, ``logs``, ``events``,
``kubectl``, ``wait_for``) through the official ``kubernetes`` client. Powers that only a
simulation has - stepping virtual time, failing a node, time travel - raise
:class:`~labkit.client.SimulationOnly`, except ``run(seconds)`` and ``settle()``, which simply
wait in real time (a real cluster moves on its own).
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

from labkit.client import ClusterClient, SimulationOnly

from .restapi import RestApi


class RealCluster(ClusterClient):
    """A real cluster behind a kubeconfig context."""

    backend = "real"

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 namespace: str | None = None):
        from labkit._kube import kubernetes_module
        kubernetes_module()
        from kubernetes import client, config
        self.kubeconfig, self.context = kubeconfig, context
        cfg = client.Configuration()
        config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=cfg)
        self.api_client = client.ApiClient(cfg)
        self.api = RestApi(self.api_client)
        if namespace:
            self.default_namespace = namespace
        else:
            try:
                _, active = config.list_kube_config_contexts(config_file=kubeconfig)
                if context:
                    contexts, _ = config.list_kube_config_contexts(config_file=kubeconfig)
                    active = next((c for c in contexts if c["name"] == context), active)
                self.default_namespace = (active.get("context") or {}).get("namespace") or "default"
            except Exception:  # noqa: BLE001 - a kubeconfig without contexts list
                self.default_namespace = "default"

    def now(self) -> float:
        return datetime.now(timezone.utc).timestamp()

    def logs(self, pod: str, container: str | None = None, namespace: str | None = None,
             previous: bool = False, tail: int | None = None, timestamps: bool = False) -> str:
        return self.api.logs(pod, namespace or self.default_namespace, container, previous, tail,
                             timestamps)

    def exec(self, pod: str, command, container: str | None = None, namespace: str | None = None,
             stdin: str | None = None):
        """Run a command in a pod's container (``kubectl exec``): an ExecResult."""
        import shlex
        from labkit.client import ExecResult
        argv = shlex.split(command) if isinstance(command, str) else [str(a) for a in command]
        code, out, err = self.api.exec(pod, namespace or self.default_namespace, argv, container,
                                       stdin or None)
        return ExecResult(code, out, err)

    # -- what a simulation can do and reality cannot -----------------------------------------
    def run(self, seconds: float = 0):
        """Wait ``seconds`` of real time: a real cluster advances by itself."""
        time.sleep(seconds)
        return self

    def settle(self, max_seconds: float = 30) -> bool:
        """No way to know a real cluster is 'quiet': wait briefly and return False."""
        time.sleep(min(max_seconds, 1.0))
        return False

    def fail_node(self, name: str):
        raise SimulationOnly("fail_node()")

    def recover_node(self, name: str):
        raise SimulationOnly("recover_node()")

    def kill_pod(self, name: str, namespace: str | None = None):
        """On a real cluster: force-delete the pod (its controller replaces it)."""
        return self.delete("pods", name, namespace, grace_period=0)

    def snapshot(self, path=None):
        raise SimulationOnly("snapshot()")

    def serve(self, *args, **kwargs):
        raise SimulationOnly("serve()")

    def __repr__(self):
        return f"<RealCluster context={self.context or 'current'}>"
