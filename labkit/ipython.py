"""Notebook conveniences: ``%kubectl`` / ``%%apply`` magics and friendly API errors.

Loaded by ``%load_ext labkit`` (or automatically by :func:`labkit.connect` inside IPython):

    %kubectl get pods -o wide          # runs against the current cluster
    %%apply                            # the cell body is YAML, applied like kubectl apply -f -
    apiVersion: v1
    kind: Pod
    ...

A Kubernetes error raised in a cell (say, a 409 Conflict) is shown the way kubectl prints it,
``Error from server (Conflict): ...``, instead of a Python traceback: students see what a real
cluster would have told them.
"""
from __future__ import annotations

from labkit.minicluster.errors import ApiError


def _current():
    from labkit.connect import current
    return current()


def kubectl_magic(line):
    return _current().kubectl(line)


def apply_magic(line, cell):
    namespace = line.strip() or None
    return _current().apply(cell, namespace=namespace)


def _show_api_error(shell, etype, evalue, tb, tb_offset=None):
    """Print ApiErrors like kubectl, without a traceback."""
    import sys
    print(evalue.kubectl_message(), file=sys.stderr)
    return None


def load_ipython_extension(ipython) -> None:
    ipython.register_magic_function(kubectl_magic, "line", "kubectl")
    ipython.register_magic_function(apply_magic, "cell", "apply")
    ipython.set_custom_exc((ApiError,), _show_api_error)


def install() -> bool:
    """Load the extension into the running IPython, if any. Returns True when loaded."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    ip = get_ipython()
    if ip is None:
        return False
    load_ipython_extension(ip)
    return True
