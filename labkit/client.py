"""The cluster API that notebooks use, shared by the in-memory and the real backend.

:class:`ClusterClient` needs only ``self.api`` (an object with the API server's methods: the
mini cluster's :class:`~labkit.minicluster.apiserver.APIServer`, or
:class:`~labkit.backends.restapi.RestApi` for a real cluster) plus ``now()`` and ``logs()``.
Everything here therefore behaves the same on both: ``apply``, ``get``, ``list``, ``delete``,
``scale``, ``rollout``, ``logs``, ``events`` and ``kubectl("...")``.
"""
from __future__ import annotations

import os
import time

from labkit.kubectl.commands import TerminalOutput
from labkit.minicluster import errors
from labkit.minicluster.objects import clone


class SimulationOnly(RuntimeError):
    """A power only the in-memory cluster has (stepping time, failing nodes...)."""

    def __init__(self, what: str):
        super().__init__(f"{what} is only available on the in-memory cluster "
                         "(labkit.connect('mini')); on a real cluster it cannot be simulated")


class ExecResult(TerminalOutput):
    """What ``cluster.exec(...)`` returns: the command's ``exit_code``, ``stdout`` and ``stderr``
    (apart, as ``kubectl exec`` without ``-t`` receives them). Shows like a terminal."""

    __slots__ = ("exit_code", "stdout", "stderr")

    def __init__(self, exit_code: int, stdout: str = "", stderr: str = ""):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def __eq__(self, other):
        return isinstance(other, ExecResult) and \
            (self.exit_code, self.stdout, self.stderr) == (other.exit_code, other.stdout, other.stderr)


class ClusterClient:
    """Backend-independent operations. Subclasses provide ``api``, ``now()`` and ``logs()``."""

    default_namespace = "default"

    # -- reading ----------------------------------------------------------------------------
    def get(self, kind: str, name: str | None = None, namespace: str | None = None,
            label_selector: str | None = None, all_namespaces: bool = False):
        """One object (a dict) when ``name`` is given; otherwise a pandas DataFrame with the
        columns ``kubectl get`` prints."""
        if name is not None:
            return self.api.get(kind, name, self._ns(kind, namespace))
        from labkit.kubectl import printers
        items = self.list(kind, namespace, label_selector, all_namespaces=all_namespaces)
        rt = self.api.resource(kind)
        return printers.to_frame(items, rt, now=self.now(), all_namespaces=all_namespaces)

    def list(self, kind: str, namespace: str | None = None, label_selector=None,
             field_selector: str | None = None, all_namespaces: bool = False) -> list[dict]:
        """Objects of a kind (dicts), in one namespace or all of them."""
        ns = None if all_namespaces else self._ns(kind, namespace)
        return self.api.list(kind, ns, label_selector, field_selector)["items"]

    def exists(self, kind: str, name: str, namespace: str | None = None) -> bool:
        try:
            self.api.get(kind, name, self._ns(kind, namespace))
            return True
        except errors.ApiError as e:
            if e.code == 404:
                return False
            raise

    def events(self, namespace: str | None = None, for_object: str | None = None,
               all_namespaces: bool = False):
        """Events as a DataFrame sorted by time (``for_object`` like ``"pod/web-1"``)."""
        import pandas as pd
        items = self.list("events", namespace, all_namespaces=all_namespaces)
        if for_object:
            kind, _, name = for_object.partition("/")
            kind = self.api.resource(kind).kind
            items = [e for e in items if e["involvedObject"].get("kind") == kind
                     and e["involvedObject"].get("name") == name]
        from labkit.minicluster.clock import parse_rfc3339
        from labkit.minicluster.events import first_seen, last_seen, occurrences, reporter
        rows = [{"time": last_seen(e), "first": first_seen(e), "type": e.get("type"),
                 "reason": e.get("reason"),
                 "object": f'{e["involvedObject"].get("kind", "").lower()}/{e["involvedObject"].get("name")}',
                 "message": e.get("message"), "count": occurrences(e), "source": reporter(e),
                 "namespace": e["metadata"].get("namespace")}
                for e in items]
        # legacy events have whole seconds, new-API ones microseconds: order by the instant
        rows.sort(key=lambda r: (parse_rfc3339(r["first"]) if r["first"] else 0.0,
                                 parse_rfc3339(r["time"]) if r["time"] else 0.0))
        return pd.DataFrame(rows, columns=["time", "first", "type", "reason", "object", "message",
                                           "count", "source", "namespace"])

    # -- writing ----------------------------------------------------------------------------
    def apply(self, source, namespace: str | None = None):
        """Apply manifests like ``kubectl apply -f``: YAML text (multi-document), a dict, a list
        of dicts, or a path to a file or a directory. Returns a result that prints kubectl's
        lines (``deployment.apps/web created``); errors are reported per document, never raised,
        so one bad document does not stop the others."""
        from labkit.kubectl import apply as kapply
        with self._locked():
            result = kapply.apply_source(self._kubectl_backend(), source, namespace)
            self._after_write()
        return result

    def create(self, obj: dict, namespace: str | None = None) -> dict:
        with self._locked():
            out = self.api.create(obj.get("kind", "") and self._kind_of(obj), obj,
                                  namespace or obj.get("metadata", {}).get("namespace"))
            self._after_write()
        return out

    def delete(self, kind: str, name: str, namespace: str | None = None,
               cascade: str = "background", grace_period: int | None = None):
        """Delete like ``kubectl delete`` (``cascade``: background, foreground or orphan)."""
        policy = {"background": "Background", "foreground": "Foreground", "orphan": "Orphan"}[cascade]
        with self._locked():
            out = self.api.delete(kind, name, self._ns(kind, namespace), propagation_policy=policy,
                                  grace_period_seconds=grace_period)
            self._after_write()
        return out

    def patch(self, kind: str, name: str, patch, patch_type: str = "strategic",
              namespace: str | None = None) -> dict:
        with self._locked():
            out = self.api.patch(kind, name, patch, patch_type, self._ns(kind, namespace))
            self._after_write()
        return out

    def scale(self, kind: str, name: str, replicas: int, namespace: str | None = None) -> dict:
        """Set ``spec.replicas`` (what ``kubectl scale`` does through the scale subresource)."""
        return self.patch(kind, name, {"spec": {"replicas": int(replicas)}}, "merge", namespace)

    def label(self, kind: str, name: str, namespace: str | None = None, **labels) -> dict:
        return self.patch(kind, name, {"metadata": {"labels": labels}}, "merge", namespace)

    # -- kubectl ----------------------------------------------------------------------------
    def kubectl(self, args: str, stdin: str | None = None):
        """Run a kubectl command line against this cluster; returns a result that prints like
        a terminal (``.stdout``, ``.stderr``, ``.returncode``). ``stdin`` is what ``-f -`` and
        ``exec -i`` read."""
        from labkit.kubectl import commands
        with self._locked():
            result = commands.run(self._kubectl_backend(), args, stdin)
            self._after_write()
        return result

    def rollout(self, action: str, name: str, kind: str = "deployment",
                namespace: str | None = None, to_revision: int | None = None):
        """``kubectl rollout ACTION KIND/NAME``: status, history, undo, pause, resume, restart."""
        extra = f" --to-revision={int(to_revision)}" if to_revision is not None else ""
        ns = self._ns(kind, namespace)
        return self.kubectl(f"rollout {action} {kind}/{name} -n {ns}{extra}")

    # -- waiting ----------------------------------------------------------------------------
    def wait_for(self, predicate, timeout: float = 300, step: float = 1.0,
                 message: str | None = None):
        """Poll ``predicate(self)`` (real time on a real cluster) until truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(message or f"condition not met within {timeout:g}s")
            time.sleep(step)

    # -- hooks for subclasses ---------------------------------------------------------------
    def _ns(self, kind, namespace):
        rt = self.api.resource(kind)
        return (namespace or self.default_namespace) if rt.namespaced else None

    def _kind_of(self, obj):
        return self.api.registry.for_kind(obj.get("apiVersion", ""), obj.get("kind", ""))

    def _locked(self):
        import contextlib
        return contextlib.nullcontext()

    def _after_write(self) -> None:
        """The mini cluster settles here; a real cluster needs nothing."""

    def _kubectl_backend(self):
        return self


def read_source(source) -> str | dict | list:
    """Turn apply's ``source`` into text or objects: a path (file or directory) is read."""
    if isinstance(source, (dict, list)):
        return source
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                           and os.path.exists(source)):
        path = os.fspath(source)
        if os.path.isdir(path):
            parts = []
            for fn in sorted(os.listdir(path)):
                if fn.endswith((".yaml", ".yml", ".json")):
                    with open(os.path.join(path, fn)) as f:
                        parts.append(f.read())
            return "\n---\n".join(parts)
        with open(path) as f:
            return f.read()
    return source


__all__ = ["ClusterClient", "SimulationOnly", "read_source", "clone"]
