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


#: Modules that failed to import: dotted name -> "ErrorType: message". One broken module must
#: not take every other notebook's checks down with it; the error is reported when one of its
#: checks is asked for.
ERRORS: dict[str, str] = {}


def load_all() -> list[str]:
    """Import every checks module of this package; returns the names imported."""
    from labkit.grading.registry import iter_submodules
    import labkit.course_checks as package
    loaded = []
    for name in iter_submodules(package):
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception as e:  # noqa: BLE001 - reported by get_check
            ERRORS[name] = f"{type(e).__name__}: {e}"
    return loaded
