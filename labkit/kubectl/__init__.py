"""labkit's kubectl: the real kubectl's commands and output, in Python.

    from labkit.kubectl import run
    run(cluster, "get pods -o wide")          # a Result: .stdout, .stderr, .returncode

It works against anything implementing :class:`~labkit.kubectl.backend.KubectlBackend` (the
in-memory cluster or a real one) and prints byte for byte what kubectl v1.37 prints: tables
(:mod:`.printers`, :mod:`.columns`), ``describe`` pages (:mod:`.describe`), and the messages of
every command (:mod:`.commands`).
"""
from .backend import KubectlBackend, KubectlError
from .commands import Result, run

__all__ = ["run", "Result", "KubectlBackend", "KubectlError"]
