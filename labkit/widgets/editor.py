"""A YAML editor with an Apply button: edit a manifest, send it to the cluster, read the answer.

    widgets.ApplyEditor(cluster, '''
    apiVersion: apps/v1
    kind: Deployment
    ...
    ''')

Apply runs ``cluster.apply(text)`` (like ``kubectl apply -f -``) and shows kubectl's lines
(``deployment.apps/web created``) or the API server's error, inside the widget.
"""
from __future__ import annotations

import textwrap

import ipywidgets as W

from . import answers
from .base import Panel, button, esc


class ApplyEditor(Panel):
    """Textarea + Apply button. ``check_id`` (optional) records the applied text as that
    check's answer; ``after_apply(cluster)`` (optional) runs after each apply (e.g. to let
    virtual time pass) and may return extra HTML/objects to show."""

    title = "YAML editor"

    def __init__(self, cluster, text: str, check_id: str | None = None, rows: int = 14,
                 after_apply=None):
        super().__init__()
        self.cluster = cluster
        self.check_id = check_id
        self.after_apply = after_apply
        self.initial = textwrap.dedent(text).strip() + "\n"
        self.text = W.Textarea(value=self.initial, rows=rows,
                               layout=W.Layout(width="100%"))
        self.text.add_class("labkit-yaml")
        self.apply_button = button("Apply", width="120px")
        self.reset_button = button("Reset", style="", width="120px")
        self.apply_button.on_click(lambda _b: self.apply())
        self.reset_button.on_click(lambda _b: self.reset())
        if check_id:
            answers.register(check_id, self)
        kinds = [line.split(":", 1)[1].strip() for line in self.initial.splitlines()
                 if line.startswith("kind:")]
        self._finish([self.text, W.HBox([self.apply_button, self.reset_button])],
                     f"<pre>{esc(self.initial)}</pre>",
                     f"YAML editor: {len(kinds)} document(s) ({', '.join(kinds) or 'empty'})")

    @property
    def value(self) -> str:
        return self.text.value

    def set_value(self, value: str) -> None:
        self.text.value = value
        self.apply()

    def reset(self) -> None:
        self.text.value = self.initial
        self.show("")

    def apply(self) -> str:
        """Apply the editor's text; returns (and shows) kubectl's output or the error."""
        if self.check_id:
            answers.record(self.check_id, self.text.value)
        try:
            result = self.cluster.apply(self.text.value)
            out = str(result).rstrip()
            failed = bool(getattr(result, "returncode", 0)) or "error" in out.lower()
        except Exception as exc:  # noqa: BLE001 - show any failure to the student, never raise
            out, failed = f"error: {exc}", True
        extra = ""
        if self.after_apply is not None and not failed:
            from .base import to_html
            extra = to_html(self.after_apply(self.cluster))
        self.show(f"<pre>{esc(out)}</pre>{extra}", ok=not failed)
        return out
