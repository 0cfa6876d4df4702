"""Quiz widgets wired to graded checks: multiple choice, ordering, matching, classifying.

    quiz = widgets.Classify("m01-traits", "Which statements describe a cloud-native app?",
                            items=[...], buckets=["cloud native", "not cloud native"])
    quiz                                    # the student answers in the widget
    check("m01-traits")                     # the next cell grades the recorded answer

Every change the student makes is recorded as the check's answer
(:mod:`labkit.widgets.answers`). The widget's own "Check" button gives quick feedback through
the same check, without printing anything (feedback appears inside the widget).
"""
from __future__ import annotations

import abc

import ipywidgets as W

from . import answers
from .base import Panel, button, esc, message

NOT_CHOSEN = "(choose)"


class _QuizMeta(type(Panel), abc.ABCMeta):
    """Widgets have their own metaclass (traitlets); combine it with ABCMeta so that a quiz
    class that forgets `value` or `set_value` fails when it is instantiated, not when graded."""


class Quiz(Panel, metaclass=_QuizMeta):
    """Common machinery: a question, a body of controls, a Check button, a feedback area.

    Subclasses provide the answer: the `value` property and `set_value`."""

    title = "Quiz"
    live_title = False

    def __init__(self, check_id: str, question: str, **kwargs):
        super().__init__(**kwargs)
        self.check_id = check_id
        self.question = question
        self.check_button = button("Check", width="120px")
        self.check_button.on_click(lambda _b: self.grade())
        answers.register(check_id, self)

    def _setup(self, body, fallback_body: str, summary: str) -> None:
        head = W.HTML(value=f"<b>{esc(self.question)}</b>")
        self._finish([head, *body, self.check_button],
                     f"<p>{esc(self.question)}</p>{fallback_body}",
                     f"{self.check_id}: {summary}")

    # -- answers ---------------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def value(self):
        """The current answer, or None while the student has not answered."""

    @abc.abstractmethod
    def set_value(self, value) -> None:
        """Show `value` as the student's answer (used by reference solutions)."""

    def _changed(self, *_args) -> None:
        value = self.value
        if value is not None:
            answers.record(self.check_id, value)

    def grade(self) -> bool | None:
        """Run this quiz's check quietly and show its feedback inside the widget."""
        if self.value is None:
            self.show("Answer first, then press Check.", ok=False)
            return None
        answers.record(self.check_id, self.value)
        result = _evaluate(self.check_id)
        if result is None:
            self.show("Answer recorded. Run the check cell below to grade it.", ok=None)
            return None
        ok, html_text = result
        self.show(html_text)
        return ok


def _evaluate(check_id: str):
    """``(passed, feedback HTML)`` from the grading package, or None if it cannot grade here.
    The HTML is the same box a ``check(...)`` cell shows."""
    try:
        from labkit import grading
    except ImportError:
        return None
    fn = getattr(grading, "evaluate", None)
    if fn is None:
        return None
    result = fn(check_id)
    if hasattr(result, "_repr_html_"):
        return bool(result.passed), result._repr_html_()
    return bool(getattr(result, "passed", False)), f"<pre>{esc(result)}</pre>"


def _ul(items) -> str:
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


class MultipleChoice(Quiz):
    """Pick one option (radio buttons), or several with ``multiple=True`` (checkboxes)."""

    title = "Multiple choice"

    def __init__(self, check_id: str, question: str, options, multiple: bool = False):
        super().__init__(check_id, question)
        self.options = list(options)
        self.multiple = multiple
        if multiple:
            self.boxes = [W.Checkbox(value=False, description=str(o), indent=False)
                          for o in self.options]
            for box in self.boxes:
                box.observe(self._changed, "value")
            body = self.boxes
        else:
            self.radio = W.RadioButtons(options=self.options, value=None,
                                        layout=W.Layout(width="max-content"))
            self.radio.observe(self._changed, "value")
            body = [self.radio]
        how = "choose all that apply" if multiple else "choose one"
        self._setup(body, f"<p><i>{how}:</i></p>{_ul(self.options)}",
                    f"{len(self.options)} options, {how}")

    @property
    def value(self):
        if self.multiple:
            chosen = [o for o, b in zip(self.options, self.boxes) if b.value]
            return chosen or None
        return self.radio.value

    def set_value(self, value) -> None:
        if self.multiple:
            for o, b in zip(self.options, self.boxes):
                b.value = o in value
        else:
            self.radio.value = value
        self._changed()


class Ordering(Quiz):
    """Put items in order with up/down buttons. ``items`` are shown in the order given
    (scramble them when writing the exercise)."""

    title = "Ordering"

    def __init__(self, check_id: str, question: str, items):
        super().__init__(check_id, question)
        self.items = list(items)
        self._touched = False
        self.rows = W.VBox()
        self._render()
        self._setup([self.rows], "<ol>" + "".join(f"<li>{esc(i)}</li>" for i in self.items)
                    + "</ol>", f"put {len(self.items)} items in order")

    def _render(self) -> None:
        rows = []
        for i, item in enumerate(self.items):
            up, down = button("↑", "", "36px"), button("↓", "", "36px")
            up.disabled, down.disabled = i == 0, i == len(self.items) - 1
            up.on_click(lambda _b, i=i: self.move(i, -1))
            down.on_click(lambda _b, i=i: self.move(i, +1))
            rows.append(W.HBox([up, down, W.HTML(value=f"{i + 1}. {esc(item)}")]))
        self.rows.children = rows

    def move(self, index: int, delta: int) -> None:
        """Swap item ``index`` with its neighbour (delta -1: up, +1: down)."""
        j = index + delta
        if 0 <= index < len(self.items) and 0 <= j < len(self.items):
            self.items[index], self.items[j] = self.items[j], self.items[index]
            self._touched = True
            self._render()
            self._changed()

    @property
    def value(self):
        return list(self.items) if self._touched else None

    def set_value(self, value) -> None:
        if sorted(value) != sorted(self.items):
            raise ValueError("an ordering must use exactly the quiz's items")
        self.items = list(value)
        self._touched = True
        self._render()
        self._changed()


class _PerItem(Quiz):
    """One control per item (a dropdown or toggle buttons); the answer is ``{item: choice}``."""

    def __init__(self, check_id: str, question: str, items, choices, toggles: bool):
        super().__init__(check_id, question)
        self.items = list(items)
        self.choices = list(choices)
        self.controls = {}
        rows = []
        for item in self.items:
            if toggles:
                ctl = W.ToggleButtons(options=self.choices, value=None, style={"button_width": "auto"})
            else:
                ctl = W.Dropdown(options=[NOT_CHOSEN, *self.choices], value=NOT_CHOSEN,
                                 layout=W.Layout(width="max-content"))
            ctl.observe(self._changed, "value")
            self.controls[item] = ctl
            rows.append(W.HBox([W.HTML(value=esc(item), layout=W.Layout(width="45%")), ctl]))
        self.body = rows

    @property
    def value(self):
        chosen = {item: ctl.value for item, ctl in self.controls.items()
                  if ctl.value not in (None, NOT_CHOSEN)}
        return chosen or None

    def set_value(self, value) -> None:
        for item, choice in value.items():
            self.controls[item].value = choice
        self._changed()


class Matching(_PerItem):
    """Match each item on the left to one option (a dropdown per item)."""

    title = "Matching"

    def __init__(self, check_id: str, question: str, items, options):
        super().__init__(check_id, question, items, options, toggles=False)
        table = "".join(f"<tr><td>{esc(i)}</td><td>?</td></tr>" for i in self.items)
        self._setup(self.body, f"<table><tr><th>item</th><th>matches</th></tr>{table}</table>"
                    f"<p>Options: {esc(', '.join(self.choices))}</p>",
                    f"match {len(self.items)} items to {len(self.choices)} options")


class Classify(_PerItem):
    """Sort each item into one of a few buckets (toggle buttons per item)."""

    title = "Sort into buckets"

    def __init__(self, check_id: str, question: str, items, buckets):
        super().__init__(check_id, question, items, buckets, toggles=True)
        self._setup(self.body, f"<p>Buckets: <b>{esc(' / '.join(self.choices))}</b></p>"
                    + _ul(self.items),
                    f"sort {len(self.items)} items into {len(self.choices)} buckets")


__all__ = ["Quiz", "MultipleChoice", "Ordering", "Matching", "Classify", "message"]
