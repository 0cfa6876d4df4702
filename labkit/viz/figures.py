"""Matplotlib figures as deterministic SVG, so strict nbval can compare stored plots.

Jupyter's inline backend would store a PNG (nbval never compares it, so a wrong plot would go
unnoticed) or an SVG carrying the current date and random element ids. :func:`figure` renders
with a fixed ``svg.hashsalt``, no date metadata and text as paths (no font lookups at view time),
closes the figure (so the inline backend does not show it a second time), and returns a
:class:`Figure` with a fixed text repr.

    fig, ax = plt.subplots(figsize=(6, 3))
    df.plot.bar(ax=ax)
    viz.figure(fig, "CPU share per app")
"""
from __future__ import annotations

import io

RC = {"svg.hashsalt": "labkit", "svg.fonttype": "path", "font.family": "DejaVu Sans",
      "axes.spines.top": False, "axes.spines.right": False}


class Figure:
    """A rendered figure: ``_repr_svg_`` for Jupyter, ``<Figure title>`` as text."""

    def __init__(self, svg: str, title: str):
        self.svg = svg
        self.title = title

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<Figure {self.title}>"


def style():
    """A context manager with labkit's deterministic matplotlib settings."""
    import matplotlib
    return matplotlib.rc_context(RC)


def figure(fig, title: str = "") -> Figure:
    """Render a matplotlib figure to deterministic SVG and close it."""
    import matplotlib.pyplot as plt
    buf = io.StringIO()
    with style():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None},
                    bbox_inches="tight")
    plt.close(fig)
    title = title or (fig.axes[0].get_title() if fig.axes else "") or "figure"
    return Figure(buf.getvalue(), title)
