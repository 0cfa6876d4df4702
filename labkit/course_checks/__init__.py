"""The course's official checks: one module per notebook (or per course module), each
registering its checks with :func:`labkit.grading.register_check` (and, next to them, the
reference solutions with :func:`labkit.solutions.solution`).

Nothing here is secret: students can read these files. Checks are protected against being
*weakened* (a notebook cannot change them), not against being *read*. An instructor who wants
checks students cannot see passes a private module to the grader
(``labkit grade --checks my_private_checks.py``); a check registered there with the same id
replaces the public one for grading.

:func:`load_all` imports every module here, in name order (deterministic registration order).
"""
from __future__ import annotations

import importlib


def load_all() -> list[str]:
    """Import every checks module of this package; returns their dotted names."""
    from labkit.grading.registry import iter_submodules
    import labkit.course_checks as package
    names = iter_submodules(package)
    for name in names:
        importlib.import_module(name)
    return names
