"""The grader on its corpus of hostile and broken submissions (tests/grading_corpus/).

Every submission is executed with papermill, in parallel, and must get exactly the points and
status in ``expected.json``: a cell that raises, an infinite loop, a hang that ignores the
interrupt, ``sys.exit()``, kernel death, deleted/renamed check cells, a monkeypatched
``check``, forged output metadata, a forged evidence file, ``SOLUTIONS = True``, a notebook that
is not JSON, an empty file, a notebook of another assignment. None of them stops the batch.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from labkit.grading import grade_batch

CORPUS = Path(__file__).parent / "grading_corpus"
REFERENCE = CORPUS / "grading-demo.ipynb"
EXPECTED = json.loads((CORPUS / "expected.json").read_text())
CHECKS = ["demo-sum", "demo-quiz", "demo-configmap"]
#: Short limits keep the run quick: the loops are interrupted after 10 s (generous enough for a
#: busy CI machine), the hang is given up 4 s later.
LIMITS = {"timeout": 90, "cell_timeout": 10, "workers": 2}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    out = tmp_path_factory.mktemp("grades")
    df = grade_batch([CORPUS / "submissions"], out, notebook=REFERENCE, progress=False, **LIMITS)
    return out, df.set_index("student")


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_each_submission_gets_its_expected_grade(graded, case):
    _, df = graded
    want = EXPECTED[case]
    row = df.loc[case]
    assert row["status"] == want["status"], row["notes"]
    assert {c: row[c] for c in CHECKS} == {c: float(want["points"].get(c, 0)) for c in CHECKS}, \
        row["notes"]
    assert row["total"] == sum(want["points"].values()) and row["max"] == 5


@pytest.mark.slow
def test_reasons_are_clear(graded):
    _, df = graded
    notes = df["notes"].to_dict()
    assert notes["correct"] == "" and notes["blank"] == ""
    assert notes["raises"] == "cells that raised an error: cell 5 (ZeroDivisionError: division by zero)"
    assert notes["infinite_loop"] == "interrupted for running too long: cell 10"
    assert notes["hang"].startswith("a cell kept running after it was interrupted (cell 10)")
    assert notes["kernel_death"].startswith("the kernel died") and "while running cell 7" in notes["kernel_death"]
    assert "cell 7 (SystemExit: 1)" in notes["sys_exit"]
    assert 'no cell calls check("demo-quiz") (deleted or renamed?)' in notes["deleted_check"]
    assert "KeyError" in notes["renamed_check"] and 'no cell calls check("demo-sum")' in notes["renamed_check"]
    assert notes["monkeypatched"].count("ran but recorded no evidence (was check redefined?)") == 3
    assert notes["forged_metadata"] == "outputs claiming results the checks did not produce were ignored (demo-sum)"
    assert "fields check() never writes (max, passed, points)" in notes["forged_record"]
    assert notes["empty"] == "the file is empty"
    assert notes["invalid_json"].startswith("the file is not valid JSON")
    assert notes["not_a_notebook"] == "the file is JSON but not a Jupyter notebook (no cells)"
    assert notes["wrong_notebook"].startswith("this does not look like the expected notebook")


@pytest.mark.slow
def test_gradebook_report_and_feedback(graded):
    out, df = graded
    csv = pd.read_csv(out / "grades.csv")
    assert list(csv.columns) == ["student", *CHECKS, "total", "max", "status", "notes", "submission"]
    assert len(csv) == len(EXPECTED) == len(df)
    html = (out / "report.html").read_text()
    assert "<svg" in html and "Per check" in html and "Gradebook" in html
    for case in EXPECTED:
        md = (out / "feedback" / f"{case}.md").read_text()
        assert md.startswith("# Feedback: grading_corpus/grading-demo\n")
        assert "def _" not in md and "ctx." not in md       # messages, never the checks' code
        assert (out / "feedback" / f"{case}.html").exists()
    partial = (out / "feedback" / "partial.md").read_text()
    assert "- \u2717 mean is the average of data: mean is 20" in partial
    assert "*hint:* the mean is the total divided by len(data)" in partial
    later = (out / "feedback" / "later_changes.md").read_text()
    assert "*graded on the state at its check cell*" in later     # the ConfigMap, deleted later
    assert (out / "executed" / "correct.ipynb").exists()


@pytest.mark.slow
def test_resume_skips_graded_submissions_and_regrades_changed_ones(graded, tmp_path):
    out, df = graded
    csv_before = (out / "grades.csv").read_bytes()
    report_before = (out / "report.html").read_bytes()
    started = time.monotonic()
    again = grade_batch([CORPUS / "submissions"], out, notebook=REFERENCE, progress=False,
                        resume=True, **LIMITS)
    assert time.monotonic() - started < 15       # nothing executed
    assert (out / "grades.csv").read_bytes() == csv_before     # idempotent, byte for byte
    assert (out / "report.html").read_bytes() == report_before
    assert again.set_index("student")["total"].to_dict() == df["total"].to_dict()


@pytest.mark.slow
def test_cli_private_checks_and_a_changed_submission(tmp_path, capsys):
    """``labkit grade`` with a private checks module that replaces a public check; with
    --resume, only the submission that changed is graded again."""
    from labkit.cli import main
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(CORPUS / "submissions" / "correct.ipynb", subs / "ann.ipynb")
    shutil.copy(CORPUS / "submissions" / "empty.ipynb", subs / "ben.ipynb")
    private = tmp_path / "private_checks.py"
    private.write_text(
        "from labkit.grading import register_check\n\n"
        "@register_check('demo-quiz', points=3, notebook='demo/grading-demo')\n"
        "def _(ctx):\n"
        "    return ctx.answer() == 'Deployment', 'exactly Deployment (private, stricter)'\n")
    args = ["grade", str(subs), "--out", str(tmp_path / "out"), "--notebook", str(REFERENCE),
            "--workers", "2", "--timeout", "30", "--checks", str(private), "--quiet"]
    try:
        assert main(args) == 0
        printed = capsys.readouterr().out
        assert printed.startswith("graded 2 submissions (invalid 1, ok 1); mean 3.50/7")
        csv = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student")
        assert csv.loc["ann", "demo-quiz"] == 3 and csv.loc["ann", "total"] == 7
        shutil.copy(CORPUS / "submissions" / "partial.ipynb", subs / "ben.ipynb")
        assert main(args + ["--resume"]) == 0
        csv = pd.read_csv(tmp_path / "out" / "grades.csv").set_index("student")
        assert csv.loc["ben", "status"] == "ok" and csv.loc["ben", "total"] == 2
    finally:
        from labkit.course_checks import demo
        import importlib
        importlib.reload(demo)                # put the public demo-quiz back
    assert main(["grade", str(subs), "--out", str(tmp_path / "o2")]) == 2
    assert "pass --notebook" in capsys.readouterr().err


@pytest.mark.slow
def test_reference_notebook_passes_strict_nbval(tmp_path):
    """The check and progress outputs stored in the reference notebook are deterministic:
    strict nbval (every output compared) re-runs it and finds no difference."""
    shutil.copy(REFERENCE, tmp_path / "grading-demo.ipynb")
    env = dict(os.environ, PYTHONHASHSEED="0")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--nbval", "--nbval-current-env", "-c", os.devnull,
                          "--rootdir", str(tmp_path), str(tmp_path / "grading-demo.ipynb")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:]
    assert "14 passed" in out.stdout or " passed" in out.stdout


@pytest.mark.slow
def test_wall_clock_timeout_kills_the_run_and_the_judge_still_scores(tmp_path):
    """A hang that ignores interrupts, with a per-cell limit longer than the notebook's budget:
    the worker's whole process group is killed at the budget, a fresh judge process scores the
    evidence recorded so far, and the reason names the cell that was running."""
    df = grade_batch([CORPUS / "submissions" / "hang.ipynb"], tmp_path, notebook=REFERENCE,
                     timeout=25, cell_timeout=120, progress=False)
    row = df.set_index("student").loc["hang"]
    assert row["status"] == "timeout"
    assert row["notes"].startswith("the notebook ran longer than 25.0 s")
    assert "(cell 10): the run was stopped there" in row["notes"]
    assert row["demo-sum"] == 2 and row["demo-configmap"] == 0
    assert (tmp_path / ".grader" / "work" / "hang" / "judge.log").exists()  # the fallback judge
