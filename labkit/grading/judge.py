"""Score one executed submission (run as ``python -m labkit.grading.judge JOB.json``).

The judge never reads a score written by the student's notebook. It re-runs the official
checks, by id, on the *evidence* recorded while the notebook ran, and reads the executed
notebook only to explain what happened (errors, timeouts, deleted check cells, forged outputs).

Evidence for a check, in order of preference (the best score wins, so a student is never
penalised for the grader's choice):

1. what the check's own cell recorded the last time it ran ("at its check cell");
2. the final state, recorded by the grader's last cell ("at the end of the notebook"), or, when
   the notebook never got there (kernel died, timeout), the last state recorded before it
   stopped;
3. for quizzes: the answer saved with the check's output in the submitted notebook (a widget's
   answer exists only in the student's kernel, so re-running cannot reproduce it).

Only the *last* run of a check cell counts (not the best of all runs): re-running a check in a
loop with different answers gains nothing. Each check has its own time limit; a check that
times out or fails scores 0 for that check only. Results are written check by check, so if the
judge itself is killed the checks already scored are kept.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .evaluate import evaluate_check
from .evidence import read_record
from .registry import get_check, load_course_checks

_CHECK_CALL = re.compile(r"""\bcheck\(\s*(?:check_id\s*=\s*)?["']([A-Za-z0-9._-]+)["']""")
_WRITTEN_BY_CHECK = {"type", "check", "attempt", "seq", "answers", "objects", "objects_same_as"}
FINAL_TAG = "labkit-grader-final"
NO_EVIDENCE = {"answers": {}, "objects": None}


# -- evidence ----------------------------------------------------------------------------------
def clean_records(records: list[dict]) -> list[dict]:
    """Keep well-formed records; resolve ``objects_same_as`` references."""
    out, by_seq = [], {}
    for rec in records:
        answers = rec.get("answers")
        objects = rec.get("objects")
        if "objects" not in rec and "objects_same_as" in rec:
            objects = by_seq.get(rec.get("objects_same_as"))
        if not isinstance(answers, dict):
            answers = {}
        if not isinstance(objects, list):
            objects = None
        if objects is not None and isinstance(rec.get("seq"), int):
            by_seq[rec["seq"]] = objects
        out.append({"type": rec.get("type"), "check": rec.get("check"),
                    "answers": answers, "objects": objects})
    return out


def merged_state(records: list[dict]) -> dict:
    """The latest value of every recorded answer and the latest cluster state."""
    answers, objects = {}, None
    for rec in records:
        answers.update(rec["answers"])
        if rec["objects"] is not None:
            objects = rec["objects"]
    return {"answers": answers, "objects": objects}


def candidates(check_id: str, records: list[dict], saved=None) -> list[tuple[str, dict]]:
    own = [r for r in records if r["type"] == "check" and r["check"] == check_id]
    finals = [r for r in records if r["type"] == "final"]
    out = []
    if own:
        out.append(("at its check cell", own[-1]))
    if finals:
        out.append(("at the end of the notebook", finals[-1]))
    elif records:
        out.append(("recorded last, before the notebook stopped",
                    merged_state(records)))
    if saved and check_id in saved:  # a quiz answer saved with the submitted notebook
        base = out[-1][1] if out else NO_EVIDENCE
        out.append(("of the answer saved in the submitted notebook",
                    {**base, "answers": {**base["answers"], check_id: saved[check_id]}}))
    return out


def score_check(check_id: str, records: list[dict], time_limit: float, saved=None) -> dict:
    chk = get_check(check_id)
    best = None
    for label, evidence in candidates(check_id, records, saved) or [("no evidence", NO_EVIDENCE)]:
        limit = chk.timeout or time_limit
        result = evaluate_check(chk, evidence, mode="grader", time_limit=limit)
        if best is None or result.score > best[1].score:
            best = (label, result)
    label, result = best
    data = result.to_metadata()
    data["evidence"] = label
    return data


def zero(check_id: str, note: str, evidence: str = "none") -> dict:
    """A 0-point result for a check that could not be evaluated, with the reason."""
    chk = get_check(check_id)
    return {"check": check_id, "title": chk.title, "points": 0.0, "max": chk.points,
            "passed": False, "status": "failed", "message": note, "note": note, "parts": [],
            "evidence": evidence}


# -- reading the executed notebook ---------------------------------------------------------------
def analyse_notebook(path: Path) -> dict:
    """Errors, timeouts, where the run stopped, which cells call which checks, labkit outputs.
    Cells are numbered as in the submitted notebook (papermill's injected cell is skipped).
    Without an executed notebook (the runner was killed) the sources come from the prepared
    input and the running cell from papermill's progress note."""
    info = {"errors": [], "timeouts": [], "stopped_at": None, "last_started": None,
            "calls": {}, "outputs": {}, "final_ran": False, "cells": 0}
    source_path = path if path.exists() else path.with_name("input.ipynb")
    try:
        nb = json.loads(source_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return info
    cells = nb.get("cells") or []
    numbers, number = [], 0  # as the student sees them: papermill's injected cell is skipped
    for cell in cells:
        tags = (cell.get("metadata") or {}).get("tags") or []
        added = "injected-parameters" in tags or "papermill-error-cell-tag" in tags
        number += 0 if added else 1
        numbers.append(number)
    info["cells"] = number
    if not path.exists():
        try:
            info["stopped_at"] = json.loads(Path(str(path) + ".progress").read_text())["running"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    for number, cell in zip(numbers, cells):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata") or {}
        if "injected-parameters" in (meta.get("tags") or []):
            continue
        source = "".join(cell.get("source") or "")
        if FINAL_TAG in (meta.get("tags") or []):
            info["final_ran"] = (meta.get("papermill") or {}).get("status") == "completed"
            continue
        pm = meta.get("papermill") or {}
        started = pm.get("start_time") is not None
        if pm.get("status") == "running" and info["stopped_at"] is None:
            info["stopped_at"] = number
        if started:
            info["last_started"] = number
        errored = False
        for out in cell.get("outputs") or []:
            if out.get("output_type") == "error":
                errored = True
                entry = (number, out.get("ename", "Error"), str(out.get("evalue", ""))[:160])
                timed_out = entry[1] in ("CellTimeoutError", "KeyboardInterrupt")
                (info["timeouts"] if timed_out else info["errors"]).append(entry)
            lab = (out.get("metadata") or {}).get("labkit")
            if isinstance(lab, dict) and isinstance(lab.get("check"), str):
                info["outputs"][lab["check"]] = info["outputs"].get(lab["check"], 0) + 1
        for cid in _CHECK_CALL.findall(source):
            info["calls"].setdefault(cid, []).append(
                {"cell": number, "ran": started and pm.get("status") == "completed"
                 and not errored})
    return info


def _cells(entries) -> str:
    return ", ".join(f"cell {n} ({e}{': ' + v if v else ''})" for n, e, v in entries[:4]) + \
        (f" and {len(entries) - 4} more" if len(entries) > 4 else "")


def explain(expected: list[str], nb: dict, records: list[dict], raw_records: list[dict],
            bad_lines: int, execution: dict) -> tuple[str, list[str]]:
    """``(status, notes)``: what happened, in sentences a student can act on."""
    notes, status = [], "ok"
    seen = {r["check"] for r in records if r["type"] == "check"}
    called = set(nb["calls"])
    state = execution.get("status", "completed")
    if state != "completed" and not nb["stopped_at"]:
        nb["stopped_at"] = nb["last_started"]
    if not (called & set(expected)) and not (seen & set(expected)) and expected:
        others = sorted(called | seen)
        notes.append("this does not look like the expected notebook: none of its checks ("
                     + ", ".join(expected) + ") is called"
                     + (f"; it calls {', '.join(others)}" if others else ""))
        status = "wrong-notebook"
    if state == "timeout":
        where = f" (cell {nb['stopped_at']})" if nb["stopped_at"] else ""
        why = execution.get("reason") or \
            f"the notebook ran longer than {execution.get('limit', '?')} s"
        notes.append(f"{why}{where}: the run was stopped there; later checks were graded on "
                     "the last recorded state")
        status = status if status != "ok" else "timeout"
    elif state in ("kernel-died", "error"):
        where = f" while running cell {nb['stopped_at']}" if nb["stopped_at"] else ""
        notes.append(f"{execution.get('reason', 'the run failed')}{where}; later checks were "
                     "graded on the last recorded state")
        if status == "ok":
            status = "kernel-died" if state == "kernel-died" else "grader-error"
    if nb["timeouts"]:
        notes.append("interrupted for running too long: "
                     + ", ".join(f"cell {n}" for n, _e, _v in nb["timeouts"]))
        status = status if status != "ok" else "timeout"
    if nb["errors"]:
        notes.append("cells that raised an error: " + _cells(nb["errors"]))
        status = status if status != "ok" else "errors"
    if status != "wrong-notebook":
        for cid in expected:
            calls = nb["calls"].get(cid, [])
            if not calls:
                notes.append(f"no cell calls check(\"{cid}\") (deleted or renamed?): it was "
                             "graded on the recorded state")
            elif cid not in seen and any(c["ran"] for c in calls):
                notes.append(f"the check(\"{cid}\") cell ran but recorded no evidence "
                             "(was check redefined?): it was graded on the recorded state")
    counts = {}
    for r in records:
        if r["type"] == "check":
            counts[r["check"]] = counts.get(r["check"], 0) + 1
    forged = sorted(c for c, n in nb["outputs"].items() if n > counts.get(c, 0))
    if forged:
        notes.append("outputs claiming results the checks did not produce were ignored ("
                     + ", ".join(forged) + ")")
    extra = sorted({k for r in raw_records for k in r} - _WRITTEN_BY_CHECK)
    if extra:
        notes.append("the evidence file holds fields check() never writes ("
                     + ", ".join(extra[:5]) + "): ignored")
    if bad_lines:
        notes.append(f"{bad_lines} unreadable line(s) in the evidence file were ignored")
    return status, notes


# -- the job -------------------------------------------------------------------------------------
def judge(job: dict) -> dict:
    work = Path(job["workdir"])
    load_course_checks(job.get("checks_modules") or ())
    execution = job.get("execution") or {}
    expected = list(job["expected"])
    try:
        raw, bad = read_record(job["record"])
    except ValueError as e:
        raw, bad = [], 0
        execution = {**execution, "evidence_error": str(e)}
    records = clean_records(raw)
    if execution.get("status") == "invalid":
        reason = execution.get("reason", "not a notebook")
        return {"status": "invalid", "notes": [reason],
                "checks": {c: zero(c, f"not graded: {reason}") for c in expected}}
    try:
        saved = json.loads((work / "saved_answers.json").read_text())
        saved = saved if isinstance(saved, dict) else {}
    except (OSError, ValueError):
        saved = {}
    partial = work / "judge.partial.jsonl"
    scores = {}
    with open(partial, "w") as f:
        for cid in expected:
            scores[cid] = score_check(cid, records, float(job.get("check_timeout", 10)), saved)
            f.write(json.dumps(scores[cid]) + "\n")
            f.flush()
    nb = analyse_notebook(work / "executed.ipynb")
    status, notes = explain(expected, nb, records, raw, bad, execution)
    if execution.get("evidence_error"):
        notes.append(execution["evidence_error"])
    attempts = {}
    for r in raw:
        if r.get("type") == "check" and isinstance(r.get("check"), str):
            attempts[r["check"]] = attempts.get(r["check"], 0) + 1
    return {"status": status, "notes": notes, "checks": scores, "attempts": attempts}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text())
    result = judge(job)
    Path(job["workdir"], "judge.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
