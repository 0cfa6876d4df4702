"""Reference solutions for the course's exercises, run only when a notebook asks for them.

Each notebook has a papermill ``parameters`` cell with ``SOLUTIONS = False``. Its next cell
calls ``setup(SOLUTIONS, SEED)``. Every exercise cell ends with ``solve("exercise-id")``:

* for a student (``SOLUTIONS = False``) it does nothing and prints nothing;
* for the course's own tests (``papermill -p SOLUTIONS True``) it runs the registered
  reference solution, which fills in the answer (a variable in the notebook, a widget's
  answer, or objects applied to the cluster), so the following ``check(...)`` cell passes.

Solutions are registered next to their checks, in ``labkit/course_checks/mNN_*.py``::

    @solution("m01-eras-utilisation")
    def _(ns):                      # ns: the notebook's global namespace
        ns["utilisation"] = 0.35

Keeping them in the library (not in hidden notebook cells) means a student's copy of the
notebook holds no answers, and the tests can prove every exercise is solvable.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys

REGISTRY: dict = {}
_state = {"enabled": False, "seed": 0}


def solution(check_id: str):
    """Register ``fn(ns)`` as the reference solution of ``check_id``."""
    def register(fn):
        REGISTRY[check_id] = fn
        return fn
    return register


def setup(solutions: bool = False, seed: int = 0) -> None:
    """Called once per notebook with its papermill parameters."""
    from labkit.grading.student import grading_active
    _state["enabled"] = bool(solutions) and not grading_active()  # never while being graded
    _state["seed"] = int(seed)


def enabled() -> bool:
    return _state["enabled"]


def load_all() -> None:
    """Import every module of :mod:`labkit.course_checks` (which registers the solutions)."""
    try:
        package = importlib.import_module("labkit.course_checks")
    except ImportError:
        return
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")


def _namespace(depth: int = 2) -> dict:
    try:
        from IPython import get_ipython
        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:  # pragma: no cover - IPython comes with ipykernel
        pass
    return sys._getframe(depth).f_globals


def solve(check_id: str) -> None:
    """Run the reference solution of ``check_id`` when solutions are enabled; else nothing."""
    if not _state["enabled"]:
        return None
    if check_id not in REGISTRY:
        load_all()
    if check_id not in REGISTRY:
        raise KeyError(f"no reference solution registered for {check_id!r}")
    REGISTRY[check_id](_namespace())
    return None
