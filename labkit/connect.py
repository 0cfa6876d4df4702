"""``labkit.connect()``: one function, two kinds of cluster.

    c = labkit.connect()                      # the in-memory cluster (default)
    c = labkit.connect("kind")                # a kind cluster: kubeconfig context "kind-kind"
    c = labkit.connect(kubeconfig="~/.kube/config", context="prod")

``LABKIT_CLUSTER`` chooses without touching notebook code: ``mini`` (default), ``kind``,
``kind:NAME``, or ``kubeconfig`` (the current context of ``$KUBECONFIG``). The same notebook
code then runs on either backend.
"""
from __future__ import annotations

import os

_current = None


def connect(target: str | None = None, *, kubeconfig: str | None = None, context: str | None = None,
            nodes=3, seed: int | None = None, new: bool = False, **options):
    """Return the cluster for ``target``; the in-memory one is created once and reused
    (``new=True`` makes a fresh one)."""
    global _current
    if kubeconfig or context:
        target = "kubeconfig"
    target = target or os.environ.get("LABKIT_CLUSTER", "mini")
    if target == "mini":
        from labkit.minicluster.cluster import MiniCluster
        if _current is None or new or not isinstance(_current, MiniCluster) or seed is not None:
            seed_value = int(os.environ.get("LABKIT_SEED", "0")) if seed is None else seed
            _current = MiniCluster(nodes=nodes, seed=seed_value, **options)
    else:
        from labkit.backends.real import RealCluster
        if target.startswith("kind"):
            name = target.partition(":")[2] or "kind"
            context = context or f"kind-{name}"
        elif target != "kubeconfig":
            raise ValueError(f"unknown cluster {target!r}: use 'mini', 'kind', 'kind:NAME' or "
                             "connect(kubeconfig=..., context=...)")
        _current = RealCluster(kubeconfig=kubeconfig, context=context)
    try:
        from labkit import ipython
        ipython.install()
    except Exception:  # noqa: BLE001 - never let notebook sugar break connecting
        pass
    return _current


def current():
    """The cluster last returned by :func:`connect` (connecting to the default if none)."""
    return _current if _current is not None else connect()
