"""Label and field selectors: how clients (and controllers) pick objects out of a list.

Label selectors come in two spellings:
- the string form kubectl's ``-l`` takes: ``app=web,tier!=db``, ``env in (prod,staging)``,
  ``!canary``, ``release`` (equality-based and set-based requirements, all ANDed);
- the structured ``LabelSelector`` of manifests: ``{"matchLabels": {...},
  "matchExpressions": [{"key": ..., "operator": "In"|"NotIn"|"Exists"|"DoesNotExist",
  "values": [...]}]}``.
Both compile to the same :class:`Selector`. Field selectors (``status.phase=Running``,
``spec.nodeName=node-1``, ``metadata.name!=x``) support ``=``, ``==`` and ``!=`` on the few fields
each kind allows (k8s.io/apimachinery/pkg/labels, pkg/fields; pkg/registry/*/strategy.go).
"""
from __future__ import annotations

import re

from . import errors

_IN_RE = re.compile(r"^\s*(!?)\s*([^\s!=<>()]+)\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")


class Selector:
    """A conjunction of label requirements ``(key, op, values)``; ``op`` is one of
    ``=``, ``!=``, ``in``, ``notin``, ``exists``, ``!``, ``gt``, ``lt``."""

    __slots__ = ("reqs",)

    def __init__(self, reqs=()):
        self.reqs = tuple(reqs)

    def empty(self) -> bool:
        return not self.reqs

    def matches(self, labels: dict | None) -> bool:
        labels = labels or {}
        for key, op, values in self.reqs:
            has = key in labels
            v = labels.get(key)
            if op == "=":
                if not has or v != values[0]:
                    return False
            elif op == "!=":
                if has and v == values[0]:
                    return False
            elif op == "in":
                if not has or v not in values:
                    return False
            elif op == "notin":
                if has and v in values:
                    return False
            elif op == "exists":
                if not has:
                    return False
            elif op == "!":
                if has:
                    return False
            elif op in ("gt", "lt"):
                try:
                    n = int(v)
                except (TypeError, ValueError):
                    return False
                if (op == "gt" and not n > int(values[0])) or (op == "lt" and not n < int(values[0])):
                    return False
        return True

    def __str__(self) -> str:
        out = []
        for key, op, values in self.reqs:
            if op in ("=", "!="):
                out.append(f"{key}{op}{values[0]}")
            elif op in ("in", "notin"):
                out.append(f"{key} {op} ({','.join(values)})")
            elif op == "exists":
                out.append(key)
            elif op == "!":
                out.append(f"!{key}")
            else:
                out.append(f"{key} {op} {values[0]}")
        return ",".join(out)


_EVERYTHING = Selector()
_NOTHING = Selector([("", "in", ())])


def _split_top(s: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def parse_label_selector(text: str | None) -> Selector:
    """Parse kubectl's ``-l`` syntax. Raises 400 BadRequest on a syntax error."""
    if not text or not text.strip():
        return _EVERYTHING
    reqs = []
    for part in _split_top(text):
        m = re.match(r"^([^\s!=]+)\s*(==|=|!=)\s*([^\s]*)$", part)
        if m:
            key, op, val = m.groups()
            reqs.append((key, "!=" if op == "!=" else "=", (val,)))
            continue
        m = _IN_RE.match(part)
        if m:
            neg, key, op, vals = m.groups()
            if op:
                if neg:
                    raise errors.bad_request(f"unable to parse requirement: {part}")
                reqs.append((key, op, tuple(v.strip() for v in vals.split(",") if v.strip())))
            else:
                reqs.append((key, "!" if neg else "exists", ()))
            continue
        raise errors.bad_request(f'unable to parse requirement: found \'{part}\', expected: identifier')
    return Selector(reqs)


def from_label_selector(sel: dict | None) -> Selector:
    """Compile a structured ``LabelSelector``. ``None`` selects nothing; ``{}`` selects everything
    (the convention of metav1.LabelSelectorAsSelector)."""
    if sel is None:
        return _NOTHING
    reqs = [(k, "=", (v,)) for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or ():
        op = e.get("operator")
        vals = tuple(e.get("values") or ())
        reqs.append((e.get("key", ""), {"In": "in", "NotIn": "notin", "Exists": "exists",
                                        "DoesNotExist": "!", "Gt": "gt", "Lt": "lt"}.get(op, "in"), vals))
    return Selector(reqs)


def selector_from_map(labels: dict | None) -> Selector:
    """A Service's or ReplicationController's plain map selector; empty map selects nothing
    for Services (handled by the caller) and everything here."""
    return Selector([(k, "=", (v,)) for k, v in sorted((labels or {}).items())])


# -- field selectors ---------------------------------------------------------------------------
def _get_path(obj: dict, path: str):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


#: Fields each kind may be filtered on beyond metadata.name / metadata.namespace.
FIELD_LABELS = {
    "Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
            "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
    "Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
              "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
              "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"},
    "Node": {"spec.unschedulable"},
    "Namespace": {"status.phase"},
    "Secret": {"type"},
    "ReplicaSet": {"status.replicas"},
    "Job": {"status.successful"},
}


class FieldSelector:
    __slots__ = ("reqs",)

    def __init__(self, reqs=()):
        self.reqs = tuple(reqs)

    def empty(self) -> bool:
        return not self.reqs

    def matches(self, obj: dict) -> bool:
        for path, op, value in self.reqs:
            v = _get_path(obj, path)
            if path == "source" and isinstance(v, dict):
                v = v.get("component")
            v = "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
            if (op == "=") != (v == value):
                return False
        return True


def parse_field_selector(text: str | None, kind: str) -> FieldSelector:
    """Parse ``status.phase=Running,spec.nodeName!=n1``. Unknown fields → 400 as upstream:
    ``field label not supported: foo``."""
    if not text or not text.strip():
        return FieldSelector()
    allowed = {"metadata.name", "metadata.namespace"} | FIELD_LABELS.get(kind, set())
    reqs = []
    for part in _split_top(text):
        m = re.match(r"^([^\s!=]+)\s*(==|=|!=)\s*(.*)$", part)
        if not m:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        path, op, value = m.groups()
        if path not in allowed:
            raise errors.bad_request(f'field label not supported: {path}')
        reqs.append((path, "!=" if op == "!=" else "=", value.strip()))
    return FieldSelector(reqs)
