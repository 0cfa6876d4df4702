#!/usr/bin/env python
"""Build the course notebooks from their jupytext sources, with outputs.

    python scripts/build_course.py                 # build every notebook
    python scripts/build_course.py course/_src/01-cloud-native/02-deployment-eras.py
    python scripts/build_course.py --check         # no drift? (exit 1 if a notebook is stale)

Sources are jupytext "percent" scripts, ``course/_src/<module>/<NN-name>.py``; each becomes
``course/<module>/<NN-name>.ipynb``, executed top to bottom by nbclient in this interpreter's
kernel (the venv's python), so the stored outputs are exactly what a student sees before
answering anything (``SOLUTIONS = False``). The build is deterministic: cell ids are numbered,
widget model ids are renumbered, no execution timestamps are kept, so rebuilding an unchanged
source rewrites the same bytes.

``--check`` does not execute anything: it compares each notebook's cells (type, source, tags)
with what its source says and lists the stale ones, plus the count of cells tagged
``nbval-ignore-output`` / ``raises-exception`` (which should stay near zero).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
SRC = COURSE / "_src"
LOOSE_TAGS = ("nbval-ignore-output", "raises-exception", "nbval-skip")
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
#: The environment notebooks are built in: the in-memory cluster, no colour codes.
BUILD_ENV = {"LABKIT_CLUSTER": "mini", "PYTHONHASHSEED": "0", "NO_COLOR": "1"}


def sources(paths=()) -> list[Path]:
    """The sources to build: all of course/_src, or the given sources/notebooks/module dirs."""
    if not paths:
        return sorted(SRC.glob("*/[0-9][0-9]-*.py"))
    out = []
    for p in map(Path, paths):
        p = p.resolve()
        if p.is_dir():
            out += sources_in(p)
        elif p.suffix == ".ipynb":
            out.append(source_for(p))
        else:
            out.append(p)
    return out


def sources_in(directory: Path) -> list[Path]:
    """Sources under a directory of sources or of notebooks (hidden dirs such as
    .ipynb_checkpoints are skipped)."""
    def visible(paths):
        return sorted(p for p in paths if not any(part.startswith(".") for part in
                                                  p.relative_to(directory).parts))
    if SRC in directory.parents or directory == SRC:
        return visible(directory.glob("**/[0-9][0-9]-*.py"))
    return [source_for(nb) for nb in visible(directory.glob("**/[0-9][0-9]-*.ipynb"))]


def source_for(notebook: Path) -> Path:
    return SRC / notebook.resolve().parent.name / (notebook.stem + ".py")


def notebook_for(source: Path) -> Path:
    return COURSE / source.parent.name / (source.stem + ".ipynb")


def read_source(source: Path) -> nbformat.NotebookNode:
    """The notebook a source describes (no outputs), with numbered cell ids and clean metadata."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC,
                                      "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
    return nb


def cell_signature(cell) -> tuple:
    """What must match between a source and its built notebook: type, text and tags."""
    return (cell["cell_type"], cell["source"].strip(), tuple(cell.get("metadata", {}).get("tags", [])))


def drift(source: Path) -> list[str]:
    """Differences between ``source`` and its built notebook (empty when they agree)."""
    target = notebook_for(source)
    if not target.exists():
        return [f"{target.relative_to(ROOT)} is missing"]
    want = [cell_signature(c) for c in read_source(source).cells]
    have = [cell_signature(c) for c in nbformat.read(target, as_version=4).cells]
    problems = []
    if len(want) != len(have):
        problems.append(f"{len(have)} cells, the source has {len(want)}")
    for i, (w, h) in enumerate(zip(want, have)):
        if w != h:
            problems.append(f"cell {i} differs from the source")
    return problems


def loose_tags(notebook: Path) -> dict[str, int]:
    counts = dict.fromkeys(LOOSE_TAGS, 0)
    for cell in nbformat.read(notebook, as_version=4).cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag in counts:
                counts[tag] += 1
    return counts


def renumber_widget_ids(nb) -> None:
    """Replace the random widget model ids with sequential ones, in outputs and widget state,
    so a rebuild produces the same bytes (JupyterLab accepts any id string). Ids are numbered
    in creation order: the order nbclient recorded the widgets' comms in."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    ordered = list(state.get("state", {}))
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and view["model_id"] not in ordered:
                ordered.append(view["model_id"])
    if not ordered:
        return
    mapping = {old: f"{i:032x}" for i, old in enumerate(ordered, start=1)}
    pattern = re.compile("|".join(re.escape(k) for k in mapping))
    text = pattern.sub(lambda m: mapping[m.group(0)], nbformat.writes(nb))
    new = nbformat.reads(text, as_version=4)
    nb.metadata, nb.cells = new.metadata, new.cells


LIVE_CLASS = "labkit-live-value"   # labkit.widgets.explore.LIVE_CLASS
LIVE_PLACEHOLDER = "<i>(a live reading of this machine: run the notebook to see it)</i>"


def scrub_live_values(nb) -> None:
    """Blank the saved state of LiveView readings (kernel namespaces, cgroup paths...): they
    belong to the machine that built the notebook, not in the repository."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    for model in state.get("state", {}).values():
        st = model.get("state", {})
        if LIVE_CLASS in st.get("_dom_classes", ()):
            st["value"] = LIVE_PLACEHOLDER


def execute(nb, workdir: Path, timeout: int = 300):
    from nbclient import NotebookClient

    env = dict(os.environ, **BUILD_ENV)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(workdir)}},
                            allow_errors=False, store_widget_state=True)
    client.execute(env=env)
    return nb


def build(source: Path, target: Path | None = None) -> float:
    """Execute ``source`` and write its notebook (to ``target``, default its place in course/);
    returns the seconds it took. The kernel runs in the notebook's own directory."""
    started = time.perf_counter()
    workdir = notebook_for(source).parent
    target = target or notebook_for(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    nb = read_source(source)
    execute(nb, workdir)
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nb.metadata["language_info"] = {"name": "python"}
    scrub_live_values(nb)
    renumber_widget_ids(nb)
    nbformat.validate(nb)
    nbformat.write(nb, target)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="sources, notebooks or directories (default: all)")
    parser.add_argument("--check", action="store_true", help="report drift, build nothing")
    args = parser.parse_args(argv)
    todo = sources(args.paths)
    if not todo:
        print("no notebook sources found under course/_src")
        return 1
    if args.check:
        stale = 0
        for source in todo:
            problems = drift(source)
            stale += bool(problems)
            nb = notebook_for(source)
            tags = loose_tags(nb) if nb.exists() else {}
            flag = "STALE " + "; ".join(problems) if problems else "ok"
            extra = ", ".join(f"{k}={v}" for k, v in tags.items() if v)
            print(f"{flag:<6} {nb.relative_to(ROOT)}" + (f"  [{extra}]" if extra else ""))
        print(f"{len(todo) - stale} up to date, {stale} stale")
        return 1 if stale else 0
    total = 0.0
    for source in todo:
        seconds = build(source)
        total += seconds
        print(f"built {notebook_for(source).relative_to(ROOT)} in {seconds:.1f}s")
    print(f"{len(todo)} notebook(s) in {total:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
