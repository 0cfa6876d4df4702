"""The link between quiz widgets and graded checks.

A quiz widget is created with the id of the check that grades it. Whenever the student
changes the widget, its answer is recorded under that id; the notebook's next cell,
``check("that-id")``, grades the recorded answer. Reference solutions (``solve("that-id")``
with ``SOLUTIONS=True``) set the answer the same way, through :func:`set_answer`, which also
moves the live widget so the notebook shows the solved state.
"""
from __future__ import annotations

#: The latest answer per check id (what the student's widget shows now).
ANSWERS: dict[str, object] = {}
#: The live widget per check id (the last one created wins, as when a cell is re-run).
WIDGETS: dict[str, object] = {}

_MISSING = object()


def register(check_id: str, widget) -> None:
    WIDGETS[check_id] = widget


def record(check_id: str, value) -> None:
    """Record ``value`` as the answer to ``check_id`` (called by the widget on every change)."""
    ANSWERS[check_id] = value
    try:
        from labkit import grading
    except ImportError:  # the grading package is optional for the widgets themselves
        return
    hook = getattr(grading, "record_answer", None)
    if hook is not None:
        hook(check_id, value)


def answer(check_id: str, default=None):
    """The recorded answer to ``check_id`` (``default`` when the student has not answered)."""
    return ANSWERS.get(check_id, default)


def set_answer(check_id: str, value) -> None:
    """Set the answer programmatically (reference solutions): moves the widget if one exists."""
    widget = WIDGETS.get(check_id)
    if widget is not None:
        widget.set_value(value)  # the widget records it
    else:
        record(check_id, value)


def clear() -> None:
    ANSWERS.clear()
    WIDGETS.clear()
