"""The check registry: official checks, identified by a stable id, live in the library.

A course author writes, in ``labkit/course_checks/<module>.py``::

    from labkit.grading import register_check

    @register_check("deploy-rollback", points=2, notebook="04-workloads/02-deployments",
                    title="Roll back a bad rollout", cluster=["deployments", "replicasets"])
    def _(ctx):
        r = ctx.result()
        dep = ctx.cluster.get("deployment", "web")
        ...
        return r

The notebook then only says ``check("deploy-rollback")``. Because the check's code, points and
expected answers are here and not in the notebook, editing a notebook cell cannot weaken a
check, and the grader re-runs exactly this function by id.

What a check needs as evidence is declared up front, so the same evidence can be recorded while
the student works and re-checked later by the grader:

* ``answers=("utilisation", "servers")``: notebook variables to read (by name);
  answers recorded with :func:`labkit.grading.answer` or by a quiz widget are always included;
* ``cluster=True`` (every object) or ``cluster=["deployments", ...]`` (only those kinds):
  the cluster state the check inspects; ``False`` (default) for pure answer checks.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class Check:
    """A registered check: the function plus what it is worth and what it needs."""

    id: str
    fn: object
    points: float = 1.0
    notebook: str | None = None
    title: str = ""
    answers: tuple = ()
    cluster: object = False          # False, True, or a tuple of kind names
    timeout: float | None = None     # the grader's limit for this check (seconds)
    module: str = ""
    order: int = field(default=0, compare=False)

    @property
    def needs_cluster(self) -> bool:
        return bool(self.cluster)

    @property
    def kinds(self) -> tuple | None:
        """The kinds to record, or None for "every object"."""
        if self.cluster is True:
            return None
        return tuple(self.cluster) if self.cluster else ()


#: id -> Check. Registering an id again replaces it (a re-run cell, or an instructor's
#: private checks module overriding a public check).
REGISTRY: dict[str, Check] = {}
_counter = [0]


def register_check(check_id: str, points: float = 1, notebook: str | None = None,
                   title: str = "", answers=(), cluster=False, timeout: float | None = None):
    """Decorator registering ``fn(ctx) -> Result`` as the official check ``check_id``."""
    if not isinstance(check_id, str) or not _ID_RE.match(check_id):
        raise ValueError(f"check id {check_id!r}: use lower-case letters, digits, '-', '_' or '.'")
    if isinstance(answers, str):
        answers = (answers,)
    if cluster and cluster is not True:
        cluster = (cluster,) if isinstance(cluster, str) else tuple(cluster)

    def decorate(fn):
        _counter[0] += 1
        REGISTRY[check_id] = Check(check_id, fn, float(points),
                                   notebook_id(notebook) if notebook else None, title,
                                   tuple(answers), cluster, timeout,
                                   getattr(fn, "__module__", ""), _counter[0])
        return fn
    return decorate


def notebook_id(path_or_id) -> str:
    """A notebook's id: ``<module folder>/<notebook name>``, e.g.
    ``course/04-workloads/02-deployments.ipynb`` -> ``04-workloads/02-deployments`` (an id is
    returned as it is)."""
    text = str(path_or_id).replace("\\", "/")
    is_path = text.endswith((".ipynb", ".py"))
    for suffix in (".ipynb", ".py"):
        text = text.removesuffix(suffix)
    text = text.strip("/")
    if is_path or "course/" in text:
        text = "/".join(text.split("/")[-2:])
    return text


def get_check(check_id: str) -> Check:
    """The registered check, loading the course checks on first use."""
    if check_id not in REGISTRY:
        load_course_checks()
    try:
        return REGISTRY[check_id]
    except KeyError:
        from labkit.course_checks import ERRORS
        broken = "".join(f"; {name} failed to load ({err})" for name, err in sorted(ERRORS.items()))
        raise KeyError(f"no check is registered with the id {check_id!r}{broken}") from None


def checks_for(notebook: str) -> list[Check]:
    """Every check registered for a notebook, in registration order."""
    load_course_checks()
    nid = notebook_id(notebook)
    return sorted((c for c in REGISTRY.values() if c.notebook == nid), key=lambda c: c.order)


_loaded = {"course": False}


def load_course_checks(extra=(), force: bool = False) -> list[str]:
    """Import every module of :mod:`labkit.course_checks`, then each ``extra`` module (a dotted
    name or a path to a ``.py`` file, e.g. an instructor's private checks that override public
    ones). Returns the module names imported."""
    names = []
    if force or not _loaded["course"]:
        _loaded["course"] = True
        from labkit import course_checks
        names += course_checks.load_all()
    for item in extra:
        names.append(import_checks_module(item))
    return names


def import_checks_module(item) -> str:
    """Import a checks module by dotted name or file path (its checks register themselves)."""
    text = str(item)
    if text.endswith(".py") or "/" in text:
        path = Path(text).resolve()
        name = "labkit_extra_checks_" + re.sub(r"\W", "_", path.stem)
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import checks from {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return name
    importlib.import_module(text)
    return text


def iter_submodules(package) -> list[str]:
    """Dotted names of a package's modules, sorted (deterministic registration order)."""
    return [f"{package.__name__}.{info.name}"
            for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name)
            if not info.name.startswith("_")]
