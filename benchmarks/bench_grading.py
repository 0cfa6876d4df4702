"""Grading throughput: submissions per minute with 1 and 2 workers, and nbgrader as the peer.

50 copies of the grader's reference notebook (``tests/grading_corpus``) in a realistic mix:
20 correct, 15 partial, 5 blank, 5 with a cell that raises, 3 whose kernel dies, 2 that are not
JSON. Each is executed with papermill and scored (``labkit.grading.grade_batch``); the figure is
submissions per minute, wall clock, for the whole batch (gradebook and report included).

nbgrader's ``autograde`` is timed on the same 50 files when an nbgrader installation is given
(``LABKIT_NBGRADER=/path/to/venv/bin/nbgrader``; it is not a labkit dependency). Its test
cells call the same checks, so both graders execute the same notebooks in the same kernel
(this venv's python); nbgrader runs them one after another (it has no parallel mode).

Run: ``python -m benchmarks grading`` (``--quick``: 10 submissions, 2 workers only).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "grading_corpus"
MIX = [("correct", 20), ("partial", 15), ("blank", 5), ("raises", 5), ("kernel_death", 3),
       ("invalid_json", 2)]
POINTS = {"demo-sum": 2, "demo-quiz": 1, "demo-configmap": 2}


def _corpus():
    sys.path.insert(0, str(CORPUS))
    try:
        import build
    finally:
        sys.path.pop(0)
    return build


def _with_nbgrader_cells(nb):
    """Mark the three check cells as nbgrader autograder cells (labkit ignores the metadata).
    Their output is the check's score, which nbgrader takes as partial credit."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("check("):
            cid = cell.source.split('"')[1]
            cell.source = (f"import labkit.grading as _g\n{cell.source}\n"
                           f"_g.evaluate(\"{cid}\", namespace=globals()).score")
            cell.metadata["nbgrader"] = {"grade": True, "grade_id": cid, "locked": True,
                                         "points": POINTS[cid], "schema_version": 3,
                                         "solution": False, "task": False}
    return nb


def make_submissions(folder: Path, n: int = 50) -> list[str]:
    """Write ``n`` submissions ``sNN.ipynb`` following :data:`MIX` (scaled to ``n``)."""
    build = _corpus()
    folder.mkdir(parents=True, exist_ok=True)
    cases = [case for case, k in MIX for _ in range(k)]
    cases = [cases[int(i * len(cases) / n)] for i in range(n)]
    for i, case in enumerate(cases, start=1):
        content = build.CASES[case][0]
        path = folder / f"s{i:02d}.ipynb"
        if isinstance(content, str):
            path.write_text(content)
        else:
            nbformat.write(_with_nbgrader_cells(build.notebook(content)), path)
    return cases


def time_labkit(subs: Path, out: Path, workers: int) -> dict:
    from labkit.grading import grade_batch
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    df = grade_batch([subs], out, notebook=CORPUS / "grading-demo.ipynb", workers=workers,
                     timeout=120, cell_timeout=60, progress=False)
    seconds = time.perf_counter() - t0
    time_labkit.totals = dict(zip(df["student"], df["total"]))
    return {"workers": workers, "submissions": len(df), "seconds": round(seconds, 1),
            "submissions/min": round(60 * len(df) / seconds, 1),
            "mean total": round(float(df["total"].mean()), 2),
            "statuses": df["status"].value_counts().sort_index().to_dict()}


def time_nbgrader(nbgrader: str, subs: Path, work: Path) -> dict:
    """Set up an nbgrader course around the same files and time ``nbgrader autograde``."""
    build = _corpus()
    course = work / "nbgrader-course"
    shutil.rmtree(course, ignore_errors=True)
    (course / "source" / "ps1").mkdir(parents=True)
    ref = _with_nbgrader_cells(build.notebook(build.REFERENCE))
    nbformat.write(ref, course / "source" / "ps1" / "grading-demo.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'bench'\n"
        "c.CourseDirectory.root = %r\nc.Execute.timeout = 120\n" % str(course))
    kernels = work / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True, exist_ok=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python"}))
    env = dict(os.environ, JUPYTER_PATH=str(work / "jupyter"), LABKIT_CLUSTER="mini",
               PYTHONHASHSEED="0",  # nbgrader runs `alembic` from its own environment
               PATH=os.pathsep.join([str(Path(nbgrader).parent), os.environ.get("PATH", "")]))
    run = lambda *args: subprocess.run([nbgrader, *args], cwd=course, env=env,  # noqa: E731
                                       capture_output=True, text=True)
    gen = run("generate_assignment", "ps1", "--force")
    if gen.returncode:
        return {"error": "generate_assignment failed", "log": gen.stderr[-1500:]}
    for f in sorted(subs.glob("*.ipynb")):
        dest = course / "submitted" / f.stem / "ps1"
        dest.mkdir(parents=True)
        shutil.copy(f, dest / "grading-demo.ipynb")
    t0 = time.perf_counter()
    auto = run("autograde", "ps1", "--create", "--force")
    seconds = time.perf_counter() - t0
    graded = len(list((course / "autograded").glob("*/ps1/grading-demo.ipynb")))
    n = len(list(subs.glob("*.ipynb")))
    out = {"submissions": n, "autograded": graded, "no grade (nbgrader error)": n - graded,
           "seconds": round(seconds, 1),
           "submissions/min": round(60 * n / seconds, 1), "exit code": auto.returncode}
    if auto.returncode:
        out["log tail"] = auto.stderr[-800:]
    if run("export").returncode == 0 and (course / "grades.csv").exists():
        import pandas as pd
        grades = pd.read_csv(course / "grades.csv")
        done = {p.parts[-3] for p in (course / "autograded").glob("*/ps1/grading-demo.ipynb")}
        out["scores"] = {str(r.student_id): float(r.raw_score) for r in grades.itertuples()
                         if str(r.student_id) in done}
    return out


def run(n: int = 50, quick: bool = False, workers=(1, 2)) -> dict:
    if quick:
        n, workers = 10, (2,)
    work = Path(tempfile.mkdtemp(prefix="labkit-bench-grading-"))
    try:
        subs = work / "submissions"
        cases = make_submissions(subs, n)
        figures = {"mix": {c: cases.count(c) for c, _ in MIX}, "cpus": os.cpu_count()}
        for w in workers:
            figures[f"labkit {w} worker{'s' if w > 1 else ''}"] = time_labkit(subs, work / f"out{w}", w)
        nbgrader = os.environ.get("LABKIT_NBGRADER")
        if nbgrader:
            nb = time_nbgrader(nbgrader, subs, work)
            figures["nbgrader autograde"] = nb
            scores = nb.pop("scores", None)
            if scores:
                ours = time_labkit.totals
                same = sum(1 for k, v in scores.items() if abs(ours.get(k, -1) - v) < 1e-6)
                nb["same total as labkit"] = f"{same} of the {len(scores)} nbgrader graded"
            if "seconds" in nb:
                for key, value in list(figures.items()):
                    if key.startswith("labkit"):
                        value["speed vs nbgrader"] = round(nb["seconds"] / value["seconds"], 2)
        else:
            figures["nbgrader autograde"] = "not measured: set LABKIT_NBGRADER to an nbgrader executable"
        return figures
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
