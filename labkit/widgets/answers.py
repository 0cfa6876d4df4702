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


# -- grading helpers shared by the course's quiz checks ---------------------------------------

def score_choices(answer, key: dict) -> tuple[int, list]:
    """Compare ``{item: choice}`` with ``key`` (``{item: correct}`` or ``{item: (correct,
    hint)}``). Returns ``(number right, [items wrong or missing, in key order])``."""
    answer = answer or {}
    right, wrong = 0, []
    for item, want in key.items():
        correct = want[0] if isinstance(want, tuple) else want
        if answer.get(item) == correct:
            right += 1
        else:
            wrong.append(item)
    return right, wrong


def choices_feedback(answer, key: dict, noun: str = "items") -> tuple[bool, str]:
    """``(passed, message)`` for a classify/matching answer. The message says how many are
    right and gives the hint of the first wrong item (never the answer itself)."""
    if not answer:
        return False, f"No answer yet: choose an option for each of the {len(key)} {noun} above."
    right, wrong = score_choices(answer, key)
    if not wrong:
        return True, f"All {len(key)} {noun} are right."
    missing = [i for i in wrong if i not in answer]
    msg = f"{right} of {len(key)} {noun} right."
    if missing:
        msg += f" {len(missing)} still unanswered."
    first = next((i for i in wrong if i in answer), None)
    if first is not None:
        hint = key[first][1] if isinstance(key[first], tuple) else ""
        msg += f' Look again at "{first}"' + (f": {hint}" if hint else ".")
    return False, msg


def grade_choices(result, answer, key: dict, noun: str = "items"):
    """Fill a grading ``Result`` for a classify/matching answer with partial credit: one part
    worth the number of right items, one worth the number still wrong (with a hint taken from
    the first wrong item), so the score is proportional without naming the right bucket."""
    right, wrong = score_choices(answer, key)
    passed, message = choices_feedback(answer, key, noun)
    if not wrong:
        result.part(message, True, points=len(key))
        return result
    if right:
        result.part(f"{right} of {len(key)} {noun} right", True, points=right)
    first = next((i for i in wrong if i in (answer or {})), None)
    hint = ""
    if first is not None and isinstance(key[first], tuple):
        hint = f'look again at "{first}": {key[first][1]}'
    elif first is not None:
        hint = f'look again at "{first}"'
    unanswered = sum(1 for i in wrong if i not in (answer or {}))
    text = f"{len(wrong)} of {len(key)} {noun} not right yet"
    if unanswered:
        text += f" ({unanswered} unanswered)"
    result.part(text, False, points=len(wrong), hint=hint)
    return result


def solution_of(key: dict) -> dict:
    """The ``{item: correct}`` answer of a key (for reference solutions)."""
    return {item: (want[0] if isinstance(want, tuple) else want) for item, want in key.items()}


def grade_multi(result, answer, truth, what: str):
    """Fill a ``Result`` for a multiple-answer question: one part for the right ticks (worth
    one point per true option), one for wrongly ticked options."""
    chosen, truth = set(answer or ()), set(truth)
    hits, wrong = len(chosen & truth), len(chosen - truth)
    result.part(f"{hits} of {len(truth)} {what}s ticked", hits == len(truth), points=len(truth),
                hint=f"some {what}s are not ticked yet")
    result.part("nothing false ticked", wrong == 0, message=f"{wrong} ticked wrongly" if wrong else "")
    return result


def grade_ordering(result, answer, truth, hint: str):
    """Fill a ``Result`` for an ordering question (all or nothing, says how many are placed)."""
    right = sum(a == b for a, b in zip(list(answer or ()), truth))
    result.part(f"{right} of {len(truth)} in the right place", right == len(truth), hint=hint)
    return result


def _register(check_id, points, notebook, title, grade, solved):
    from labkit.grading import register_check
    from labkit.solutions import solution

    @register_check(check_id, points=points, notebook=notebook, title=title)
    def _check(ctx):
        return grade(ctx.result(), ctx.answer())

    @solution(check_id)
    def _solve(ns):
        set_answer(check_id, solved)
    return _check


def register_quiz(check_id: str, key: dict, noun: str, points: float, notebook: str,
                  title: str = ""):
    """Register a classify/matching check graded against ``key`` (partial credit, see
    :func:`grade_choices`) and its reference solution (which moves the widget)."""
    return _register(check_id, points, notebook, title,
                     lambda r, a: grade_choices(r, a, key, noun), solution_of(key))


def register_multi(check_id: str, truth: list, what: str, points: float, notebook: str,
                   title: str = ""):
    """Register a multiple-answer check (the true options are ``truth``) and its solution."""
    return _register(check_id, points, notebook, title,
                     lambda r, a: grade_multi(r, a, truth, what), list(truth))


def register_ordering(check_id: str, truth: list, hint: str, points: float, notebook: str,
                      title: str = ""):
    """Register an ordering check (the right order is ``truth``) and its solution."""
    return _register(check_id, points, notebook, title,
                     lambda r, a: grade_ordering(r, a, truth, hint), list(truth))


def close(value, want: float, rel: float = 0.005) -> bool:
    """``value`` is a number within ``rel`` (relative, at least absolute 0.005) of ``want``."""
    try:
        return abs(float(value) - want) <= rel * max(1.0, abs(want))
    except (TypeError, ValueError):
        return False
