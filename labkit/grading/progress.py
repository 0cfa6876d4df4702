"""``labkit.progress()``: which exercises of this notebook pass, at a glance.

The display is a live widget in Jupyter (it updates after every later ``check(...)``) and also
carries a static ``text/html`` / ``text/plain`` fallback computed when it is displayed, so it
reads well on GitHub and strict nbval compares something deterministic.
"""
from __future__ import annotations

import html

from . import student
from .registry import checks_for, notebook_id
from .result import BAD, CSS_BAD, CSS_OK, CSS_PARTIAL, OK

NOT_TRIED = "\u2013"  # –


def rows(notebook: str | None = None) -> list[dict]:
    """One row per check: id, title, points, max, status (passed/partial/failed/not tried).
    Without ``notebook``, the notebook of the first check run in this session is assumed."""
    if notebook is None:
        notebook = next((nb for nb in map(_notebook_of, student.RESULTS) if nb), None)
    ids = [c.id for c in checks_for(notebook)] if notebook else []
    for cid in student.RESULTS:          # checks run in this session (e.g. another notebook's)
        if cid not in ids and (notebook is None or _notebook_of(cid) == notebook_id(notebook)):
            ids.append(cid)
    out = []
    for cid in ids:
        r = student.RESULTS.get(cid)
        chk = _check(cid)
        out.append({"check": cid, "title": chk.title if chk else "",
                    "points": r.score if r else 0.0,
                    "max": r.max_points if r else (chk.points if chk else 0.0),
                    "status": r.status if r else "not tried"})
    return out


def _check(cid):
    from .registry import REGISTRY
    return REGISTRY.get(cid)


def _notebook_of(cid):
    chk = _check(cid)
    return chk.notebook if chk else None


def _mark(status: str) -> str:
    return {"passed": OK, "partial": "\u00bd", "failed": BAD}.get(status, NOT_TRIED)


def as_text(items) -> str:
    if not items:
        return "Progress: no checks run yet."
    got = sum(r["points"] for r in items)
    top = sum(r["max"] for r in items)
    done = sum(1 for r in items if r["status"] == "passed")
    lines = [f"Progress: {done}/{len(items)} exercises pass, {got:g}/{top:g} points"]
    for r in items:
        lines.append(f"  {_mark(r['status'])} {r['check']}: {r['points']:g}/{r['max']:g}"
                     + (f" ({r['title']})" if r["title"] else "")
                     + ("" if r["status"] != "not tried" else " not tried yet"))
    return "\n".join(lines)


def as_html(items) -> str:
    if not items:
        return "<div class=\"labkit-progress\"><b>Progress:</b> no checks run yet.</div>"
    colour = {"passed": CSS_OK, "partial": CSS_PARTIAL, "failed": CSS_BAD}
    body = "".join(
        f'<tr><td style="color:{colour.get(r["status"], "#555")}">{_mark(r["status"])}</td>'
        f'<td><code>{html.escape(r["check"])}</code></td><td>{html.escape(r["title"])}</td>'
        f'<td style="text-align:right">{r["points"]:g}/{r["max"]:g}</td></tr>' for r in items)
    head = as_text(items).splitlines()[0]
    return (f'<div class="labkit-progress"><b>{html.escape(head)}</b>'
            f'<table><tr><th></th><th>check</th><th>exercise</th><th>points</th></tr>{body}'
            "</table></div>")


class Progress:
    """The progress display: a live ipywidgets.HTML plus the static fallback."""

    def __init__(self, notebook: str | None = None):
        self.notebook = notebook
        items = rows(notebook)
        self._text, self._html = as_text(items), as_html(items)
        self.widget = None
        try:
            import ipywidgets as W
            self.widget = W.HTML(value=self._html)
            student.on_result(lambda _result: self.refresh())
        except ImportError:  # pragma: no cover - ipywidgets is a labkit dependency
            pass

    def refresh(self) -> None:
        if self.widget is not None:
            self.widget.value = as_html(rows(self.notebook))

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": self._text, "text/html": self._html}
        if self.widget is not None:
            view = self.widget._repr_mimebundle_() or {}
            bundle.update({k: v for k, v in view.items()
                           if k == "application/vnd.jupyter.widget-view+json"})
        return bundle

    def __repr__(self) -> str:
        return self._text


def progress(notebook: str | None = None) -> Progress:
    """Which exercises pass: the checks of ``notebook`` (a notebook id such as
    ``"04-workloads/02-deployments"``), or, by default, every check run in this session."""
    return Progress(notebook)
