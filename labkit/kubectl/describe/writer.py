"""The building blocks of every ``kubectl describe`` page (staging/src/k8s.io/kubectl/pkg/describe).

A describer writes lines with a *level* of indentation (two spaces each) and tabs between a
label and its value (``Name:\\tweb``); at the end a Go tabwriter (minimum width 0, padding 2)
aligns the tabs. Because a line without a tab ends a tabwriter column block, each section of the
page is aligned on its own. The helpers below print the recurring parts: multi-line labels and
annotations, taints, tolerations, resource lists and the ``Events:`` table.
"""
from __future__ import annotations

from .. import tabwriter
from ..formatting import since

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MAX_ANNOTATION_LEN = 140


class PrefixWriter:
    """describe.PrefixWriter: ``write(level, text)`` indents by two spaces per level."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append("  " * level + text)

    def line(self, text: str = "") -> None:
        """WriteLine: a whole line, no indentation."""
        self.parts.append(text + "\n")

    def text(self) -> str:
        """The page, aligned like describe's tabbedString."""
        return tabwriter.align("".join(self.parts), minwidth=0, padding=2)


def labels_multiline(w: PrefixWriter, title: str, labels: dict | None, initial: str = "",
                     inner: str = "\t", skip=()) -> None:
    """printLabelsMultilineWithIndent: ``Labels:  a=1`` then one ``k=v`` per line, sorted."""
    w.write(0, f"{initial}{title}:{inner}")
    keys = sorted(k for k in (labels or {}) if k not in skip)
    if not keys:
        w.line("<none>")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, initial)
            w.write(0, inner)
        w.write(0, f"{key}={labels[key]}\n")


def standard_header(w: PrefixWriter, meta: dict, namespace: bool = True) -> None:
    """The opening lines most pages share: Name, Namespace, Labels, Annotations."""
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    if namespace:
        w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    labels_multiline(w, "Labels", meta.get("labels"))
    annotations_multiline(w, "Annotations", meta.get("annotations"))


def annotations_multiline(w: PrefixWriter, title: str, annotations: dict | None) -> None:
    """printAnnotationsMultiline: long or multi-line values are shown on their own lines and
    cut at 140 characters; the last-applied-configuration annotation is never shown."""
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.line("<none>")
        return
    indent = "\t"
    for i, key in enumerate(keys):
        if i:
            w.write(0, indent)
        value = annotations[key]
        value = value[:-1] if value.endswith("\n") else value
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for s in value.split("\n"):
                s = s[:MAX_ANNOTATION_LEN - 2] + "..." if len(s) > MAX_ANNOTATION_LEN - 2 else s
                w.write(0, f"{indent}  {s}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def taint_string(t: dict) -> str:
    """Taint.ToString: ``key=value:Effect``."""
    key, value, effect = t.get("key", ""), t.get("value", ""), t.get("effect", "")
    if not effect:
        return key if not value else f"{key}={value}:"
    return f"{key}:{effect}" if not value else f"{key}={value}:{effect}"


def taints_multiline(w: PrefixWriter, title: str, taints, initial: str = "", inner: str = "\t") -> None:
    w.write(0, f"{initial}{title}:{inner}")
    if not taints:
        w.line("<none>")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, t in enumerate(ordered):
        if i:
            w.write(0, initial)
            w.write(0, inner)
        w.write(0, taint_string(t) + "\n")


def tolerations_multiline(w: PrefixWriter, title: str, tolerations, initial: str = "",
                          inner: str = "\t") -> None:
    """printTolerationsMultilineWithIndent: ``node.kubernetes.io/not-ready:NoExecute op=Exists
    for 300s``, sorted by key."""
    w.write(0, f"{initial}{title}:{inner}")
    if not tolerations:
        w.line("<none>")
        return
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, initial)
            w.write(0, inner)
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if (t.get("key") or t.get("effect")) else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def bool_text(value) -> str:
    """printBool: ``True``/``False``."""
    return "True" if value else "False"


def controller_of(obj: dict) -> str:
    """printController: ``ReplicaSet/web-7d4b9c8f6d``."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def events_section(w: PrefixWriter, events: list[dict] | None, now: float | None) -> None:
    """DescribeEvents: ``Type Reason Age From Message``, oldest first; repeated events show
    ``3m (x5 over 10m)``."""
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    ordered = sorted(events, key=lambda e: e.get("lastTimestamp") or "")
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in ordered:
        age = event_age(e, now)
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent") or ""
        message = (e.get("message") or "").strip()
        field_path = (e.get("involvedObject") or {}).get("fieldPath")
        if field_path:
            message = f"{field_path}: {message}"
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{age}\t{source}\t{message}\n")


def event_age(e: dict, now: float | None) -> str:
    """The age of an event, ``3m (x5 over 10m)`` when it repeated (DescribeEvents, getInterval)."""
    first = since(e.get("eventTime"), now) if e.get("eventTime") else since(e.get("firstTimestamp"), now)
    if e.get("series"):
        return f"{since(e['series'].get('lastObservedTime'), now)} (x{e['series'].get('count', 0)} over {first})"
    if (e.get("count") or 0) > 1:
        return f"{since(e.get('lastTimestamp'), now)} (x{e['count']} over {first})"
    return first


def search_events(api, obj: dict, with_kind: bool = True, uid: str | None = None) -> list[dict]:
    """searchEvents: the events whose involvedObject is ``obj`` (by name, namespace, kind, uid),
    found with a field selector as kubectl does."""
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or ""
    sel = [f"involvedObject.name={meta.get('name', '')}", f"involvedObject.namespace={ns}"]
    if with_kind and obj.get("kind"):
        sel.append(f"involvedObject.kind={obj['kind']}")
    uid = meta.get("uid") if uid is None else uid
    if uid:
        sel.append(f"involvedObject.uid={uid}")
    return api.list("events", ns or None, field_selector=",".join(sel))["items"]


def sorted_resource_names(resources: dict | None) -> list[str]:
    return sorted(resources or {})
