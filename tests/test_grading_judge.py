"""Instructor side of labkit.grading without running notebooks: the judge's choice of evidence,
its explanations, the gradebook files, submission naming and the kernel sandbox."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labkit.grading import batch, judge, report
from labkit.grading.registry import REGISTRY, get_check, register_check
from labkit.grading.sandbox import parse_size, write_kernelspec

CORPUS = Path(__file__).parent / "grading_corpus"


def rec(type_, check=None, **answers):
    return {"type": type_, "check": check, "answers": answers, "objects": None}


@pytest.fixture(autouse=True)
def cleanup():
    yield
    for cid in [c for c in REGISTRY if c.startswith("t-")]:
        del REGISTRY[cid]


# -- evidence choice ---------------------------------------------------------------------------
def test_best_of_check_cell_and_final_state():
    records = [rec("check", "demo-sum", total=108, mean=18), rec("final", total=0, mean=0)]
    scored = judge.score_check("demo-sum", records, 5)
    assert scored["points"] == 2 and scored["evidence"] == "at its check cell"
    records = [rec("check", "demo-sum", total=1, mean=1), rec("final", total=108, mean=18)]
    assert judge.score_check("demo-sum", records, 5)["evidence"] == "at the end of the notebook"


def test_only_the_last_run_of_a_check_counts_no_brute_force():
    records = [rec("check", "demo-quiz", **{"demo-quiz": g}) for g in ("Deployment", "Pod")]
    records.append(rec("final", **{"demo-quiz": "Pod"}))
    assert judge.score_check("demo-quiz", records, 5)["points"] == 0


def test_without_a_final_record_the_last_recorded_state_is_used():
    records = [rec("check", "demo-sum", total=108), rec("check", "demo-quiz", mean=18)]
    scored = judge.score_check("demo-sum", records, 5)
    assert scored["points"] == 2
    assert scored["evidence"] == "recorded last, before the notebook stopped"
    assert judge.score_check("demo-sum", [], 5)["evidence"] == "no evidence"


def test_a_quiz_answer_saved_in_the_submission_is_re_checked():
    records = [rec("check", "demo-quiz"), rec("final")]
    scored = judge.score_check("demo-quiz", records, 5, saved={"demo-quiz": "Deployment"})
    assert scored["points"] == 1
    assert scored["evidence"] == "of the answer saved in the submitted notebook"
    assert judge.score_check("demo-quiz", [], 5, saved={"demo-quiz": "Pod"})["points"] == 0


def test_records_are_cleaned_and_object_references_resolved():
    raw = [{"type": "check", "check": "demo-configmap", "seq": 1, "answers": "junk",
            "objects": [{"kind": "ConfigMap", "metadata": {"name": "a"}}]},
           {"type": "final", "seq": 2, "answers": {}, "objects_same_as": 1},
           {"type": "final", "seq": 3, "answers": {}, "objects": "junk"}]
    clean = judge.clean_records(raw)
    assert clean[0]["answers"] == {} and clean[1]["objects"][0]["metadata"]["name"] == "a"
    assert clean[2]["objects"] is None


def test_each_check_has_its_own_time_limit(tmp_path):
    @register_check("t-hangs", points=3)
    def _(ctx):
        while True:
            pass

    (tmp_path / "run").mkdir()
    result = judge.judge({"workdir": str(tmp_path), "record": str(tmp_path / "none.jsonl"),
                          "expected": ["t-hangs", "demo-quiz"], "check_timeout": 0.3,
                          "execution": {"status": "completed"}})
    assert result["checks"]["t-hangs"]["note"] == "The check ran out of time."
    assert result["checks"]["demo-quiz"]["note"] == "Not answered yet."
    lines = (tmp_path / "judge.partial.jsonl").read_text().splitlines()
    assert [json.loads(x)["check"] for x in lines] == ["t-hangs", "demo-quiz"]


# -- explanations ------------------------------------------------------------------------------
def _executed(tmp_path, cells):
    nb = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    for source, status, outputs in cells:
        nb["cells"].append({"cell_type": "code", "source": source, "metadata": {"papermill": {
            "status": status, "start_time": "t" if status != "pending" else None}},
            "outputs": outputs, "execution_count": None})
    path = tmp_path / "executed.ipynb"
    path.write_text(json.dumps(nb))
    return judge.analyse_notebook(path)


def test_explain_errors_forged_outputs_and_redefined_check(tmp_path):
    forged = {"output_type": "display_data", "data": {}, "metadata": {
        "labkit": {"check": "demo-sum", "points": 2}}}
    err = {"output_type": "error", "ename": "NameError", "evalue": "name 'x' is not defined",
           "traceback": []}
    nb = _executed(tmp_path, [('check("demo-sum")', "completed", [forged]),
                              ("x", "completed", [err]),
                              ('check("demo-quiz")', "completed", [])])
    records = [rec("check", "demo-quiz")]
    raw = [{"type": "check", "check": "demo-quiz", "points": 5}]
    status, notes = judge.explain(["demo-sum", "demo-quiz", "demo-configmap"], nb, records, raw,
                                  2, {"status": "completed"})
    assert status == "errors"
    assert notes == [
        "cells that raised an error: cell 2 (NameError: name 'x' is not defined)",
        'the check("demo-sum") cell ran but recorded no evidence (was check redefined?): it was '
        "graded on the recorded state",
        'no cell calls check("demo-configmap") (deleted or renamed?): it was graded on the '
        "recorded state",
        "outputs claiming results the checks did not produce were ignored (demo-sum)",
        "the evidence file holds fields check() never writes (points): ignored",
        "2 unreadable line(s) in the evidence file were ignored"]


def test_explain_a_wall_clock_timeout_names_the_cell(tmp_path):
    nb = _executed(tmp_path, [('check("demo-sum")', "completed", []),
                              ("while True: pass", "running", [])])
    status, notes = judge.explain(["demo-sum"], nb, [rec("check", "demo-sum")], [], 0,
                                  {"status": "timeout", "limit": 7})
    assert status == "timeout"
    assert notes[0] == ("the notebook ran longer than 7 s (cell 2): the run was stopped there; "
                        "later checks were graded on the last recorded state")


# -- naming and the assignment -----------------------------------------------------------------
def test_student_names_flat_and_nbgrader_layouts(tmp_path):
    flat = [tmp_path / "alice.ipynb", tmp_path / "bob smith.ipynb"]
    assert batch.student_names(flat) == ["alice", "bob_smith"]
    nested = [tmp_path / "submitted" / s / "ps1" / "lab.ipynb" for s in ("alice", "bob")]
    assert batch.student_names(nested) == ["alice", "bob"]
    assert batch.student_names([tmp_path / "a" / "x.ipynb", tmp_path / "a" / "x.json",
                                tmp_path / "b" / "x.ipynb"]) == ["a", "a-2", "b"]


def test_expected_checks_follow_the_reference_notebook():
    nid, ids = batch.expected_checks(CORPUS / "grading-demo.ipynb")
    assert ids == ["demo-sum", "demo-quiz", "demo-configmap"]
    assert batch.expected_checks("demo/grading-demo")[1] == ids
    assert batch.expected_checks(None, [Path("x/grading-demo.ipynb")])[0] == "demo/grading-demo"
    with pytest.raises(ValueError, match="pass --notebook"):
        batch.expected_checks(None, [Path("a.ipynb"), Path("b.ipynb")])
    with pytest.raises(ValueError, match="no checks are registered"):
        batch.expected_checks("nothing/here")


def test_discover_finds_notebooks_in_folders_and_rejects_missing(tmp_path):
    (tmp_path / "s" / ".ipynb_checkpoints").mkdir(parents=True)
    (tmp_path / "s" / "a.ipynb").write_text("{}")
    (tmp_path / "s" / ".ipynb_checkpoints" / "a-checkpoint.ipynb").write_text("{}")
    (tmp_path / "empty.ipynb").write_text("")
    found = batch.discover([tmp_path / "s", tmp_path / "empty.ipynb", tmp_path / "s" / "a.ipynb"])
    assert [f.name for f in found] == ["a.ipynb", "empty.ipynb"]
    with pytest.raises(FileNotFoundError):
        batch.discover([tmp_path / "nope.ipynb"])


# -- the gradebook -----------------------------------------------------------------------------
def _fake_results():
    def res(student, sum_pts, status, notes=()):
        checks = {"demo-sum": {"check": "demo-sum", "points": sum_pts, "max": 2.0,
                               "status": "passed" if sum_pts == 2 else "failed",
                               "parts": [{"name": "total is the sum of data", "passed": sum_pts == 2,
                                          "points": 1, "message": "", "hint": "use sum(data)"}],
                               "evidence": "at its check cell"}}
        return {"student": student, "checks": checks, "total": sum_pts, "max": 2.0,
                "status": status, "notes": list(notes), "submission": f"{student}.ipynb"}
    return [res("bob", 0.0, "timeout", ["cell 4 ran too long"]), res("alice", 2.0, "ok")]


def test_gradebook_report_and_feedback_files(tmp_path):
    checks = [get_check("demo-sum")]
    df = report.write_all(tmp_path, _fake_results(), checks, "demo/grading-demo")
    assert list(df.columns) == ["student", "demo-sum", "total", "max", "status", "notes",
                                "submission"]
    assert (tmp_path / "grades.csv").read_text().splitlines()[1:] == [
        "alice,2,2,2,ok,,alice.ipynb", "bob,0,0,2,timeout,cell 4 ran too long,bob.ipynb"]
    html = (tmp_path / "report.html").read_text()
    assert "<svg" in html and "Score distribution" in html and "passed %" in html
    assert "Status: ok: 1, timeout: 1." in html
    md = (tmp_path / "feedback" / "bob.md").read_text()
    assert "**bob**: **0 / 2 points** (status: timeout)" in md
    assert "- cell 4 ran too long" in md and "*hint:* use sum(data)" in md
    assert "*graded on the state at its check cell*" in md
    assert "<h1>Feedback: demo/grading-demo</h1>" in (tmp_path / "feedback" / "bob.html").read_text()
    first = html
    report.write_all(tmp_path, list(reversed(_fake_results())), checks, "demo/grading-demo")
    assert (tmp_path / "report.html").read_text() == first   # deterministic, order-independent


# -- the kernel sandbox ------------------------------------------------------------------------
def test_parse_size():
    assert parse_size("4G") == 4 << 30 and parse_size("512M") == 512 << 20
    assert parse_size("100") == 100 and parse_size("1.5KiB") == 1536
    with pytest.raises(ValueError):
        parse_size("lots")


def test_kernelspec_uses_this_interpreter_and_the_wrapper_only_with_limits(tmp_path):
    plain = json.loads((write_kernelspec(tmp_path / "a") / "kernels" / "labkit-grader" /
                        "kernel.json").read_text())
    assert plain["argv"][:3] == [sys.executable, "-m", "ipykernel_launcher"]
    limited = json.loads((write_kernelspec(tmp_path / "b", memory="2G", cpu=60) / "kernels" /
                          "labkit-grader" / "kernel.json").read_text())
    assert limited["argv"][:7] == [sys.executable, "-m", "labkit.grading.sandbox", "--memory",
                                   "2G", "--cpu", "60"]


def _sandboxed(tmp_path, *limits, code, python=sys.executable):
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    env = dict(os.environ, GRADER_SECRET="s3cret", LABKIT_GRADING_RECORD=str(run / "ev.jsonl"))
    return subprocess.run([sys.executable, "-m", "labkit.grading.sandbox", *limits, "--",
                           python, "-c", code], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_sandbox_applies_limits_and_drops_the_graders_environment(tmp_path):
    code = ("import os, resource; print(resource.getrlimit(resource.RLIMIT_AS)[0], "
            "resource.getrlimit(resource.RLIMIT_FSIZE)[0], os.environ.get('GRADER_SECRET'), "
            "os.environ['HOME'].endswith('run'))")
    out = _sandboxed(tmp_path, "--memory", "3G", "--fsize", "10M", code=code)
    assert out.stdout.split() == [str(3 << 30), str(10 << 20), "None", "True"]


def test_sandbox_user_cannot_write_the_graders_files():
    """Run as an unprivileged user: its own folder is writable, the grader's folder is not."""
    import shutil
    import tempfile
    base = Path(tempfile.mkdtemp(prefix="labkit-sandbox-"))
    try:
        os.chmod(base, 0o755)
        code = ("import os; open(os.environ['HOME'] + '/mine.txt', 'w').write('x'); "
                "print(os.getuid() != 0)\ntry:\n    open('stolen.txt', 'w')\n    print('WROTE')\n"
                "except PermissionError:\n    print('denied')")
        # The system python: the venv's base interpreter may live under /root, which the
        # unprivileged user cannot enter (the next test shows the message for that case).
        out = _sandboxed(base, "--user", "nobody", code=code, python="/usr/bin/python3")
        if os.geteuid() == 0:
            assert out.stdout.split() == ["True", "denied"], out.stderr
            assert (base / "run" / "mine.txt").exists() and not (base / "stolen.txt").exists()
        else:  # only root can switch users: the grader says so instead of running unconfined
            assert "needs the grader to run as root" in out.stderr
    finally:
        shutil.rmtree(base)


def test_sandbox_user_explains_an_unreachable_folder(tmp_path):
    os.chmod(tmp_path, 0o700)
    out = _sandboxed(tmp_path, "--user", "nobody", code="print('ran')", python="/usr/bin/python3")
    assert "ran" not in out.stdout
    assert ("cannot reach" in out.stderr) if os.geteuid() == 0 else ("root" in out.stderr)


def test_the_committed_corpus_is_what_build_py_writes(tmp_path):
    """tests/grading_corpus/build.py is the corpus' source: no hand edits, no drift."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("corpus_build", CORPUS / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.build(execute_reference=False, out=tmp_path)
    assert (tmp_path / "expected.json").read_text() == (CORPUS / "expected.json").read_text()
    made = sorted(p.name for p in (tmp_path / "submissions").iterdir())
    assert made == sorted(p.name for p in (CORPUS / "submissions").iterdir())
    for name in made:
        assert (tmp_path / "submissions" / name).read_bytes() == \
            (CORPUS / "submissions" / name).read_bytes(), name
    fresh = json.loads((tmp_path / "grading-demo.ipynb").read_text())
    stored = json.loads((CORPUS / "grading-demo.ipynb").read_text())
    assert [c["source"] for c in fresh["cells"]] == [c["source"] for c in stored["cells"]]
