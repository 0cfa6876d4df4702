"""The student side: ``check("id")`` in a notebook, and the evidence it leaves for the grader.

    from labkit.grading import check, answer
    utilisation = 0.19
    check("m01-utilisation")          # shows ✓/✗ per part, points and hints

``check`` looks the id up in the registry (the official check, not anything in the notebook),
gathers the evidence the check declared (notebook variables, recorded answers, the cluster's
objects), evaluates the check on that evidence and displays the result. The output carries:

* ``text/plain`` and ``text/html``: a deterministic rendering (what GitHub and nbval see);
* metadata ``{"labkit": {"check": id, "points": x, "max": y, "parts": [...], ...}}``: a
  machine-readable copy, for tools. The grader never trusts it (it re-evaluates).

Grading mode (set by ``labkit grade`` through environment variables): every check also appends
its evidence to the grader's evidence file, so a kernel that dies later still leaves evidence for
the checks already run; the grader's own last cell calls :func:`record_final`.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys

from .evaluate import evaluate_check
from .evidence import encode, export_cluster
from .registry import get_check

ENV_GRADING = "LABKIT_GRADING"
ENV_RECORD = "LABKIT_GRADING_RECORD"
ENV_SPEC = "LABKIT_GRADING_SPEC"

#: Answers recorded with :func:`answer` or by quiz widgets: name -> live value.
ANSWERS: dict = {}
#: The latest result of each check run in this session (what :func:`progress` shows).
RESULTS: dict = {}
#: How many times each check was run (recorded as evidence: a brute-force signal).
ATTEMPTS: dict = {}
_state = {"cluster": None, "seq": 0, "last_objects": None, "listeners": []}


# -- configuration -----------------------------------------------------------------------------
def set_cluster(cluster) -> None:
    """Use ``cluster`` for cluster checks (default: the one :func:`labkit.connect` returned)."""
    _state["cluster"] = cluster


def current_cluster():
    """The cluster checks look at, or None (never creates one)."""
    if _state["cluster"] is not None:
        return _state["cluster"]
    connect_module = sys.modules.get("labkit.connect")  # (labkit.connect is also a function)
    return getattr(connect_module, "_current", None) if connect_module else None


def grading_active() -> bool:
    """True while ``labkit grade`` runs this notebook."""
    return os.environ.get(ENV_GRADING, "").lower() in ("1", "true", "yes")


def answer(name: str, value):
    """Record ``value`` as the answer called ``name`` (for checks that read recorded answers
    rather than a notebook variable). Returns ``value``."""
    ANSWERS[name] = value
    return value


def record_answer(check_id: str, value) -> None:
    """Called by quiz widgets on every change: the answer to ``check_id`` is ``value``."""
    ANSWERS[check_id] = value


def reset() -> None:
    """Forget answers, results and the chosen cluster (tests; a fresh notebook session)."""
    ANSWERS.clear()
    RESULTS.clear()
    ATTEMPTS.clear()
    _state.update(cluster=None, seq=0, last_objects=None, listeners=[])


def on_result(listener) -> None:
    """Call ``listener(result)`` after every check (the progress widget listens)."""
    _state["listeners"].append(listener)


# -- the two calls -----------------------------------------------------------------------------
def evaluate(check_id: str, cluster=None, namespace: dict | None = None):
    """Evaluate the official check ``check_id`` now and return its Result (no display)."""
    chk = get_check(check_id)
    ns = namespace if namespace is not None else _user_namespace()
    evidence = gather(chk.answers + (chk.id,), chk.kinds if chk.needs_cluster else (), ns,
                      cluster, chk.needs_cluster)
    ATTEMPTS[check_id] = ATTEMPTS.get(check_id, 0) + 1
    if grading_active():
        _append({"type": "check", "check": check_id, "attempt": ATTEMPTS[check_id]}, evidence,
                 extra=_spec_names(check_id), ns=ns)
    result = evaluate_check(chk, evidence, mode="student")
    RESULTS[check_id] = result
    for listener in list(_state["listeners"]):
        try:
            listener(result)
        except Exception:  # noqa: BLE001 - a broken display must not break the check
            pass
    return result


def check(check_id: str, points=None, *, cluster=None, namespace: dict | None = None) -> None:
    """Evaluate the official check ``check_id`` and display the result (✓/✗ per part, points,
    hints). ``points`` is informational only: the registered check decides what it is worth."""
    del points
    result = evaluate(check_id, cluster=cluster, namespace=namespace)
    meta = result.to_metadata()
    if check_id in ANSWERS:
        # A quiz widget's answer lives only in this kernel: re-running the notebook cannot
        # reproduce it. Saved with the output, the grader can re-check it (as an answer).
        meta["answer"] = encode(ANSWERS[check_id])
    _display(result, meta)


def _display(result, meta: dict) -> None:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        print(repr(result))
        return
    display(result, metadata={"labkit": meta})


# -- evidence ----------------------------------------------------------------------------------
def gather(names, kinds, ns: dict, cluster=None, needs_cluster: bool = False) -> dict:
    """``{"answers": {name: encoded value}, "objects": [...] | None}`` for these names/kinds."""
    answers = {}
    for name in names:
        if name in ANSWERS:
            answers[name] = encode(ANSWERS[name])
        elif name in ns and not callable(ns[name]):
            answers[name] = encode(ns[name])
    objects = None
    if needs_cluster:
        c = cluster if cluster is not None else current_cluster()
        if c is not None:
            objects = export_cluster(c, kinds)
    return {"answers": answers, "objects": objects}


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython
        shell = get_ipython()
        if shell is not None:
            return shell.user_ns
    except ImportError:  # pragma: no cover
        pass
    frame = sys._getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("labkit."):
        frame = frame.f_back
    return frame.f_globals if frame is not None else {}


def _spec() -> dict:
    try:
        spec = json.loads(os.environ.get(ENV_SPEC, "") or "{}")
    except ValueError:
        return {}
    return spec if isinstance(spec, dict) else {}


def _spec_names(check_id: str) -> tuple:
    """Extra answer names the grader asked to record for this check (its private checks may
    read variables the public check does not)."""
    entry = (_spec().get("checks") or {}).get(check_id) or {}
    return tuple(entry.get("answers") or ())


def _append(header: dict, evidence: dict, extra=(), ns=None) -> None:
    """Append one evidence line to the grader's file (one write + flush: a later crash keeps it)."""
    path = os.environ.get(ENV_RECORD)
    if not path:
        return
    answers = dict(evidence["answers"])
    if extra and ns is not None:
        answers.update({k: v for k, v in gather(extra, (), ns)["answers"].items()
                        if k not in answers})
    objects = evidence["objects"]
    _state["seq"] += 1
    line = {**header, "seq": _state["seq"], "answers": answers}
    if objects is not None:
        blob = json.dumps(objects, sort_keys=True, default=str)
        digest = hashlib.sha256(blob.encode()).hexdigest()
        last = _state["last_objects"]
        if last and last[0] == digest:
            line["objects_same_as"] = last[1]
        else:
            line["objects"] = objects
            _state["last_objects"] = (digest, _state["seq"])
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(line, default=str) + "\n")
        f.flush()


def record_final() -> None:
    """The grader's last cell: record the final answers and cluster state for every check of
    the notebook (covers deleted check cells). Prints nothing."""
    if not grading_active():
        return
    checks = _spec().get("checks") or {}
    names, kinds, needs_cluster = [], set(), False
    for cid, entry in checks.items():
        names += [cid, *(entry.get("answers") or ())]
        cl = entry.get("cluster")
        if cl:
            needs_cluster = True
            kinds = None if (cl is True or kinds is None) else kinds | set(cl)
    ns = _user_namespace()
    evidence = gather(list(dict.fromkeys(names)), None if kinds is None else sorted(kinds), ns,
                      None, needs_cluster)
    _append({"type": "final"}, evidence)
