"""Small flow charts: steps joined by arrows, with an optional highlighted step.

    viz.flow(["code", "build", "test", "image", "scan", "push", "release"])
    viz.flow([("Horizon", "Keystone", "log in"), ("Horizon", "Nova", "boot")], highlight="Nova")

Used for pipelines and request paths; a Stepper can show one step highlighted per frame.
"""
from __future__ import annotations

from .diagram import COLORS, Diagram, new_graph, node_id


def flow(steps, highlight=None, rankdir: str = "LR", status: dict | None = None,
         title: str = "flow") -> Diagram:
    """Draw a chain of step names, or ``(from, to, label)`` edges. ``highlight`` (a name or a
    set of names) is drawn in red; ``status`` maps names to ``"ok"``, ``"failed"`` or
    ``"skipped"`` (green, red, grey)."""
    edges = []
    if steps and all(isinstance(s, str) for s in steps):
        names = list(steps)
        edges = [(a, b, "") for a, b in zip(names, names[1:])]
    else:
        names = []
        for a, b, *label in steps:
            edges.append((a, b, label[0] if label else ""))
            names += [n for n in (a, b) if n not in names]
    marked = {highlight} if isinstance(highlight, str) else set(highlight or ())
    colours = {"ok": "#a1d99b", "failed": COLORS["warning"], "skipped": "#f0f0f0"}
    g = new_graph("flow", rankdir=rankdir, nodesep="0.3", ranksep="0.35")
    for name in names:
        state = (status or {}).get(name)
        fill = "#fdd0a2" if name in marked else colours.get(state, COLORS["normal"])
        extra = {"penwidth": "2.5", "color": "#cb181d"} if name in marked else {}
        label = name + (f"\n[{state}]" if state else "")
        g.node(node_id(name), label=label, fillcolor=fill,
               style="filled,rounded,dashed" if state == "skipped" else "filled,rounded", **extra)
    for a, b, label in edges:
        g.edge(node_id(a), node_id(b), label=label)
    summary = " -> ".join(names)
    if status:
        summary += " (" + ", ".join(f"{k}: {v}" for k, v in status.items()) + ")"
    if marked:
        summary += f" [at {', '.join(sorted(marked))}]"
    return Diagram(g, title, summary)
