"""What every labkit widget shares: a live view in Jupyter and a static fallback everywhere else.

A widget displayed in a notebook produces ONE output whose MIME bundle holds:

* ``application/vnd.jupyter.widget-view+json``: the live widget (JupyterLab picks it first);
* ``text/html``: a static rendering of the same content (GitHub, nbviewer, an exported page);
* ``text/plain``: a fixed one-line summary.

The static parts are computed from the widget's *initial* state only, so they are the same
on every run: strict ``pytest --nbval`` compares ``text/html`` and ``text/plain`` and ignores the
widget view (whose model id changes every run).

Why not an ``ipywidgets.Output``? Text printed into an Output is stored in the widget state by
JupyterLab, but when nbval re-runs the notebook it arrives as the cell's plain stdout, so the
stored and fresh outputs never agree. Every labkit widget instead writes its results into an
``HTML`` child widget (``self.feedback``), which nbval never sees.
"""
from __future__ import annotations

import html

import ipywidgets as W

CSS_OK = "color:#1a7f37"
CSS_BAD = "color:#b42318"


def esc(text) -> str:
    return html.escape(str(text), quote=True)


def to_html(obj) -> str:
    """HTML for anything a widget may show: an object with ``_repr_svg_`` or ``_repr_html_``
    (a Diagram, a DataFrame), a ``str`` (taken as HTML), or anything else (escaped, in <pre>)."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return obj
    for method in ("_repr_html_", "_repr_svg_"):
        fn = getattr(obj, method, None)
        if fn is not None:
            out = fn()
            if out is not None:
                if method == "_repr_svg_" and out.startswith("<?xml"):
                    out = out[out.index("<svg"):]
                return out
    return f"<pre>{esc(obj)}</pre>"


def message(text: str, ok: bool | None = None) -> str:
    """A short feedback line: green when ok, red when not, plain when None."""
    style = "" if ok is None else f' style="{CSS_OK if ok else CSS_BAD}"'
    mark = "" if ok is None else ("&#10004; " if ok else "&#10008; ")
    return f"<div{style}>{mark}{text}</div>"


class Panel(W.VBox):
    """Base class: a VBox whose notebook output also carries a static HTML/text fallback.

    Subclasses build their children, then call ``self._finish(title, fallback_html, summary)``
    once, from their initial state.
    """

    title = "widget"
    #: Show ``title`` above the live widget too (quizzes show their question instead).
    live_title = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.feedback = W.HTML(value="")
        self.feedback.add_class("labkit-feedback")
        self.add_class("labkit-widget")
        self._fallback_html = ""
        self._summary = ""

    def _finish(self, children, fallback_html: str, summary: str) -> None:
        head = (W.HTML(value=f"<b>{esc(self.title)}</b>"),) if self.live_title else ()
        self.children = head + tuple(children) + (self.feedback,)
        self._fallback_html = (f'<div class="labkit-static"><p><b>{esc(self.title)}</b> '
                               '<i>(interactive widget: run the notebook to use it)</i></p>'
                               f"{fallback_html}</div>")
        self._summary = summary

    def show(self, content, ok: bool | None = None) -> None:
        """Show ``content`` (HTML text or a displayable object) in the widget's result area."""
        body = to_html(content)
        self.feedback.value = message(body, ok) if ok is not None else body

    @property
    def result_text(self) -> str:
        """The result area as HTML (what a test or a grader can read back)."""
        return self.feedback.value

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["text/plain"] = f"<{type(self).__name__} {self._summary}>"
        bundle["text/html"] = self._fallback_html
        return bundle

    def __repr__(self) -> str:  # ipywidgets' repr lists every trait; keep ours short and fixed
        return f"<{type(self).__name__} {self._summary}>"


def button(description: str, style: str = "primary", width: str = "auto") -> W.Button:
    return W.Button(description=description, button_style=style,
                    layout=W.Layout(width=width))
