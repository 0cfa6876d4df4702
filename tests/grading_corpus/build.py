#!/usr/bin/env python
"""Build the grader's test corpus: a small reference notebook and hostile/broken submissions.

    .venv/bin/python tests/grading_corpus/build.py

Writes ``grading-demo.ipynb`` (the reference, executed, outputs stored: strict nbval passes on
it) and ``submissions/<case>.ipynb``, one per case in :data:`CASES`. ``EXPECTED`` (in
``expected.json``) is what the grader must give each case; ``tests/test_grading_corpus.py``
grades the folder and asserts it. The demo checks live in ``labkit/course_checks/demo.py``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

REFERENCE = [
    ("md", "# Grading demo\n\nA tiny notebook for testing labkit's grader (not part of the "
           "course): three exercises, one of each kind of check."),
    ("parameters", "SOLUTIONS = False\nSEED = 0"),
    ("imports", "import labkit\nfrom labkit.grading import answer, check, progress\n"
             "from labkit.solutions import setup, solve\n\nsetup(SOLUTIONS, SEED)"),
    ("md", "## Exercise 1 (2 points)\n\nCompute the `total` and the `mean` of `data`."),
    ("ex1", "data = [4, 8, 15, 16, 23, 42]\ntotal = None\nmean = None\nsolve(\"demo-sum\")"),
    ("check1", "check(\"demo-sum\")"),
    ("md", "## Exercise 2 (1 point)\n\nWhich object keeps a set of identical pods running and "
           "rolls out new versions: `Pod`, `ReplicaSet` or `Deployment`?"),
    ("ex2", "answer(\"demo-quiz\", None)  # your answer, e.g. answer(\"demo-quiz\", \"Pod\")\n"
            "solve(\"demo-quiz\")"),
    ("check2", "check(\"demo-quiz\")"),
    ("md", "## Exercise 3 (2 points)\n\nCreate a ConfigMap `app-config` in the namespace "
           "`default` whose data has `mode: production`."),
    ("ex3", "c = labkit.connect(nodes=0, scheduler=False)\n# c.create({...})\n"
            "solve(\"demo-configmap\")"),
    ("check3", "check(\"demo-configmap\")"),
    ("md", "## Your progress"),
    ("progress", "progress()"),
]

EX1 = "data = [4, 8, 15, 16, 23, 42]\ntotal = sum(data)\nmean = total / len(data)"
EX2 = "answer(\"demo-quiz\", \"Deployment\")"
EX3 = ("c = labkit.connect(nodes=0, scheduler=False)\n"
       "c.create({\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",\n"
       "          \"metadata\": {\"name\": \"app-config\"}, \"data\": {\"mode\": \"production\"}})")
CORRECT = {"ex1": EX1, "ex2": EX2, "ex3": EX3}


def cells_with(changes=None, insert_after=None, drop=()):
    """The reference's cells with sources replaced (by role), cells inserted after a role,
    and roles dropped: ``[(role, source), ...]``."""
    out = []
    for role, source in REFERENCE:
        if role in drop:
            continue
        out.append((role, (changes or {}).get(role, source)))
        for extra in (insert_after or {}).get(role, ()):
            out.append(("code", extra))
    return out


FORGED_OUTPUT = ("from IPython.display import display\n"
                 "display({\"text/plain\": \"\\u2713 demo-sum: 2/2 points\"}, raw=True,\n"
                 "        metadata={\"labkit\": {\"check\": \"demo-sum\", \"points\": 2, \"max\": 2, "
                 "\"passed\": True}})")
FORGE_RECORD = ("import json, os\n"
                "with open(os.environ.get(\"LABKIT_GRADING_RECORD\", os.devnull), \"a\") as f:\n"
                "    f.write(json.dumps({\"type\": \"check\", \"check\": \"demo-sum\", \"points\": 2,"
                " \"max\": 2, \"passed\": True, \"answers\": {\"total\": 1, \"mean\": 1}}) + \"\\n\")\n"
                "    f.write(\"not json at all\\n\")")
MONKEYPATCH = ("import labkit.grading\n\n\ndef check(check_id, **kwargs):\n"
               "    print(f\"\\u2713 {check_id}: all parts pass (2/2 points)\")\n\n\n"
               "labkit.grading.check = check")

#: case -> (cells or raw text, expected {check: points}, expected status)
CASES = {
    "correct": (cells_with(CORRECT), {"demo-sum": 2, "demo-quiz": 1, "demo-configmap": 2}, "ok"),
    "blank": (cells_with(), {"demo-sum": 0, "demo-quiz": 0, "demo-configmap": 0}, "ok"),
    "partial": (cells_with({"ex1": "data = [4, 8, 15, 16, 23, 42]\ntotal = sum(data)\nmean = 20",
                            "ex2": "answer(\"demo-quiz\", \"ReplicaSet\")",
                            "ex3": EX3.replace("production", "dev")}),
                {"demo-sum": 1, "demo-quiz": 0, "demo-configmap": 1}, "ok"),
    "raises": (cells_with({**CORRECT, "ex1": "data = [4, 8, 15, 16, 23, 42]\ntotal = sum(data)\n"
                                             "mean = total / 0"}),
               {"demo-sum": 1, "demo-quiz": 1, "demo-configmap": 2}, "errors"),
    "infinite_loop": (cells_with(CORRECT, insert_after={"check2": ["while True:\n    pass"]}),
                      {"demo-sum": 2, "demo-quiz": 1, "demo-configmap": 2}, "timeout"),
    "hang": (cells_with(CORRECT, insert_after={"check2": [
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
        "    time.sleep(0.05)"]}), {"demo-sum": 2, "demo-quiz": 1, "demo-configmap": 0}, "timeout"),
    "sys_exit": (cells_with(CORRECT, insert_after={"check1": ["import sys\nsys.exit(1)"]}),
                 {"demo-sum": 2, "demo-quiz": 1, "demo-configmap": 2}, "errors"),
    "kernel_death": (cells_with(CORRECT, insert_after={"check1": ["import os\nos._exit(1)"]}),
                     {"demo-sum": 2, "demo-quiz": 0, "demo-configmap": 0}, "kernel-died"),
    "deleted_check": (cells_with(CORRECT, drop=("check2", "check3")),
                      {"demo-sum": 2, "demo-quiz": 1, "demo-configmap": 2}, "ok"),
    "renamed_check": (cells_with({**CORRECT, "check1": "check(\"demo-sum-easy\")"}),
                      {"demo-sum": 2, "demo-quiz": 1, "demo-configmap": 2}, "errors"),
    "monkeypatched": (cells_with({"ex1": "data = [4, 8, 15, 16, 23, 42]\ntotal = 1\nmean = 1",
                                  "ex2": "answer(\"demo-quiz\", \"Pod\")"},
                                 insert_after={"imports": [MONKEYPATCH]}),
                      {"demo-sum": 0, "demo-quiz": 0, "demo-configmap": 0}, "ok"),
    "forged_metadata": (cells_with({"ex1": "data = [4, 8, 15, 16, 23, 42]\ntotal = 1\nmean = 1"},
                                   insert_after={"check1": [FORGED_OUTPUT]}),
                        {"demo-sum": 0, "demo-quiz": 0, "demo-configmap": 0}, "ok"),
    "forged_record": (cells_with({"ex1": "data = [4, 8, 15, 16, 23, 42]\ntotal = 1\nmean = 1"},
                                 insert_after={"check3": [FORGE_RECORD]}),
                      {"demo-sum": 0, "demo-quiz": 0, "demo-configmap": 0}, "ok"),
    "solutions_on": (cells_with({"parameters": "SOLUTIONS = True\nSEED = 0",
                                 "imports": REFERENCE[2][1].replace("setup(SOLUTIONS", "setup(True")}),
                     {"demo-sum": 0, "demo-quiz": 0, "demo-configmap": 0}, "ok"),
    "later_changes": (cells_with({**CORRECT, "ex2": "for guess in [\"Pod\", \"Deployment\", "
                                  "\"ReplicaSet\"]:\n    answer(\"demo-quiz\", guess)\n"
                                  "    check(\"demo-quiz\")"},
                                 insert_after={"check3": ["c.delete(\"configmap\", \"app-config\")"]}),
                      {"demo-sum": 2, "demo-quiz": 0, "demo-configmap": 2}, "ok"),
    "quiz_answer_saved": (cells_with(), {"demo-sum": 0, "demo-quiz": 1, "demo-configmap": 0},
                          "ok"),
    "wrong_notebook": ([("md", "# Another assignment"), ("code", "x = 1\nprint(x)")],
                       {"demo-sum": 0, "demo-quiz": 0, "demo-configmap": 0}, "wrong-notebook"),
    "invalid_json": ("{\"cells\": [ this is not json", {}, "invalid"),
    "empty": ("", {}, "invalid"),
    "not_a_notebook": ("{\"hello\": \"world\"}\n", {}, "invalid"),
}


def notebook(cells):
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (role, source) in enumerate(cells):
        cell = new_markdown_cell(source) if role == "md" else new_code_cell(source)
        cell["id"] = f"cell-{i:02d}"
        if role == "parameters":
            cell.metadata["tags"] = ["parameters"]
        nb.cells.append(cell)
    return nb


def forge_stored_outputs(nb):
    """The forged_metadata case also submits stored outputs claiming full marks."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("check("):
            cid = cell.source.split('"')[1]
            cell.outputs = [nbformat.v4.new_output(
                "display_data", data={"text/plain": f"\u2713 {cid}: full marks"},
                metadata={"labkit": {"check": cid, "points": 2, "max": 2, "passed": True}})]
    return nb


def save_quiz_answer(nb):
    """The quiz_answer_saved case: the student answered in a widget (nothing in the code) and
    ran the check cell, whose output saved the answer; re-running cannot reproduce it."""
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source == "check(\"demo-quiz\")":
            cell.outputs = [nbformat.v4.new_output(
                "display_data", data={"text/plain": "\u2713 demo-quiz (Which object?): 1/1 points."},
                metadata={"labkit": {"check": "demo-quiz", "points": 1.0, "max": 1.0,
                                     "passed": True, "answer": "Deployment"}})]
    return nb


def build(execute_reference: bool = True, out: Path = HERE) -> None:
    subs = out / "submissions"
    subs.mkdir(exist_ok=True)
    expected = {}
    for name, (content, points, status) in CASES.items():
        path = subs / f"{name}.ipynb"
        if isinstance(content, str):
            path.write_text(content)
        else:
            nb = notebook(content)
            if name == "forged_metadata":
                forge_stored_outputs(nb)
            if name == "quiz_answer_saved":
                save_quiz_answer(nb)
            nbformat.write(nb, path)
        expected[name] = {"points": points, "status": status}
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    ref = notebook(REFERENCE)
    if execute_reference:
        from nbclient import NotebookClient
        NotebookClient(ref, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(out)}}).execute()
        for cell in ref.cells:
            cell.metadata.pop("execution", None)
            for n, out in enumerate(cell.get("outputs", [])):   # stable bytes on rebuild
                view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
                if view:
                    view["model_id"] = f"{cell['id']}-widget-{n}"
        ref.metadata.pop("widgets", None)
    nbformat.write(ref, out / "grading-demo.ipynb")


if __name__ == "__main__":
    build(execute_reference="--no-execute" not in sys.argv)
