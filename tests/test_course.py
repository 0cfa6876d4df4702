"""The course notebooks: built from their sources, complete, solvable, and graded honestly.

* no drift: each ``course/<module>/<NN-name>.ipynb`` holds exactly the cells of its jupytext
  source ``course/_src/<module>/<NN-name>.py`` (``scripts/build_course.py --check``);
* every notebook has the parts curriculum.md asks for (objectives, papermill parameters, a
  widget, 2+ graded exercises, a summary) and no loose nbval tags;
* papermill with ``SOLUTIONS=True`` (papermill's parameters-cell convention) makes every graded
  check pass; the stored outputs (the ``SOLUTIONS=False`` run, kept current by strict nbval)
  show every check failing with feedback. Both read the check results from the outputs'
  ``labkit`` metadata, as a tool would;
* the whole course runs in under 60 seconds.
"""
from __future__ import annotations

import importlib.util
import os
import re
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("build_course", ROOT / "scripts" / "build_course.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)

MODULES = ("01-cloud-native", "02-virtualization", "03-architecture")
SOURCES = [s for s in build.sources() if s.parent.name in MODULES]
IDS = [f"{s.parent.name}/{s.stem}" for s in SOURCES]
CHECK_CALL = re.compile(r'^check\("([a-z0-9-]+)"\)$', re.M)


def notebook(source: Path):
    return nbformat.read(build.notebook_for(source), as_version=4)


def check_outputs(nb) -> dict:
    """{check id: labkit metadata} from every check cell's outputs."""
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("labkit")
            if meta:
                found[meta["check"]] = meta
    return found


def graded_ids(source: Path) -> list[str]:
    from labkit.grading import get_check
    ids = CHECK_CALL.findall(source.read_text())
    return [i for i in ids if get_check(i).points > 0]


def test_the_course_has_every_notebook_of_modules_01_to_03():
    assert IDS == [
        "01-cloud-native/01-what-is-cloud-native", "01-cloud-native/02-deployment-eras",
        "01-cloud-native/03-cloud-native-landscape", "01-cloud-native/04-devops-ci-cd",
        "02-virtualization/01-virtualization-and-hypervisors",
        "02-virtualization/02-openstack-kvm-iaas", "02-virtualization/03-namespaces-and-cgroups",
        "02-virtualization/04-containers-vs-vms",
        "02-virtualization/05-from-one-container-to-orchestration",
        "03-architecture/01-cluster-overview", "03-architecture/02-api-server-and-etcd",
        "03-architecture/03-scheduler", "03-architecture/04-controllers-and-reconcile-loop",
        "03-architecture/05-kubelet-runtime-and-kube-proxy"]
    built = sorted(p.relative_to(ROOT / "course").with_suffix("").as_posix()
                   for m in MODULES for p in (ROOT / "course" / m).glob("*.ipynb"))
    assert built == IDS, "a notebook without a source (or a source never built)"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_notebook_matches_its_source(source):
    assert build.drift(source) == [], "stale notebook: run scripts/build_course.py " + str(source)


def test_the_build_is_byte_for_byte_deterministic(tmp_path):
    """Rebuilding an unchanged source rewrites the same bytes (numbered cell and widget ids,
    no timestamps), so a rebuild shows up in git only when something really changed."""
    source = build.SRC / "02-virtualization" / "01-virtualization-and-hypervisors.py"
    build.build(source, tmp_path / "a.ipynb")
    build.build(source, tmp_path / "b.ipynb")
    a, b = (tmp_path / "a.ipynb").read_bytes(), (tmp_path / "b.ipynb").read_bytes()
    assert a == b and b"IPY_MODEL_00000000000000000000000000000001" in a
    assert a == build.notebook_for(source).read_bytes(), "the committed notebook is stale"


def test_machine_specific_readings_are_not_stored():
    """02-03 reads the real kernel; its namespace links and cgroup path appear only live
    (LiveView), never in the stored outputs or the saved widget state."""
    from labkit.course_checks import m02_kernel
    text = (ROOT / "course" / "02-virtualization" / "03-namespaces-and-cgroups.ipynb").read_text()
    links = [v for v in m02_kernel.namespace_entries().values() if v]
    assert links, "this test needs a Linux /proc"
    assert not [link for link in links if link in text]
    path = m02_kernel._path_for("" if m02_kernel.cgroup_version() == 2 else "memory")
    assert path == "/" or path not in text
    assert build.LIVE_PLACEHOLDER in text


def test_loose_nbval_tags_are_counted_and_absent():
    counts = {tag: 0 for tag in build.LOOSE_TAGS}
    for source in SOURCES:
        for tag, n in build.loose_tags(build.notebook_for(source)).items():
            counts[tag] += n
    print("loose tags in modules 01-02:", counts)
    assert counts == {"nbval-ignore-output": 0, "raises-exception": 0, "nbval-skip": 0}


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_notebook_has_the_required_parts(source):
    nb = notebook(source)
    text = "\n".join(c.source for c in nb.cells)
    assert "By the end of this notebook you can" in nb.cells[0].source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and "SOLUTIONS = False" in params[0].source and "SEED = 0" in params[0].source
    assert "setup(SOLUTIONS, SEED)" in text
    if "labkit.connect(" in text:  # a notebook using a cluster lets papermill choose which
        assert 'CLUSTER = "mini"' in params[0].source and "labkit.connect(CLUSTER" in text
    assert re.search(r"widgets\.(Interactive|Stepper|Explorer|Classify|Matching|Ordering|"
                     r"MultipleChoice|ApplyEditor|LiveView)\(", text)
    assert len(graded_ids(source)) >= 2, "at least two graded exercises"
    assert "## Summary" in text
    for cid in CHECK_CALL.findall(text):
        assert f'solve("{cid}")' in text or cid.endswith("-warmup"), f"{cid} has no solve() call"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_checks_belong_to_their_notebook(source):
    from labkit.grading import checks_for, get_check
    nid = f"{source.parent.name}/{source.stem}"
    for cid in CHECK_CALL.findall(source.read_text()):
        assert get_check(cid).notebook == nid
    graded = {c.id for c in checks_for(nid) if c.points > 0}  # 0-point warm-ups: Check button only
    assert graded <= set(CHECK_CALL.findall(source.read_text())), "a graded check no cell calls"


@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_stored_outputs_show_every_check_failing_with_feedback(source):
    """The stored outputs are the unsolved student state (SOLUTIONS = False)."""
    results = check_outputs(notebook(source))
    assert set(results) == set(CHECK_CALL.findall(source.read_text()))
    for cid, meta in results.items():
        assert meta["passed"] is False and meta["points"] == 0, cid
        feedback = [p for p in meta["parts"] if not p["passed"]]
        assert feedback and meta["message"], cid
        assert any(p["hint"] or p["message"] for p in feedback), f"{cid}: no hint to go on"


def kernel_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its finished children (graphviz-pure runs)
    have used so far, from /proc/<pid>/stat (utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def timed_kernel_manager():
    """A kernel manager that notes its kernel's CPU time just before shutting it down: a
    measure of the notebook's own cost that does not grow when the machine is busy."""
    from jupyter_client.manager import AsyncKernelManager

    class TimedKernelManager(AsyncKernelManager):
        cpu_seconds: list = []

        async def shutdown_kernel(self, now=False, restart=False):
            pid = getattr(self.provisioner, "pid", None)
            if pid:
                TimedKernelManager.cpu_seconds.append(kernel_cpu_seconds(pid))
            return await super().shutdown_kernel(now=now, restart=restart)

    return TimedKernelManager


@pytest.fixture(scope="session")
def solved():
    """Run every notebook once with papermill -p SOLUTIONS True;
    {id: (executed notebook, wall seconds, kernel CPU seconds)}."""
    import papermill as pm
    out_dir = ROOT / "artifacts" / "solved"
    out_dir.mkdir(parents=True, exist_ok=True)
    env = {"LABKIT_CLUSTER": "mini", "PYTHONHASHSEED": "0"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    manager = timed_kernel_manager()
    runs = {}
    try:
        for source, nid in zip(SOURCES, IDS):
            target = out_dir / (nid.replace("/", "__") + ".ipynb")
            started = time.perf_counter()
            pm.execute_notebook(str(build.notebook_for(source)), str(target),
                                parameters={"SOLUTIONS": True}, kernel_name="python3",
                                cwd=str(build.notebook_for(source).parent), progress_bar=False,
                                execution_timeout=120, kernel_manager_class=manager)
            cpu = manager.cpu_seconds.pop() if manager.cpu_seconds else float("nan")
            runs[nid] = (nbformat.read(target, as_version=4), time.perf_counter() - started, cpu)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("source", SOURCES, ids=IDS)
def test_reference_solutions_pass_every_graded_check(solved, source):
    nid = f"{source.parent.name}/{source.stem}"
    nb, _seconds, _cpu = solved[nid]
    results = check_outputs(nb)
    assert set(results) == set(CHECK_CALL.findall(source.read_text()))
    for cid in graded_ids(source):
        meta = results[cid]
        assert meta["passed"] and meta["points"] == meta["max"] > 0, (cid, meta)


@pytest.mark.slow
def test_the_whole_course_runs_in_under_a_minute(solved):
    """All the notebooks together cost under a minute of CPU, kernel start-up and imports
    included (measured as the kernels' CPU time, so a busy shared machine does not make the
    test flaky); wall-clock times are printed alongside."""
    cpu = {nid: round(c, 1) for nid, (_nb, _wall, c) in solved.items()}
    wall = {nid: round(w, 1) for nid, (_nb, w, _c) in solved.items()}
    print("kernel CPU seconds per notebook:", cpu, "total", round(sum(cpu.values()), 1))
    print("papermill wall-clock seconds:", wall, "total", round(sum(wall.values()), 1))
    assert all(c == c for c in cpu.values()), "could not read a kernel's CPU time"
    assert sum(cpu.values()) < 60, cpu
    assert max(cpu.values()) < 15, "a notebook should run in a few seconds"
