"""The :class:`Diagram` every ``labkit.viz`` function returns, and the helpers they share.

Why not return a ``graphviz.Digraph``? Its text repr contains a memory address
(``<graphviz.graphs.Digraph object at 0x7f...>``), which changes on every run and would break
the stored notebook outputs that strict ``pytest --nbval`` compares. A :class:`Diagram` shows:

* ``image/svg+xml``: rendered by graphviz-pure (:func:`labkit._tools.use_graphviz_pure`), a
  static ``dot`` whose SVG bytes are the same on every machine;
* ``text/plain``: a fixed one-line summary such as ``<Diagram cluster topology: 3 nodes, 6 pods>``.

``diagram.source`` is the DOT text (to paste into any Graphviz tool), ``diagram.svg`` the SVG.
"""
from __future__ import annotations

import html
import re

import graphviz

from labkit import _tools

FONT = "Helvetica"

#: Fill colours by role, used by every diagram so the same thing has the same colour everywhere.
COLORS = {
    "hardware": "#d9d9d9", "hypervisor": "#c7e9c0", "os": "#fde0a8", "guest-os": "#fdd0a2",
    "runtime": "#dadaeb", "app": "#c6dbef", "bins": "#f2f2f2", "container": "#9ecae1",
    "control-plane": "#fde0dd", "etcd": "#fcc5c0", "node": "#e5f5e0", "agent": "#c7e9c0",
    "user": "#ffffff", "pending": "#fee391", "warning": "#fc9272", "normal": "#e0ecf4",
}

#: A palette for "one colour per owner" pictures (pods coloured by their Deployment...).
PALETTE = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5", "#bc80bd", "#ccebc5", "#ffed6f", "#d9d9d9"]


class Diagram:
    """A diagram with a deterministic SVG rendering and a fixed text summary."""

    def __init__(self, graph: graphviz.Digraph, title: str, summary: str = ""):
        self.graph = graph
        self.title = title
        self.summary = summary
        self._svg: str | None = None

    @property
    def source(self) -> str:
        """The DOT source text."""
        return self.graph.source

    @property
    def svg(self) -> str:
        """The SVG text (rendered once, then cached)."""
        if self._svg is None:
            _tools.use_graphviz_pure()
            self._svg = self.graph.pipe(format="svg", encoding="utf-8")
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        tail = f": {self.summary}" if self.summary else ""
        return f"<Diagram {self.title}{tail}>"

    def save(self, path) -> str:
        """Write the SVG to ``path``; returns the path."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.svg)
        return str(path)


def new_graph(name: str, rankdir: str = "TB", **attrs) -> graphviz.Digraph:
    """A Digraph with labkit's house style (font, no background)."""
    g = graphviz.Digraph(name)
    g.attr(rankdir=rankdir, fontname=FONT, fontsize="12", bgcolor="white", **attrs)
    # a roomy margin: browsers without Helvetica substitute a wider sans-serif font
    g.attr("node", fontname=FONT, fontsize="11", shape="box", style="filled,rounded",
           fillcolor="white", margin="0.2,0.06")
    g.attr("edge", fontname=FONT, fontsize="10")
    return g


def esc(text) -> str:
    """Escape text for an HTML-like Graphviz label."""
    return html.escape(str(text), quote=True)


def node_id(*parts) -> str:
    """A safe DOT identifier made from ``parts`` (names may hold '-', '/', '.')."""
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", "__".join(str(p) for p in parts))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def list_objects(cluster, kind: str, namespace=None) -> list[dict]:
    """``cluster.list(kind, ...)`` in one namespace, or in all when ``namespace`` is None.

    Any object with ``.list(kind, namespace=None, all_namespaces=False)`` returning
    Kubernetes-shaped dicts works: the in-memory cluster, a real one, or a test fixture.
    """
    if namespace is None:
        return list(cluster.list(kind, all_namespaces=True))
    return list(cluster.list(kind, namespace=namespace))
