"""Execute one submission with papermill (run as ``python -m labkit.grading.execute JOB.json``).

The grader starts this in a child process of its own session, so that a hanging notebook can
be stopped by killing the whole process group (this process, the kernel and anything the
student's code started). What it does:

1. read the submission; a file that is empty, not JSON or not a notebook is reported as
   ``invalid`` without running anything;
2. keep the quiz answers saved with check outputs (``saved_answers.json``: answers given in a
   widget exist nowhere else), clear every stored output (outputs are never read for scores)
   and append the grader's last cell, ``record_final()``, which records the final answers and
   cluster state;
3. run it with papermill in the ``labkit-grader`` kernel, with the parameters ``SEED``,
   ``SOLUTIONS = False`` and ``LABKIT_GRADING = True`` injected after the ``parameters`` cell
   and the grading environment (evidence file, spec) set for the kernel. Errors do not stop the
   run (``allow_errors``): a broken exercise must not cost the later ones. A cell running
   longer than the cell timeout is interrupted and the run goes on;
4. write ``execution.json``: ``{"status": completed | kernel-died | timeout | invalid |
   error, ...}``;
5. when the job says so, score the run right away with :func:`labkit.grading.judge.judge`
   (the checks were imported before the kernel started, so nothing the notebook does to the
   files on disk changes them) and write ``judge.json``. If this process is killed (wall-clock
   timeout), the grader runs the judge in a fresh process instead.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024


def _skip_slow_imports() -> None:
    """nbformat imports jsonschema, which imports ``rfc3987_syntax`` when installed; that
    compiles a grammar at import time (about 5 s here, per process). Notebook validation never
    needs the IRI format it provides, so this process does without it."""
    sys.modules.setdefault("rfc3987_syntax", None)
FINAL_TAG = "labkit-grader-final"
FINAL_SOURCE = "import labkit.grading as _labkit_grading\n_labkit_grading.record_final()"


def load_submission(path: Path):
    """``(notebook, None)`` or ``(None, reason)`` for a file that is not a usable notebook."""
    import nbformat
    try:
        size = path.stat().st_size
    except OSError as e:
        return None, f"cannot read the file ({e.strerror})"
    if size == 0:
        return None, "the file is empty"
    if size > MAX_NOTEBOOK_BYTES:
        return None, f"the file is larger than {MAX_NOTEBOOK_BYTES >> 20} MB"
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text)
    except UnicodeDecodeError:
        return None, "the file is not text (not a notebook)"
    except ValueError as e:
        return None, f"the file is not valid JSON ({e})"
    if not isinstance(raw, dict) or "cells" not in raw:
        return None, "the file is JSON but not a Jupyter notebook (no cells)"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as e:  # noqa: BLE001 - any schema problem is the submission's
        return None, f"the notebook does not follow the notebook format ({str(e)[:200]})"
    return nb, None


def saved_answers(nb) -> dict:
    """``{check id: encoded answer}`` saved with check outputs in the submitted notebook: quiz
    widgets' answers, which only existed in the student's kernel. Evidence, never scores."""
    out = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            lab = output.get("metadata", {}).get("labkit")
            if isinstance(lab, dict) and isinstance(lab.get("check"), str) and "answer" in lab:
                out[lab["check"]] = lab["answer"]
    return out


def prepare(nb):
    """Clear outputs, drop cells the grader owns, append the grader's final cell."""
    import nbformat
    nb.cells = [c for c in nb.cells if FINAL_TAG not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    final = nbformat.v4.new_code_cell(FINAL_SOURCE)
    final.metadata["tags"] = [FINAL_TAG]
    nb.cells.append(final)
    nb.metadata["kernelspec"] = {"name": "labkit-grader", "display_name": "labkit grader",
                                 "language": "python"}
    return nb


_last = {}


def _progress_only(nb, path) -> None:
    """Stands in for papermill's save at every cell start and end (a full validated write each
    time costs about a second of CPU per notebook): it only notes which cell is running. The
    full notebook is written once at the end, or by :func:`run` when the run breaks off."""
    _last.update(nb=nb, path=path)
    number, running = 0, None
    for cell in nb.cells:
        meta = cell.get("metadata", {})
        if {"injected-parameters", "papermill-error-cell-tag"} & set(meta.get("tags", [])):
            continue                                   # numbered as the student sees them
        number += 1
        if meta.get("papermill", {}).get("status") == "running":
            running = number
    Path(str(path) + ".progress").write_text(json.dumps({"running": running}))


def run(job: dict) -> dict:
    import nbformat
    work = Path(job["workdir"])
    nb, reason = load_submission(Path(job["submission"]))
    if nb is None:
        return {"status": "invalid", "reason": reason}
    source = work / "input.ipynb"
    (work / "saved_answers.json").write_text(json.dumps(saved_answers(nb)))
    nbformat.write(prepare(nb), source)
    run_dir = work / "run"
    run_dir.mkdir(exist_ok=True)
    os.environ.update(job["env"])
    import papermill as pm
    import papermill.engines
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    papermill.engines.write_ipynb = _progress_only
    _last.clear()
    started = time.monotonic()
    out = {"status": "completed"}
    try:
        pm.execute_notebook(
            str(source), str(work / "executed.ipynb"), parameters=job["parameters"],
            kernel_name="labkit-grader", progress_bar=False, cwd=job.get("cwd") or str(run_dir),
            execution_timeout=job["cell_timeout"], start_timeout=job.get("start_timeout", 180),
            allow_errors=True, interrupt_on_timeout=True, shutdown_kernel="immediate",
            error_on_timeout={"ename": "CellTimeoutError",
                              "evalue": f"the cell ran longer than {job['cell_timeout']} s "
                                        "and was interrupted", "traceback": []})
    except pm.PapermillExecutionError:
        pass  # allow_errors: cells raised; the analysis lists them
    except DeadKernelError:
        out = {"status": "kernel-died", "reason": "the kernel died (sys.exit from a thread, "
                                                  "os._exit, a crash or running out of memory)"}
    except CellTimeoutError:
        out = {"status": "timeout", "reason": "a cell kept running after it was interrupted",
               "limit": job["cell_timeout"]}
    except Exception as e:  # noqa: BLE001 - report, never crash the batch
        out = {"status": "error", "reason": f"{type(e).__name__}: {str(e)[:300]}"}
    if out["status"] != "completed" and _last.get("nb") is not None:
        try:  # papermill did not get to write the executed notebook: write what ran
            nbformat.write(_last["nb"], _last["path"])
        except Exception:  # noqa: BLE001 - the explanation just has less detail
            pass
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def handle(job: dict) -> None:
    """Run one job: execute, write ``execution.json``, then (if asked) judge it here."""
    result = run(job)
    Path(job["workdir"], "execution.json").write_text(json.dumps(result))
    judge_job = job.get("judge")
    if judge_job:  # score right here; if this process is killed the grader judges separately
        from . import judge
        judge_job["execution"] = result
        Path(job["workdir"], "judge.json").write_text(json.dumps(judge.judge(judge_job), indent=1))


def serve(checks_modules) -> None:
    """Worker mode: run the jobs whose paths arrive on stdin, one per line, answering
    ``done <path>`` on a private channel. Imports (papermill, the official checks) happen once,
    before any student code runs. The kernel inherits stdout/stderr, so those go to the log and
    the answers use a duplicate of the original stdout that child processes do not inherit."""
    channel = os.fdopen(os.dup(1), "w", buffering=1)   # os.dup: not inheritable
    os.dup2(2, 1)                                       # stray prints (and the kernel's) -> log
    import papermill  # noqa: F401 - once, up front
    from .registry import load_course_checks
    load_course_checks(checks_modules)
    for line in sys.stdin:
        path = line.strip()
        if not path:
            break
        handle(json.loads(Path(path).read_text()))
        _reap_children()
        channel.write(f"done {path}\n")


def _reap_children() -> None:
    """Kill what the notebook left running (its kernel is already shut down)."""
    try:
        import psutil
        for kid in psutil.Process().children(recursive=True):
            kid.kill()
    except Exception:  # noqa: BLE001 - best effort; the grader kills the group at the end
        pass


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    _skip_slow_imports()
    if argv and argv[0] == "--serve":
        serve(json.loads(argv[1]) if len(argv) > 1 else [])
        return
    job = json.loads(Path(argv[0]).read_text())
    if job.get("judge"):  # load the official checks BEFORE any student code runs
        from .registry import load_course_checks
        load_course_checks(job["judge"].get("checks_modules") or ())
    handle(job)


if __name__ == "__main__":
    main()
