"""Grade a folder of submissions: :func:`grade_batch` (the ``labkit grade`` command's engine).

For each submission, in parallel worker processes:

1. ``labkit.grading.execute`` runs the notebook with papermill in its own process group, with
   a wall-clock budget; past it the whole group (runner, kernel, anything the student's code
   started) is killed;
2. ``labkit.grading.judge`` scores it in a fresh process: the official checks re-run on the
   recorded evidence, each with its own time limit;
3. the result goes to ``OUT/results/<student>.json``; at the end the gradebook
   (``grades.csv``), ``report.html`` and ``feedback/<student>.md|.html`` are written.

A submission that is broken or hostile gets a partial grade and a reason; nothing it does
stops the batch. ``resume=True`` skips submissions whose result is already there for the same
file, the same grader code and the same settings.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .judge import zero
from .registry import REGISTRY, checks_for, get_check, load_course_checks, notebook_id
from .sandbox import write_kernelspec
from .workers import Runner, run_module

_CALL = re.compile(r"""\bcheck\(\s*["']([A-Za-z0-9._-]+)["']""")


# -- what to grade -------------------------------------------------------------------------------
def discover(paths) -> list[Path]:
    """Submission files: files as given, ``*.ipynb`` found under directories (sorted)."""
    out = []
    for p in map(Path, [paths] if isinstance(paths, (str, os.PathLike)) else paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*.ipynb")
                          if ".ipynb_checkpoints" not in f.parts and f.is_file())
        elif p.exists():
            out.append(p)
        else:
            raise FileNotFoundError(f"no such submission: {p}")
    seen, unique = set(), []
    for f in out:
        key = f.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def student_names(files: list[Path]) -> list[str]:
    """A name per submission: the file stem, or (nbgrader-style ``alice/ps1/nb.ipynb``) the
    path parts that differ between submissions. Made safe for file names, and unique."""
    parts = [list(f.resolve().with_suffix("").parts) for f in files]
    if len({p[-1] for p in parts}) == len(parts):
        raw = [p[-1] for p in parts]
    else:
        common = os.path.commonpath([str(f.resolve().parent) for f in files])
        n = len(Path(common).parts)
        rel = [p[n:] for p in parts]
        while all(len(r) > 1 for r in rel) and len({r[-1] for r in rel}) == 1:
            rel = [r[:-1] for r in rel]
        raw = ["-".join(r) for r in rel]
    names, used = [], set()
    for name in raw:
        name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"
        candidate, i = name, 2
        while candidate in used:
            candidate, i = f"{name}-{i}", i + 1
        used.add(candidate)
        names.append(candidate)
    return names


def expected_checks(notebook, files=()) -> tuple[str, list[str]]:
    """``(notebook id, check ids)``: the checks registered for the notebook, in the order the
    reference notebook calls them (when ``notebook`` is a path to it)."""
    if notebook is None:
        stems = {Path(f).stem for f in files}
        ids = {c.notebook for c in REGISTRY.values() if c.notebook}
        matches = sorted(i for i in ids if i.rsplit("/", 1)[-1] in stems)
        if len(stems) != 1 or len(matches) != 1:
            raise ValueError("cannot tell which notebook these submissions are: pass "
                             "--notebook (a notebook id or the path of the reference notebook)")
        notebook = matches[0]
    nid = notebook_id(notebook)
    ids = []
    path = Path(str(notebook))
    if path.suffix == ".ipynb" and path.is_file():
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb.get("cells", []):
            if cell.get("cell_type") == "code":
                ids += [i for i in _CALL.findall("".join(cell.get("source") or ""))
                        if i not in ids]
    ids += [c.id for c in checks_for(nid) if c.id not in ids]
    for cid in ids:
        get_check(cid)  # an unknown id in the reference notebook is the instructor's error
    if not ids:
        raise ValueError(f"no checks are registered for notebook {nid!r}")
    return nid, ids


def fingerprint(extra=()) -> str:
    """A hash of the code that scores (``labkit/grading``, ``labkit/course_checks``, the extra
    checks modules): tells when it changed (tampering, or an upgrade that invalidates
    ``--resume``)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    files = sorted([*root.joinpath("grading").glob("*.py"),
                    *root.joinpath("course_checks").rglob("*.py")])
    for f in files + [Path(e) for e in extra if str(e).endswith(".py")]:
        try:
            h.update(str(f).encode() + b"\0" + f.read_bytes())
        except OSError:
            h.update(str(f).encode() + b"\0missing")
    return h.hexdigest()[:16]


# -- one submission ------------------------------------------------------------------------------
_local = threading.local()


def _runner(settings: dict, env: dict) -> Runner:
    """This thread's persistent runner (started on first use, replaced after a kill)."""
    runner = getattr(_local, "runner", None)
    if runner is None or runner.settings_id != id(settings):
        runner = Runner({k: v for k, v in env.items() if k != "LABKIT_GRADING_RECORD"},
                        settings["checks_modules"],
                        Path(settings["out"]) / ".grader" / f"runner-{threading.get_ident()}.log")
        runner.settings_id = id(settings)
        _local.runner = runner
        settings["runners"].append(runner)
    return runner


def grade_one(name: str, path: Path, settings: dict) -> dict:
    """Execute and judge one submission; always returns a result dict."""
    out = Path(settings["out"])
    work = out / ".grader" / "work" / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "run").mkdir(parents=True)
    record = work / "run" / f"evidence-{secrets.token_hex(8)}.jsonl"
    env = dict(os.environ, **settings["env"], LABKIT_GRADING_RECORD=str(record))
    started = time.monotonic()
    expected = settings["expected"]
    jjob = {"workdir": str(work), "record": str(record), "expected": expected,
            "check_timeout": settings["check_timeout"],
            "checks_modules": settings["checks_modules"]}
    job = {"submission": str(path.resolve()), "workdir": str(work), "env": {
        k: env[k] for k in ("LABKIT_GRADING", "LABKIT_GRADING_RECORD", "LABKIT_GRADING_SPEC")},
        "parameters": settings["parameters"], "cell_timeout": settings["cell_timeout"],
        "cwd": settings["cwd"], "judge": jjob}
    runner = _runner(settings, env)
    finished, code = runner.execute(job, work, settings["timeout"])
    try:
        execution = json.loads((work / "execution.json").read_text())
    except (OSError, ValueError):
        execution = ({"status": "timeout", "limit": settings["timeout"]} if not finished else
                     {"status": "error", "reason": f"the runner stopped without a report "
                                                   f"(exit code {code})"})
    if fingerprint(settings["checks_modules"]) != settings["fingerprint"]:
        result = {"status": "grader-error", "checks": {c: zero(c, "not graded") for c in expected},
                  "notes": ["labkit's installed files changed while this submission ran: the "
                            "grader refuses to load them (re-install labkit, grade it again, and "
                            "consider --user / a container)"]}
    elif finished and (work / "judge.json").exists():
        result = _judge_result(work, expected)
    else:
        jjob["execution"] = execution
        limit = len(expected) * settings["check_timeout"] + 60
        run_module("labkit.grading.judge", jjob, work, limit, settings["judge_env"])
        result = _judge_result(work, expected)
    executed = work / "executed.ipynb"
    if executed.exists():
        (out / "executed").mkdir(exist_ok=True)
        shutil.copyfile(executed, out / "executed" / f"{name}.ipynb")
    result.update(student=name, submission=str(path), seconds=round(time.monotonic() - started, 2),
                  key=settings["key_of"](path))
    result["total"] = round(sum(c["points"] for c in result["checks"].values()), 2)
    result["max"] = round(sum(c["max"] for c in result["checks"].values()), 2)
    return result


def _judge_result(work: Path, expected: list[str]) -> dict:
    try:
        return json.loads((work / "judge.json").read_text())
    except (OSError, ValueError):
        pass
    scores = {}
    try:
        for line in (work / "judge.partial.jsonl").read_text().splitlines():
            data = json.loads(line)
            scores[data["check"]] = data
    except (OSError, ValueError, KeyError):
        pass
    for cid in expected:
        scores.setdefault(cid, zero(cid, "the check could not be evaluated in time"))
    return {"status": "grader-error", "checks": scores,
            "notes": ["the grader's evaluation did not finish; unfinished checks score 0"]}


# -- the batch -----------------------------------------------------------------------------------
def grade_batch(submissions, out, notebook=None, workers: int = 1, timeout: float = 300,
                cell_timeout: float | None = None, check_timeout: float = 10, seed: int = 0,
                resume: bool = False, checks=(), memory="4G", fsize="1G", cpu=None, user=None,
                sandbox: bool = True, progress: bool = True):
    """Grade every submission; returns the gradebook (a pandas DataFrame, as ``grades.csv``).

    ``submissions``: notebook files and/or folders; ``out``: output folder; ``notebook``: the
    assignment (a notebook id or the reference notebook's path; inferred from the file names
    when they all match one registered notebook); ``timeout``: seconds per notebook (wall
    clock); ``cell_timeout``: seconds per cell before it is interrupted (default: ``timeout``);
    ``checks``: extra (private) checks modules; ``memory``/``fsize``/``cpu``/``user``: limits
    for the kernel (see :mod:`labkit.grading.sandbox`; ``sandbox=False`` for none).
    """
    from . import report
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    checks = [str(Path(c).resolve()) if str(c).endswith(".py") else str(c) for c in checks]
    load_course_checks(checks)
    from labkit.course_checks import ERRORS
    for name, err in sorted(ERRORS.items()):
        print(f"labkit grade: warning: checks module {name} failed to load ({err})",
              file=sys.stderr)
    files = discover(submissions)
    names = student_names(files) if files else []
    nid, expected = expected_checks(notebook, files)
    fp = fingerprint(checks)
    jupyter = write_kernelspec(out / ".grader" / "jupyter",
                               **({"memory": memory, "fsize": fsize, "cpu": cpu, "user": user}
                                  if sandbox else {}))
    spec = {"notebook": nid, "checks": {
        c: {"answers": list(get_check(c).answers), "cluster":
            get_check(c).cluster if get_check(c).cluster in (True, False)
            else list(get_check(c).cluster)} for c in expected}}
    env = {"LABKIT_GRADING": "1", "LABKIT_GRADING_SPEC": json.dumps(spec),
           "LABKIT_SEED": str(seed), "LABKIT_CLUSTER": "mini", "PYTHONHASHSEED": "0",
           "MPLBACKEND": "Agg", "NO_COLOR": "1", "JUPYTER_PATH": str(jupyter)}
    judge_env = {k: v for k, v in os.environ.items() if not k.startswith("LABKIT_GRADING")}
    nb_path = Path(str(notebook)) if notebook is not None else None
    settings_id = json.dumps([fp, nid, expected, seed, timeout, cell_timeout, check_timeout])

    def key_of(path: Path) -> str:
        return hashlib.sha256(Path(path).read_bytes() + settings_id.encode()).hexdigest()[:24]

    settings = {"out": str(out), "env": env, "judge_env": judge_env, "expected": expected,
                "parameters": {"SEED": seed, "SOLUTIONS": False, "LABKIT_GRADING": True},
                "timeout": float(timeout), "cell_timeout": cell_timeout or timeout,
                "check_timeout": float(check_timeout), "checks_modules": checks,
                "fingerprint": fp, "key_of": key_of, "runners": [],
                "cwd": str(nb_path.resolve().parent) if nb_path and nb_path.is_file() else None}
    results_dir = out / "results"
    results_dir.mkdir(exist_ok=True)
    results, todo = {}, []
    for name, path in zip(names, files):
        done = results_dir / f"{name}.json"
        if resume and done.exists():
            try:
                old = json.loads(done.read_text())
                if old.get("key") == key_of(path):
                    results[name] = old
                    continue
            except (OSError, ValueError):
                pass
        todo.append((name, path))
    bar = _bar(len(todo), progress)
    try:
        with ThreadPoolExecutor(max_workers=max(1, int(workers))) as pool:
            futures = {pool.submit(grade_one, name, path, settings): name for name, path in todo}
            for fut in as_completed(futures):
                name = futures[fut]
                try:
                    res = fut.result()
                except Exception as e:  # noqa: BLE001 - a grader bug must not lose the batch
                    res = {"student": name, "status": "grader-error",
                           "notes": [f"{type(e).__name__}: {e}"],
                           "checks": {c: zero(c, "not graded") for c in expected}, "total": 0.0,
                           "max": sum(get_check(c).points for c in expected), "key": None}
                (results_dir / f"{name}.json").write_text(json.dumps(res, indent=1))
                results[name] = res
                bar.update(1)
    finally:
        bar.close()
        for runner in settings["runners"]:
            runner.stop()
    ordered = [results[n] for n in names]
    return report.write_all(out, ordered, [get_check(c) for c in expected], nid)


def _bar(total: int, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="grading", unit="nb", disable=not enabled or total == 0)
