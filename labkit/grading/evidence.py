"""Evidence: what a check looks at, in a form that can be written down and read back.

A check never looks at the live notebook directly. It looks at *evidence*: the student's
answers and (for cluster checks) the list of objects in the cluster, serialized to JSON. The
student's own ``check(...)`` call and the instructor's grader both evaluate the same function on
the same kind of evidence, so they cannot disagree.

* :func:`encode` / :func:`decode`: answers to JSON and back (tuples, sets, non-string dict keys,
  numpy numbers, pandas frames survive the round trip; anything else becomes an
  :class:`Unserializable` placeholder holding its ``repr``).
* :class:`ObjectsView`: read-only ``get``/``list`` over a recorded list of Kubernetes objects,
  the same two calls a check could make on a live cluster.
* :func:`read_record`: the evidence file written while a notebook runs in grading mode (JSON
  lines), read tolerantly: a line cut short by a killed kernel, or garbage, is skipped.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

#: The grader refuses evidence files above this size (a hostile notebook could write gigabytes).
MAX_RECORD_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Unserializable:
    """Stands for an answer that could not be recorded (e.g. an open file): checks see this."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<unrecordable {self.type_name}: {self.text}>"


def encode(value, _depth: int = 0):
    """A JSON-compatible form of ``value`` that :func:`decode` turns back into it."""
    if _depth > 50:
        return {"__repr__": "...", "__type__": "nested too deeply"}
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    d = _depth + 1
    if isinstance(value, list):
        return [encode(v, d) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, d) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"__set__": sorted((encode(v, d) for v in value), key=repr)}
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in value):
            return {k: encode(v, d) for k, v in value.items()}
        return {"__dict__": [[encode(k, d), encode(v, d)] for k, v in value.items()]}
    module = type(value).__module__ or ""
    if module.startswith("pandas"):
        return _encode_pandas(value)
    if module.startswith("numpy"):
        if hasattr(value, "tolist"):
            return encode(value.tolist(), d)
    if hasattr(value, "__float__") and type(value).__name__ in ("Decimal", "Fraction"):
        return float(value)
    text = repr(value)
    return {"__repr__": text[:500], "__type__": type(value).__name__}


def _encode_pandas(value):
    import pandas as pd
    if isinstance(value, pd.DataFrame):
        return {"__frame__": json.loads(value.to_json(orient="split", date_format="iso"))}
    if isinstance(value, pd.Series):
        return {"__series__": json.loads(value.to_json(orient="split", date_format="iso"))}
    return {"__repr__": repr(value)[:500], "__type__": type(value).__name__}


def decode(data):
    """Inverse of :func:`encode`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1:
        (tag, inner), = data.items()
        if tag == "__tuple__":
            return tuple(decode(v) for v in inner)
        if tag == "__set__":
            items = [decode(v) for v in inner]
            try:
                return set(items)
            except TypeError:
                return items
        if tag == "__dict__":
            return {_hashable(decode(k)): decode(v) for k, v in inner}
        if tag == "__float__":
            return float(inner)
        if tag in ("__frame__", "__series__"):
            return _decode_pandas(tag, inner)
    if set(data) == {"__repr__", "__type__"}:
        return Unserializable(str(data["__type__"]), str(data["__repr__"]))
    return {k: decode(v) for k, v in data.items()}


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def _decode_pandas(tag, inner):
    import pandas as pd
    if tag == "__frame__":
        return pd.DataFrame(inner["data"], index=inner["index"], columns=inner["columns"])
    return pd.Series(inner["data"], index=inner["index"], name=inner.get("name"))


# -- cluster objects ---------------------------------------------------------------------------
def _kind_of(name: str) -> tuple[str, bool | None]:
    """(Kind, namespaced) for what a user types: ``deploy``, ``deployments``, ``Deployment``.
    Unknown names (custom resources) are taken as a Kind spelled as given."""
    try:
        from labkit.minicluster.resources import REGISTRY
        rt = REGISTRY.for_name(name)
        return rt.kind, rt.namespaced
    except Exception:  # noqa: BLE001 - an unknown kind is simply matched by its spelling
        return name, None


class ObjectsView:
    """Read-only ``get`` / ``list`` over a recorded list of Kubernetes objects (plain dicts).

    The grader's stand-in for the live cluster: built from ``cluster.export_objects()``
    recorded while the notebook ran. Differences from the live cluster, on purpose: ``get``
    returns ``None`` for a missing object instead of raising NotFound (checks read better), and
    objects are sorted by namespace and name.
    """

    def __init__(self, objects):
        self._by_kind: dict[str, list] = {}
        for obj in objects or ():
            if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
                self._by_kind.setdefault(str(obj.get("kind", "")).lower(), []).append(obj)
        for items in self._by_kind.values():
            items.sort(key=lambda o: (o["metadata"].get("namespace") or "",
                                      str(o["metadata"].get("name", ""))))

    def _items(self, kind: str) -> tuple[list, bool | None]:
        k, namespaced = _kind_of(kind)
        return self._by_kind.get(k.lower(), []), namespaced

    def get(self, kind: str, name: str, namespace: str | None = "default") -> dict | None:
        """The object of ``kind`` named ``name`` (``namespace`` is ignored for cluster-scoped
        kinds such as nodes), or ``None``."""
        items, namespaced = self._items(kind)
        for obj in items:
            m = obj["metadata"]
            if m.get("name") != name:
                continue
            if namespaced is False or namespace is None or m.get("namespace", "default") == namespace:
                return obj
        return None

    def list(self, kind: str, namespace: str | None = None, label_selector=None) -> list[dict]:
        """Objects of ``kind`` (all namespaces when ``namespace`` is None), optionally filtered
        by a label selector: ``"app=web,tier!=db"`` or ``{"app": "web"}``."""
        items, _ = self._items(kind)
        if namespace is not None:
            items = [o for o in items if o["metadata"].get("namespace") == namespace]
        if label_selector:
            match = _selector(label_selector)
            items = [o for o in items if match(o["metadata"].get("labels") or {})]
        return list(items)

    def exists(self, kind: str, name: str, namespace: str | None = "default") -> bool:
        return self.get(kind, name, namespace) is not None

    def kinds(self) -> list[str]:
        return sorted({items[0].get("kind", "") for items in self._by_kind.values()})

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_kind.values())

    def __repr__(self) -> str:
        return f"<ObjectsView: {len(self)} objects>"


def _selector(sel):
    if isinstance(sel, dict):
        return lambda labels: all(labels.get(k) == v for k, v in sel.items())
    from labkit.minicluster.selectors import parse_label_selector
    return parse_label_selector(str(sel)).matches


def export_cluster(cluster, kinds=None) -> list[dict]:
    """The objects a check needs from a live cluster: every object (``export_objects()``), or
    only the given kinds, listed across all namespaces (cheap on a 150k-pod cluster when the
    check wants Deployments; works on a real cluster too)."""
    if kinds is not None and hasattr(cluster, "list"):
        out = []
        for kind in kinds:
            for obj in cluster.list(kind, all_namespaces=True):
                if "kind" not in obj:  # list items carry no kind, as in the real API
                    obj = {**obj, "kind": _kind_of(kind)[0]}
                out.append(obj)
        return out
    objects = cluster.export_objects()
    if kinds is None:
        return objects
    wanted = {_kind_of(k)[0].lower() for k in kinds}
    return [o for o in objects if str(o.get("kind", "")).lower() in wanted]


# -- the evidence file -------------------------------------------------------------------------
def read_record(path) -> tuple[list[dict], int]:
    """The JSON-lines records of an evidence file and the number of unreadable lines."""
    import os
    if not os.path.exists(path):
        return [], 0
    if os.path.getsize(path) > MAX_RECORD_BYTES:
        raise ValueError(f"the evidence file is larger than {MAX_RECORD_BYTES >> 20} MB")
    records, bad = [], 0
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if isinstance(rec, dict) and isinstance(rec.get("type"), str):
                records.append(rec)
            else:
                bad += 1
    return records, bad
