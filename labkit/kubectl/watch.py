"""``kubectl get -w``: print the table, then one line per change as it happens.

Real kubectl keeps a watch open until you press Ctrl-C. In a notebook cell, labkit's kubectl lets
the cluster's time run instead: until it is quiet (the mini cluster's ``settle``), or for
``--request-timeout`` (for example ``--request-timeout=30s``). Each change prints a row computed
at the moment it happened (its AGE is the age then), aligned like kubectl's tabwriter with
remembered widths: columns only ever get wider. ``--output-watch-events`` adds an EVENT column
(``ADDED``, ``MODIFIED``, ``DELETED``); ``--watch-only`` skips the initial list.
"""
from __future__ import annotations

from labkit.minicluster.objects import clone

from . import printers
from .backend import KubectlError

_EVENT = {"ADDED": "ADDED   ", "MODIFIED": "MODIFIED", "DELETED": "DELETED ", "ERROR": "ERROR   "}


class RowPrinter:
    """Lines up batches of rows with widths that are remembered and only grow (Go's tabwriter
    with RememberWidths, flushed after each batch)."""

    def __init__(self):
        self.widths: list[int] = []

    def block(self, lines: list[list[str]]) -> str:
        n = max((len(cells) for cells in lines), default=0)
        for j in range(n - 1):
            w = max([6] + [len(cells[j]) + 3 for cells in lines if j < len(cells) - 1])
            if j < len(self.widths):
                self.widths[j] = max(self.widths[j], w)
            else:
                self.widths.append(w)
        return "".join("".join(c.ljust(self.widths[j]) for j, c in enumerate(cells[:-1])) + cells[-1] + "\n"
                       for cells in lines if cells)


def watch(ctx, p, targets, wide: bool) -> None:
    if len({t.rt.kind for t in targets}) != 1:
        raise KubectlError("you may only specify a single resource type")
    rt = targets[0].rt
    names = [t.name for t in targets if t.name]
    ns = None if p.get("all-namespaces") else ctx.ns(rt)
    fsel = p.get("field-selector") or (f"metadata.name={names[0]}" if len(names) == 1 else None)
    listed = ctx.api.list(rt, ns, label_selector=p.get("selector") or None, field_selector=fsel)
    rows = RowPrinter()
    events = bool(p.get("output-watch-events"))
    opts = {"wide": wide, "with_namespace": bool(p.get("all-namespaces") and rt.namespaced),
            "show_labels": p.get("show-labels"), "label_columns": p.get("label-columns") or ()}
    headers_done = [bool(p.get("no-headers"))]

    def emit(kind: str, objs: list[dict]) -> None:
        table = printers.to_table([dict(o, kind=rt.kind, apiVersion=rt.api_version) for o in objs],
                                  rt, now=ctx.now(), wide=True)
        lines = printers.table_rows(table, no_headers=headers_done[0], **opts)
        if events:
            lines = [(["EVENT"] if i == 0 and not headers_done[0] else [_EVENT.get(kind, kind)]) + cells
                     for i, cells in enumerate(lines)]
        if lines:
            headers_done[0] = True
            ctx.write(rows.block(lines))

    if not p.get("watch-only"):
        emit("ADDED", listed["items"])
    cancel = ctx.api.watch(rt, lambda kind, obj: emit(kind, [clone(obj)]),
                           namespace=ns, resource_version=listed.get("metadata", {}).get("resourceVersion"),
                           label_selector=p.get("selector") or None, field_selector=fsel)
    try:
        _let_time_pass(ctx, p)
    finally:
        cancel()


def _let_time_pass(ctx, p) -> None:
    from .get import _seconds
    timeout = p.get("request-timeout")
    settle = getattr(ctx.backend, "settle", None)
    if timeout and str(timeout) not in ("0", "0s"):
        ctx.wait_for(lambda: False, timeout=_seconds(timeout))
    elif settle is not None:
        settle(max_seconds=300)
    else:
        ctx.wait_for(lambda: False, timeout=30)
