"""Running one check on one piece of evidence: the context a check sees, and its safety net.

:func:`evaluate_check` is the only place a check function is called, for the student
(``check(...)`` in a notebook) and for the grader alike. Whatever the check function does,
it returns a :class:`~labkit.grading.result.Result`:

* the student has not answered yet (``ctx.answer("x")`` found nothing) -> 0 points, "Not
  answered yet";
* the check needs the cluster but no cluster was connected -> 0 points, a clear message;
* the check raises on an unexpected answer (a string where a number was expected) -> 0 points
  and the exception's type and message (never the check's code);
* the check runs past its time limit (grader only) -> 0 points, "took longer than N s".
"""
from __future__ import annotations

import math
import signal
import threading
from contextlib import contextmanager

from .evidence import ObjectsView, decode
from .result import Result, coerce


class Unanswered(Exception):
    """Raised by :meth:`CheckContext.answer` when the student has not given an answer."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class NoCluster(Exception):
    """A cluster check was evaluated without any recorded cluster state."""


class CheckTimeout(BaseException):
    """The grader's per-check time limit ran out (a BaseException, so that a check's own
    ``except Exception`` cannot swallow it)."""


_MISSING = object()


class CheckContext:
    """What a check function receives as ``ctx``.

    * ``ctx.answers``: ``{name: value}``: the notebook variables the check declared, plus the
      answers recorded with :func:`labkit.grading.answer` or by quiz widgets (under the check's
      id);
    * ``ctx.answer(name)``: one answer; raises :class:`Unanswered` when missing or ``None``
      (the evaluator turns that into "Not answered yet");
    * ``ctx.cluster``: an :class:`~labkit.grading.evidence.ObjectsView` of the recorded cluster
      (``get(kind, name, namespace="default")``, ``list(kind, namespace=None,
      label_selector=None)``);
    * ``ctx.result()``: a new, empty :class:`~labkit.grading.result.Result`.
    """

    def __init__(self, check, answers: dict, objects=None, mode: str = "student"):
        self.check = check
        self.check_id = check.id
        self.answers = answers
        self._objects = objects
        self._view = None
        self.mode = mode
        self._results: list[Result] = []

    def answer(self, name: str | None = None, default=_MISSING):
        """The answer called ``name`` (default: the one recorded under this check's id)."""
        key = self.check_id if name is None else name
        value = self.answers.get(key)
        if value is None:
            if default is not _MISSING:
                return default
            raise Unanswered(key)
        return value

    @property
    def cluster(self) -> ObjectsView:
        if self._objects is None:
            raise NoCluster()
        if self._view is None:
            self._view = ObjectsView(self._objects)
        return self._view

    def result(self) -> Result:
        """A new, empty Result. (The context remembers it: if the check stops early because an
        answer is missing, the parts already decided are kept.)"""
        r = Result()
        self._results.append(r)
        return r

    @staticmethod
    def close_to(value, expected: float, tolerance: float = 0.01) -> bool:
        """``value`` is a number within ``tolerance`` (absolute) of ``expected``."""
        number = as_number(value)
        return number is not None and abs(number - expected) <= tolerance


def as_number(value) -> float | None:
    """``value`` as a finite float, or None (strings like "0.5" count; booleans do not)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def evaluate_check(check, evidence: dict, mode: str = "student",
                   time_limit: float | None = None) -> Result:
    """Run ``check`` on ``evidence`` (``{"answers": {...encoded...}, "objects": [...] | None}``).
    Never raises (except KeyboardInterrupt): every failure becomes a 0-point result."""
    answers = decode(evidence.get("answers") or {})
    if not isinstance(answers, dict):
        answers = {}
    objects = evidence.get("objects")
    ctx = CheckContext(check, answers, objects, mode)
    try:
        with time_limit_of(time_limit):
            result = coerce(check.fn(ctx))
    except Unanswered as e:
        result = ctx._results[-1] if ctx._results else Result()
        result.incomplete = True
        what = "your answer" if e.name == check.id else f"`{e.name}`"
        result.fail(f"{what} is not set yet",
                    hint="answer above, then run this check again" if e.name == check.id
                    else f"set {e.name} = ... in the exercise cell, run it, then run this check")
        if not any(p.passed for p in result.parts):
            result.note = "Not answered yet."
    except NoCluster:
        result = Result()
        result.fail("no cluster state to check",
                    hint="connect to a cluster first (c = labkit.connect()) and do the exercise")
        result.note = "This check looks at the cluster, but no cluster was connected."
    except CheckTimeout:
        result = Result()
        result.fail(f"the check took longer than {time_limit:g} s on this evidence")
        result.note = "The check ran out of time."
    except Exception as e:  # noqa: BLE001 - a check must never crash the notebook or the grader
        result = Result()
        result.part("the check could not read your answer", False,
                    message=f"{type(e).__name__}: {str(e)[:200]}",
                    hint="check the type and shape of your answer against the exercise text")
        result.note = "The check could not evaluate your work (see the message)."
    result.check_id, result.title, result.max_points = check.id, check.title, check.points
    return result


@contextmanager
def time_limit_of(seconds: float | None):
    """Raise :class:`CheckTimeout` in this thread after ``seconds`` (main thread only: uses
    SIGALRM, which interrupts pure-Python loops; elsewhere no limit is applied)."""
    usable = (seconds and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(_signum, _frame):
        raise CheckTimeout()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
