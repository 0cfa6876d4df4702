"""Events over time: a timeline, and a sequence diagram of who did what to which object.

Both accept events as returned by ``cluster.events()`` (a pandas DataFrame with the columns
``time, type, reason, object, message, source``), as a list of Kubernetes Event dicts
(``involvedObject``, ``reason``, ``source.component``...), or a cluster (all its events).
"""
from __future__ import annotations

from .diagram import COLORS, Diagram, esc, new_graph, node_id, plural


def _from_event(e: dict) -> dict:
    from labkit.minicluster.conversion import as_core_event
    from labkit.minicluster.events import first_seen, last_seen, reporter
    e = as_core_event(e)  # an events.k8s.io/v1 Event reads as its core/v1 form
    inv = e.get("involvedObject") or {}
    return {"time": last_seen(e) or "", "first": first_seen(e) or "",
            "type": e.get("type") or "Normal", "reason": e.get("reason") or "",
            "object": f"{(inv.get('kind') or '').lower()}/{inv.get('name', '')}",
            "message": e.get("message") or "", "source": reporter(e) or "?"}


def event_rows(events) -> list[dict]:
    """Normalise events (DataFrame, list of dicts, or a cluster) to rows sorted by time."""
    if hasattr(events, "to_dict") and hasattr(events, "columns"):
        rows = [dict(r) for r in events.to_dict("records")]
        for r in rows:
            r.setdefault("first", r.get("time"))
            r["source"] = r.get("source") or "?"
    elif hasattr(events, "list"):
        rows = [_from_event(e) for e in events.list("events", all_namespaces=True)]
    else:
        rows = [_from_event(e) if "involvedObject" in e or "regarding" in e else dict(e)
                for e in events]
    for r in rows:
        r["first"] = str(r.get("first") or r.get("time") or "")
    return sorted(rows, key=_instant)  # stable: same-second events keep their order


def _instant(row: dict):
    """Order by the instant, not the text: legacy times have whole seconds, new-API ones
    (``eventTime``) microseconds."""
    from labkit.minicluster.clock import parse_rfc3339
    try:
        return parse_rfc3339(row["first"])
    except ValueError:
        return float("-inf") if not row["first"] else float("inf")


def _clock(ts: str) -> str:
    """``2025-01-01T00:00:05Z`` -> ``00:00:05`` (the date is the same all lesson long)."""
    return ts[11:19] if len(ts) >= 19 else ts


def timeline(events, limit: int = 40) -> Diagram:
    """Events as a vertical timeline: time on the left, reason/object/message on the right;
    warnings are red."""
    rows = event_rows(events)[:limit]
    g = new_graph("timeline", nodesep="0.1", ranksep="0.15")
    g.attr("node", shape="plain", style="")
    prev = None
    for i, r in enumerate(rows):
        colour = COLORS["warning"] if r.get("type") == "Warning" else COLORS["normal"]
        label = (f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3"><tr>'
                 f'<td width="60">{esc(_clock(r["first"]))}</td>'
                 f'<td bgcolor="{colour}" align="left"><b>{esc(r["reason"])}</b> {esc(r["object"])}'
                 f'<br/><font point-size="9">{esc(r["message"])}</font></td>'
                 f'<td align="left"><font point-size="9">{esc(r["source"])}</font></td></tr></table>>')
        g.node(f"e{i}", label=label)
        if prev is not None:
            g.edge(prev, f"e{i}", arrowhead="none", color="grey")
        prev = f"e{i}"
    warnings = sum(1 for r in rows if r.get("type") == "Warning")
    return Diagram(g, "event timeline", f"{plural(len(rows), 'event')}, {plural(warnings, 'warning')}")


def sequence(events, limit: int = 30, participants=None) -> Diagram:
    """A sequence diagram: one lane per component that reported events (in order of first
    appearance, or ``participants``), one lane per object acted on; each event is an arrow
    from the component to the object, labelled with its reason, top to bottom in time order."""
    rows = event_rows(events)[:limit]
    actors = list(participants or [])
    for r in rows:
        for lane in (r["source"], r["object"]):
            if lane not in actors:
                actors.append(lane)
    g = new_graph("sequence", newrank="true", splines="false", nodesep="0.25", ranksep="0.25")
    lane_ids = [node_id("lane", a) for a in actors]
    sources = {r["source"] for r in rows}
    with g.subgraph() as head:
        head.attr(rank="same")
        for a, lid in zip(actors, lane_ids):
            head.node(lid, label=a, fillcolor=COLORS["control-plane"] if a in sources else COLORS["node"])
        for a, b in zip(lane_ids, lane_ids[1:]):
            head.edge(a, b, style="invis")
    last = dict(zip(actors, lane_ids))
    for step, r in enumerate(rows, start=1):
        with g.subgraph() as row:
            row.attr(rank="same")
            for a in actors:
                row.node(node_id("p", a, step), label="", shape="point", width="0.01", style="")
        for a in actors:
            g.edge(last[a], node_id("p", a, step), style="dashed", arrowhead="none", color="grey")
            last[a] = node_id("p", a, step)
        g.edge(node_id("p", r["source"], step), node_id("p", r["object"], step),
               label=f"{step}. {r['reason']}", constraint="false",
               color="#cb181d" if r.get("type") == "Warning" else "black")
    steps = "; ".join(f"{r['source']} -> {r['object']}: {r['reason']}" for r in rows[:6])
    more = f"; ... ({len(rows) - 6} more)" if len(rows) > 6 else ""
    return Diagram(g, "sequence", f"{plural(len(rows), 'step')}: {steps}{more}")
