"""Graded checks: instant feedback for students, a trustworthy gradebook for instructors.

Student side (in a notebook)::

    from labkit.grading import check, answer, progress
    check("m01-utilisation")          # evaluate the official check, show ✓/✗, points, hints
    progress()                        # which exercises of this notebook pass

Course authors (``labkit/course_checks/<module>.py``)::

    from labkit.grading import register_check

    @register_check("m01-utilisation", points=2, notebook="01-cloud-native/02-deployment-eras",
                    answers=("utilisation",))
    def _(ctx):
        r = ctx.result()
        r.part("utilisation is 0.19", ctx.close_to(ctx.answer("utilisation"), 0.1875))
        return r

Instructors: ``labkit grade SUBMISSIONS... --out DIR`` or :func:`grade_batch` (see
``docs/grading.md``: how grading works and what it does and does not protect against).
"""
from .evaluate import CheckContext, Unanswered, as_number, evaluate_check
from .evidence import ObjectsView
from .progress import progress
from .registry import Check, checks_for, get_check, load_course_checks, register_check
from .result import Part, Result
from .student import (answer, check, evaluate, grading_active, record_answer, record_final,
                      set_cluster)


def grade_batch(*args, **kwargs):
    """Grade submissions; returns the gradebook as a DataFrame (see :mod:`labkit.grading.batch`)."""
    from .batch import grade_batch as run
    return run(*args, **kwargs)


__all__ = ["check", "evaluate", "answer", "record_answer", "record_final", "progress",
           "set_cluster", "grading_active", "register_check", "get_check", "checks_for",
           "load_course_checks", "Check", "CheckContext", "Unanswered", "Result", "Part",
           "ObjectsView", "as_number", "evaluate_check", "grade_batch"]
