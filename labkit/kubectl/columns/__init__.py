"""Server-side printing: the ``Table`` the API server returns for ``kubectl get``.

Since Kubernetes 1.11, kubectl asks the API server for ``Accept: application/json;as=Table``
and prints whatever columns come back. The server answers with column definitions (name, type,
``priority``: 0 for normal output, 1 for ``-o wide`` only) and one row of cells per object::

    {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
     "columnDefinitions": [{"name": "Name", "type": "string", "format": "name", ...}, ...],
     "rows": [{"cells": ["web-1", "1/1", "Running", "0", "5m"], "object": {...}}]}

:func:`to_table` builds exactly that from plain object dicts; labkit's HTTP server sends it to real
kubectl and :mod:`labkit.kubectl.printers` renders it, so both print the same columns.
The per-kind logic lives in :mod:`.pods`, :mod:`.workloads` and :mod:`.cluster`.
"""
from __future__ import annotations

from . import cluster, pods, workloads

_NAME_DOC = ("Name must be unique within a namespace. Is required when creating resources, although "
             "some resources may allow a client to request the generation of an appropriate name "
             "automatically. Name is primarily intended for creation idempotence and configuration "
             "definition. Cannot be updated. More info: "
             "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names")
_AGE_DOC = ("CreationTimestamp is a timestamp representing the server time when this object was "
            "created. It is not guaranteed to be set in happens-before order across separate "
            "operations. Clients may not set this value. It is represented in RFC3339 form and is "
            "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
            "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")

PRINTERS = {"Pod": (pods.COLUMNS, pods.row), **workloads.PRINTERS, **cluster.PRINTERS}


def printer_for(kind: str):
    """(column specs, row function) for a kind; the server's default table otherwise."""
    return PRINTERS.get(kind, (cluster.DEFAULT, cluster.default))


def column_definitions(kind: str, wide: bool = True) -> list[dict]:
    specs, _ = printer_for(kind)
    out = []
    for name, ctype, fmt, priority in specs:
        if priority and not wide:
            continue
        doc = _NAME_DOC if fmt == "name" else _AGE_DOC if name in ("Age", "Created At") else ""
        out.append({"name": name, "type": ctype, "format": fmt, "description": doc,
                    "priority": priority})
    return out


def cells(obj: dict, kind: str | None = None, now: float | None = None, wide: bool = True) -> list:
    """The row of one object (all columns when ``wide``, else priority 0 only)."""
    kind = kind or obj.get("kind", "")
    specs, fn = printer_for(kind)
    values = fn(obj, now)
    if wide:
        return values
    return [v for v, spec in zip(values, specs) if not spec[3]]


def to_table(objects, resource=None, now: float | None = None, wide: bool = True) -> dict:
    """A ``meta.k8s.io/v1`` Table for ``objects`` (dicts of one kind). ``resource`` is the
    :class:`~labkit.minicluster.resources.ResourceType` (or kind name); ``now`` the current
    (virtual) time in seconds, for AGE columns."""
    objects = list(objects)
    kind = getattr(resource, "kind", resource) or (objects[0].get("kind") if objects else "")
    rows = []
    for obj in objects:
        row = {"cells": cells(obj, kind, now, wide), "object": obj}
        if kind == "Pod":
            conditions = pods.row_conditions(obj)
            if conditions:
                row["conditions"] = conditions
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
            "columnDefinitions": column_definitions(kind, wide), "rows": rows}
