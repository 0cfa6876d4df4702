"""An in-memory Kubernetes cluster: deterministic, instant, faithful.

One module per Kubernetes component: ``store`` (etcd), ``apiserver``, ``scheduler``,
``controllers``, ``kubelet``, ``network``. ``MiniCluster`` in ``cluster`` wires them together.
"""
