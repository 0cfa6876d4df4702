"""Generic interactive helpers: controls -> a view, a stepper over frames, a table explorer.

All of them show their results in an HTML child widget (never an ``ipywidgets.Output``), and
their static fallback is the view of the initial state, so stored outputs are the same on
every run (see :mod:`labkit.widgets.base`).
"""
from __future__ import annotations

import ipywidgets as W

from .base import Panel, button, esc, to_html


class Interactive(Panel):
    """``render(**values)`` re-drawn whenever a control changes (like ``ipywidgets.interact``,
    without an Output widget).

        Interactive({"apps": IntSlider(1, 1, 10)}, lambda apps: f"{apps} apps")

    ``render`` may return HTML text, a DataFrame, a Diagram, a Figure...
    """

    title = "Interactive"

    def __init__(self, controls: dict, render, title: str | None = None):
        super().__init__()
        if title:
            self.title = title
        self.controls = dict(controls)
        self.render = render
        self.view = W.HTML()
        self.view.add_class("labkit-view")
        for ctl in self.controls.values():
            ctl.observe(lambda _c: self.update(), "value")
        self.update()
        initial = ", ".join(f"{k}={v.value!r}" for k, v in self.controls.items())
        self._finish([W.VBox(list(self.controls.values())), self.view],
                     f"<p><i>Showing: {esc(initial)}</i></p>{self.view.value}",
                     f"{self.title}: {initial}")

    @property
    def values(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def update(self) -> None:
        try:
            self.view.value = to_html(self.render(**self.values))
        except Exception as exc:  # noqa: BLE001 - a bad combination shows, never breaks the cell
            self.view.value = f"<pre>error: {esc(exc)}</pre>"


class Stepper(Panel):
    """Step through ``frames`` ((caption, content) pairs) with Back / Next buttons."""

    title = "Stepper"

    def __init__(self, frames, title: str | None = None):
        super().__init__()
        if title:
            self.title = title
        self.frames = list(frames)
        if not self.frames:
            raise ValueError("a Stepper needs at least one frame")
        self.index = 0
        self.back, self.next = button("◀ Back", ""), button("Next ▶")
        self.back.on_click(lambda _b: self.go(self.index - 1))
        self.next.on_click(lambda _b: self.go(self.index + 1))
        self.caption, self.view = W.HTML(), W.HTML()
        self.view.add_class("labkit-view")
        self.go(0)
        self._finish([W.HBox([self.back, self.next, self.caption]), self.view],
                     f"<p>{self.caption.value}</p>{self.view.value}",
                     f"{self.title}: {len(self.frames)} steps")

    def go(self, index: int) -> None:
        self.index = max(0, min(index, len(self.frames) - 1))
        caption, content = self.frames[self.index]
        self.caption.value = f"<b>Step {self.index + 1}/{len(self.frames)}:</b> {esc(caption)}"
        self.view.value = to_html(content)
        self.back.disabled = self.index == 0
        self.next.disabled = self.index == len(self.frames) - 1


class Explorer(Panel):
    """Filter a DataFrame: a text search plus one dropdown per ``filters`` column."""

    title = "Table explorer"

    def __init__(self, df, filters=(), title: str | None = None, max_rows: int = 60):
        super().__init__()
        if title:
            self.title = title
        self.df = df
        self.max_rows = max_rows
        self.search = W.Text(placeholder="search any column", layout=W.Layout(width="260px"))
        self.search.observe(lambda _c: self.update(), "value")
        self.dropdowns = {}
        for col in filters:
            options = ["(all)"] + sorted(str(v) for v in df[col].dropna().unique())
            dd = W.Dropdown(options=options, value="(all)", description=col,
                            layout=W.Layout(width="max-content"))
            dd.observe(lambda _c: self.update(), "value")
            self.dropdowns[col] = dd
        self.view, self.count = W.HTML(), W.HTML()
        self.view.add_class("labkit-view")
        self.update()
        self._finish([W.HBox([self.search, *self.dropdowns.values()]), self.count, self.view],
                     f"<p>{self.count.value}</p>{self.view.value}",
                     f"{self.title}: {len(df)} rows")

    def filtered(self):
        df = self.df
        for col, dd in self.dropdowns.items():
            if dd.value != "(all)":
                df = df[df[col].astype(str) == dd.value]
        needle = self.search.value.strip().lower()
        if needle:
            mask = df.astype(str).apply(lambda col: col.str.lower().str.contains(needle, regex=False))
            df = df[mask.any(axis=1)]
        return df

    def update(self) -> None:
        df = self.filtered()
        self.count.value = f"{len(df)} of {len(self.df)} rows"
        self.view.value = df.head(self.max_rows).to_html(index=False, escape=True)


#: The DOM class of a LiveView's value: machine-specific, never stored in a built notebook.
LIVE_CLASS = "labkit-live-value"


class LiveView(Panel):
    """Show values that differ from machine to machine (kernel readings, versions...) live,
    with a fixed fallback text, so the stored notebook output is the same everywhere.

        LiveView(render, "Your process's namespaces", fallback="the namespace table")

    ``render()`` is called now and again whenever the Refresh button is pressed.
    """

    title = "Live reading"

    def __init__(self, render, title: str | None = None, fallback: str = ""):
        super().__init__()
        if title:
            self.title = title
        self.render = render
        self.view = W.HTML()
        self.view.add_class("labkit-view")
        self.view.add_class(LIVE_CLASS)  # scripts/build_course.py blanks it in stored state
        self.refresh = button("Refresh", "", "120px")
        self.refresh.on_click(lambda _b: self.update())
        self.update()
        self._finish([self.refresh, self.view],
                     f"<p>{esc(fallback or 'A live reading of the machine running this notebook.')}</p>",
                     f"{self.title} (live: values of the machine running the notebook)")

    def update(self) -> None:
        try:
            self.view.value = to_html(self.render())
        except Exception as exc:  # noqa: BLE001
            self.view.value = f"<pre>could not read: {esc(exc)}</pre>"
